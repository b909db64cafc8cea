package com.warroom.routes.observe;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** war_room_consumer_lag_records from each consumer's own records-lag metric: only those, while the consumer is open. */
class ConsumerLagTest {

    static final List<String> TOPICS = List.of("incidents", "template-requests", "flashduty.incidents", "flashduty_events");

    /** A consumer whose metrics are what the test puts there, as Kafka's fetch manager names them. */
    static final class Metered extends MockConsumer<byte[], byte[]> {
        final Map<MetricName, Metric> metrics = new HashMap<>();

        Metered() {
            super("earliest");
            MetricName version = new MetricName("version", "app-info", "", Map.of("client-id", "c-1"));
            metrics.put(version, metric(version, "4.3.1"));
        }

        /** What closing does to a Kafka client's metrics: its app-info goes (the fetch manager's stay). */
        @Override
        public void close() {
            metrics.keySet().removeIf(n -> "app-info".equals(n.group()));
        }

        void lag(String topic, int partition, double value) {
            MetricName name = new MetricName("records-lag", "consumer-fetch-manager-metrics", "",
                    Map.of("client-id", "c-1", "topic", topic, "partition", String.valueOf(partition)));
            metrics.put(name, metric(name, value));
        }

        void revoke(String topic, int partition) {
            metrics.keySet().removeIf(n -> topic.equals(n.tags().get("topic")) && String.valueOf(partition).equals(n.tags().get("partition")));
        }

        @Override
        public synchronized Map<MetricName, ? extends Metric> metrics() {
            return Map.copyOf(metrics);
        }
    }

    static Metric metric(MetricName name, Object value) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        };
    }

    static List<String> series(ConsumerLag lag) {
        return ((GaugeSnapshot) lag.collect()).getDataPoints().stream().map(ConsumerLagTest::row).sorted().toList();
    }

    static String row(GaugeDataPointSnapshot p) {
        return p.getLabels().get("group") + "/" + p.getLabels().get("topic") + "/" + p.getLabels().get("partition") + "=" + p.getValue();
    }

    @Test
    void eachPartitionsLagUnderItsGroupUntilRevokedOrClosed() {
        ConsumerLag lag = new ConsumerLag(TOPICS);
        Metered incidents = lag.track(new Metered(), "war-room-routes");
        Metered templates = lag.track(new Metered(), "war-room-routes-templates");
        incidents.lag("incidents", 0, 12);
        incidents.lag("incidents", 1, 0);
        templates.lag("template-requests", 0, 3);
        // not a partition's lag: the consumer's overall records-lag-max, and another metric group
        incidents.metrics.put(new MetricName("records-lag-max", "consumer-fetch-manager-metrics", "", Map.of("client-id", "c-1")),
                metric(null, 99.0));
        MetricName other = new MetricName("records-lag", "some-other-metrics", "", Map.of("topic", "x", "partition", "0"));
        incidents.metrics.put(other, metric(other, 98.0));
        assertEquals(List.of("war-room-routes-templates/template-requests/0=3.0", "war-room-routes/incidents/0=12.0",
                "war-room-routes/incidents/1=0.0"), series(lag));

        incidents.revoke("incidents", 1);
        assertEquals(List.of("war-room-routes-templates/template-requests/0=3.0", "war-room-routes/incidents/0=12.0"), series(lag),
                "a revoked partition's series goes with Kafka's metric");
        templates.close();
        assertEquals(List.of("war-room-routes/incidents/0=12.0"), series(lag), "a closed consumer is forgotten");
    }

    /** Kafka reports a topic with dots also under a deprecated name with '_'; a topic not the routes' is never a label. */
    @Test
    void onlyTheRoutesTopicsAreLabels() {
        ConsumerLag lag = new ConsumerLag(TOPICS);
        Metered consumer = lag.track(new Metered(), "g");
        consumer.lag("flashduty_incidents", 0, 5);
        consumer.lag("flashduty.incidents", 0, 5);
        consumer.lag("flashduty_events", 1, 7);
        consumer.lag("someone-elses", 0, 1);
        assertEquals(List.of("g/flashduty.incidents/0=5.0", "g/flashduty_events/1=7.0"), series(lag));
    }

    /** While a partition moves between two consumers of one group in this process, both may report it for a poll: one series. */
    @Test
    void aPartitionReportedByTwoConsumersIsOneSeries() {
        ConsumerLag lag = new ConsumerLag(TOPICS);
        lag.track(new Metered(), "g").lag("incidents", 2, 40);
        lag.track(new Metered(), "g").lag("incidents", 2, 10);
        assertEquals(List.of("g/incidents/2=10.0"), series(lag));
    }

    @Test
    void anUnknownLagIsNoSample() {
        ConsumerLag lag = new ConsumerLag(TOPICS);
        lag.track(new Metered(), "g").lag("incidents", 0, Double.NaN);
        assertEquals(List.of(), series(lag));
    }
}
