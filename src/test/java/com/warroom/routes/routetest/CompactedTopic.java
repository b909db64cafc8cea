package com.warroom.routes.routetest;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.health.HealthCheck;

/**
 * One compacted topic as the records reaching {@code mock:records} (70-publish-records.yaml's
 * {@code write-record}) leave it: the latest value per key, a tombstone removing the key. Every
 * write is kept too, with the headers it carried. Plus what the route tests of the catalog and the
 * template sync read back: a meter's value, a health check's result.
 */
final class CompactedTopic implements Processor {

    /** One record as it reached the producer. */
    record Written(String key, String value, Map<String, Object> headers) {
    }

    private final String topic;
    private final Map<String, String> latest = new TreeMap<>();
    private final List<Written> writes = new CopyOnWriteArrayList<>();

    CompactedTopic(String topic) {
        this.topic = topic;
    }

    @Override
    public synchronized void process(Exchange exchange) {
        if (!topic.equals(exchange.getProperty("outTopic", String.class))) {
            return;
        }
        String key = exchange.getMessage().getHeader(KafkaConstants.KEY, String.class);
        String value = exchange.getMessage().getBody(String.class);
        writes.add(new Written(key, value, Map.copyOf(exchange.getMessage().getHeaders())));
        if (value == null) {
            latest.remove(key);
        } else {
            latest.put(key, value);
        }
    }

    /** Live keys and their latest values. */
    synchronized Map<String, String> held() {
        return new TreeMap<>(latest);
    }

    List<Written> writes() {
        return List.copyOf(writes);
    }

    /** Writes after the first {@code from}. */
    List<Written> writesSince(int from) {
        List<Written> all = writes();
        return all.subList(Math.min(from, all.size()), all.size());
    }

    /** The first measurement of this meter, or null when no such meter is registered. */
    static Double meter(CamelContext context, String name, String... tags) {
        MeterRegistry registry = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        Meter m = registry.find(name).tags(tags).meter();
        if (m == null) {
            return null;
        }
        for (Measurement measurement : m.measure()) {
            return measurement.getValue();
        }
        return null;
    }

    /** The result of the health check with this id. */
    static HealthCheck.Result health(CamelContext context, String id) {
        Optional<HealthCheck> check = context.getRegistry().findByType(HealthCheck.class).stream()
                .filter(c -> id.equals(c.getId())).findFirst();
        return check.orElseThrow(() -> new AssertionError("no health check " + id)).call();
    }
}
