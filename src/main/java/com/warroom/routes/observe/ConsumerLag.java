package com.warroom.routes.observe;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * {@code war_room_consumer_lag_records{group,topic,partition}}: how many records each partition of the routes'
 * consumers (camel-kafka's, made through this factory: the incident and template-request groups) is behind, read
 * on each scrape from the consumer's own {@code records-lag} metric. Kafka drops a partition's metric on the
 * consumer's next poll after the partition was revoked, and a closed consumer is forgotten, so neither leaves a
 * stale series. The budget group's member and the followers are plain clients of ours, not made here.
 */
public final class ConsumerLag extends DefaultKafkaClientFactory implements Collector {

    static final String NAME = "war_room_consumer_lag_records";
    private final Map<Consumer<?, ?>, String> groups = new ConcurrentHashMap<>();

    @Override
    public Consumer getConsumer(Properties props) {
        String group = props.getProperty(ConsumerConfig.GROUP_ID_CONFIG, "");
        return track(new KafkaConsumer<>(props) {
            @Override
            public void close() {
                groups.remove(this);
                super.close();
            }

            @Override
            @SuppressWarnings("deprecation")
            public void close(Duration timeout) {
                groups.remove(this);
                super.close(timeout);
            }

            @Override
            public void close(CloseOptions options) {
                groups.remove(this);
                super.close(options);
            }
        }, group);
    }

    /** Reports this consumer's lag under its group until it is closed (or {@link #forget forgotten}). */
    <C extends Consumer<?, ?>> C track(C consumer, String group) {
        groups.put(consumer, group);
        return consumer;
    }

    void forget(Consumer<?, ?> consumer) {
        groups.remove(consumer);
    }

    @Override
    public MetricSnapshot collect() {
        // by group, topic with '.' as '_' and partition: Kafka also reports a topic with dots under a deprecated '_' name
        Map<List<String>, List<String>> series = new TreeMap<>(Comparator.comparing(Object::toString));
        Map<List<String>, Double> values = new HashMap<>();
        groups.forEach((consumer, group) -> {
            for (Map.Entry<MetricName, ? extends Metric> m : consumer.metrics().entrySet()) {
                MetricName name = m.getKey();
                String topic = name.tags().get("topic");
                String partition = name.tags().get("partition");
                if ("records-lag".equals(name.name()) && "consumer-fetch-manager-metrics".equals(name.group()) && topic != null
                        && partition != null && m.getValue().metricValue() instanceof Double v && !v.isNaN()) {
                    List<String> key = List.of(group, topic.replace('.', '_'), partition);
                    if (!series.containsKey(key) || topic.contains(".")) {
                        series.put(key, List.of(group, topic, partition));
                        values.put(key, v);
                    }
                }
            }
        });
        GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name(NAME)
                .help("records behind per partition of the routes' consumer groups, from the consumer's records-lag metric");
        series.forEach((key, labels) -> lag.dataPoint(GaugeDataPointSnapshot.builder().value(values.get(key))
                .labels(Labels.of("group", labels.get(0), "topic", labels.get(1), "partition", labels.get(2))).build()));
        return lag.build();
    }

    @Override
    public String getPrometheusName() {
        return NAME;
    }
}
