package com.warroom.routes.observe;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry of every meter, bound as metricsRegistry, with app_info, JVM and process meters and readiness; nothing else of Camel's. */
class PrometheusMetricsTest {

    /** app_info, the JVM, GC and process meters an on-call team expects, readiness as a gauge; nothing else of Camel's. */
    @Test
    void theRegistryHoldsAppInfoEveryJvmAndProcessMeterAndReadiness() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PrometheusMetrics metrics = new PrometheusMetrics();
            metrics.setCamelContext(context);
            context.addService(metrics, true, true);
            context.start();
            String text = context.getRegistry().lookupByNameAndType("metricsRegistry", PrometheusMeterRegistry.class).scrape();
            for (String family : new String[] {"jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads", "jvm_classes_loaded",
                    "process_cpu_usage", "process_uptime_seconds", "system_cpu_count"}) {
                assertTrue(text.contains(family), family + " in " + text);
            }
            assertTrue(text.contains("app_info{camel_context=\"" + context.getName() + "\""), text);
            assertTrue(text.contains("war_room_ready 1.0"), "no readiness check is down: " + text);
            assertFalse(text.contains("camel_exchanges") || text.contains("camel_routes"), text);
        }
    }

    /** camel-main sets each camel.metrics.* key on this service: one it does not have stops the start, naming the key. */
    @Test
    void aCamelMetricsSettingNotServedIsRefusedNamingIt() {
        Main main = new Main();
        main.addInitialProperty("camel.metrics.enabled", "true");
        main.addInitialProperty("camel.metrics.enable-route-policy", "true");
        try {
            Exception e = assertThrows(Exception.class, main::start);
            assertTrue(String.valueOf(e.getMessage()).contains("camel.metrics.enableRoutePolicy"), e.toString());
        } finally {
            main.stop();
        }
    }
}
