package com.warroom.routes.support;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside the test JVM,
 * from Kafka's own test kit (see ../shared/notes/kafka.md). One per JVM, started on first use.
 */
public final class KafkaBroker {

    private static KafkaBroker shared;

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;

    private KafkaBroker() throws Exception {
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        cluster = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "true")
                .setConfigProp("num.partitions", "1")
                .setConfigProp("message.max.bytes", "2097152")
                .setConfigProp("replica.fetch.max.bytes", "2097152")
                .build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        bootstrapServers = cluster.bootstrapServers();
    }

    /** The JVM's broker, started on first use and closed when the JVM exits. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            try {
                shared = new KafkaBroker();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test Kafka broker", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(KafkaBroker::stopShared, "kafka-broker-shutdown"));
        }
        return shared;
    }

    /** Stops the shared broker now (before System.exit, so its shutdown does not race Kafka's temp-dir clean-up). */
    public static synchronized void stopShared() {
        if (shared != null) {
            try {
                shared.cluster.close();
            } catch (Exception e) {
                // stopping anyway
            }
            shared = null;
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public void createTopic(String name, int partitions) {
        create(new NewTopic(name, Optional.of(partitions), Optional.empty()));
    }

    public void createCompactedTopic(String name, int partitions) {
        create(new NewTopic(name, Optional.of(partitions), Optional.empty())
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    }

    private void create(NewTopic topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(topic)).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException(e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
