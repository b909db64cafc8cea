package com.warroom.routes.observe;

import java.util.List;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.StaticService;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.spi.CamelMetricsService;
import org.apache.camel.support.service.ServiceSupport;

/**
 * What camel-main starts for {@code camel.metrics.enabled=true} (found through
 * {@code META-INF/services/org/apache/camel/micrometer-prometheus}, where camel-micrometer-prometheus,
 * not served at 4.22 here, registered its own): the Prometheus registry bound as {@code metricsRegistry}
 * (the one every meter of the module is in), with {@code app_info}, served as Micrometer's Prometheus
 * text on {@code /observe/metrics} of the {@link ManagementServer} when {@code camel.management.metrics-enabled}.
 * <p>
 * Micrometer's JVM, GC, process and system meters are always bound: an on-call team expects jvm_* and process_*.
 * {@code war_room_ready} is readiness as /observe/health/ready answers it, evaluated on each scrape. Camel's
 * per-route and per-endpoint meters are not published; camel-main refuses any other {@code camel.metrics.*}
 * key, naming it, as this service has no property of that name.
 */
public final class PrometheusMetrics extends ServiceSupport implements CamelMetricsService, StaticService {

    static final String PATH = "/observe/metrics";
    private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    private CamelContext camelContext;
    private PrometheusMeterRegistry registry;
    /** Micrometer's JVM, GC, process and system binders, every one (camel-micrometer-prometheus binds none unless named) */
    private final List<MeterBinder> binders = List.of(new ClassLoaderMetrics(), new JvmCompilationMetrics(), new JvmGcMetrics(),
            new JvmHeapPressureMetrics(), new JvmInfoMetrics(), new JvmMemoryMetrics(), new JvmThreadMetrics(), new FileDescriptorMetrics(),
            new ProcessorMetrics(), new UptimeMetrics());

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    protected void doInit() throws Exception {
        MeterRegistry found = camelContext.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (found == null) {
            found = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            camelContext.getRegistry().bind("metricsRegistry", MeterRegistry.class, found);
        }
        registry = (PrometheusMeterRegistry) found;
        binders.forEach(b -> b.bindTo(registry));
        Gauge.builder("war.room.ready", camelContext, c -> HealthCheckHelper.isResultsUp(HealthCheckHelper.invokeReadiness(c), true) ? 1 : 0)
                .description("1 while readiness (/observe/health/ready) is UP, else 0").register(registry);
        registry.gaugeCollectionSize("app.info", Tags.of("camel.version", camelContext.getVersion(), "camel.context",
                camelContext.getName(), "camel.runtime.provider", "Main", "camel.runtime.version", camelContext.getVersion()), List.of());
    }

    @Override
    protected void doStart() throws Exception {
        ManagementServer server = camelContext.hasService(ManagementServer.class);
        if (server != null && server.metricsEnabled()) {
            server.router().get(PATH).blockingHandler(ctx -> {
                String accept = ctx.request().getHeader("Accept");
                String type = accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS : TEXT;
                ctx.response().putHeader("Content-Type", type).end(registry.scrape(type));
            }, true);
        }
    }

    @Override
    protected void doShutdown() throws Exception {
        for (MeterBinder b : binders) {
            if (b instanceof AutoCloseable c) {
                c.close();
            }
        }
    }
}
