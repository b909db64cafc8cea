package com.warroom.routes.observe;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * {@code war_room_consumer_lag_records{group,topic,partition}}: how many records each partition of the routes'
 * consumers (camel-kafka's, made through this factory: the incident and template-request groups) is behind, read
 * on each scrape from the consumer's own {@code records-lag} metric. Kafka drops a partition's metric on the
 * consumer's next poll after the partition was revoked, and a closed consumer is forgotten, so neither leaves a
 * stale series. Only the routes' topics are reported (Kafka also names a topic with dots by a deprecated '_' name). The budget group's member and the followers are plain clients of ours, not made here.
 */
public final class ConsumerLag extends DefaultKafkaClientFactory implements Collector {

    static final String NAME = "war_room_consumer_lag_records";
    private final Set<String> topics;
    private final Map<Consumer<?, ?>, String> groups = new ConcurrentHashMap<>();

    /** @param topics the routes' consumed topics: a label only ever holds one of them */
    public ConsumerLag(Collection<String> topics) {
        this.topics = Set.copyOf(topics);
    }

    @Override
    public Consumer getConsumer(Properties props) {
        // as made by camel-kafka (a subclass would lose its health check, which reads KafkaConsumer's fields)
        return track(super.getConsumer(props), props.getProperty(ConsumerConfig.GROUP_ID_CONFIG, ""));
    }

    /** Reports this consumer's lag under its group until it is closed. */
    <C extends Consumer<?, ?>> C track(C consumer, String group) {
        groups.put(consumer, group);
        return consumer;
    }

    @Override
    public MetricSnapshot collect() {
        // by labels: a partition moving between two consumers of the process is briefly in both until the loser's next poll
        Map<List<String>, Double> lag = new TreeMap<>(Comparator.comparing(List::toString));
        groups.forEach((consumer, group) -> {
            Map<MetricName, ? extends Metric> metrics = consumer.metrics();
            if (metrics.keySet().stream().noneMatch(n -> "app-info".equals(n.group()))) {
                groups.remove(consumer); // closed: a Kafka client removes its app-info metrics as it closes
                return;
            }
            metrics.forEach((name, metric) -> {
                String topic = name.tags().get("topic");
                if ("records-lag".equals(name.name()) && "consumer-fetch-manager-metrics".equals(name.group()) && topics.contains(topic)
                        && name.tags().containsKey("partition") && metric.metricValue() instanceof Double v && !v.isNaN()) {
                    lag.merge(List.of(group, topic, name.tags().get("partition")), v, Math::min);
                }
            });
        });
        GaugeSnapshot.Builder snapshot = GaugeSnapshot.builder().name(NAME)
                .help("records behind per partition of the routes' consumer groups, from the consumer's records-lag metric");
        lag.forEach((l, v) -> snapshot.dataPoint(GaugeDataPointSnapshot.builder().value(v)
                .labels(Labels.of("group", l.get(0), "topic", l.get(1), "partition", l.get(2))).build()));
        return snapshot.build();
    }

    @Override
    public String getPrometheusName() {
        return NAME;
    }
}
