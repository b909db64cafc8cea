package com.warroom.routes.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import kafka.server.BrokerServer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside the test JVM,
 * from Kafka's own test kit (its classes: the test-classifier jars in pom.xml). One per JVM, started on first use.
 *
 * <p>The client listener is bound to a port fixed when the broker is built, so {@link #stop()} then
 * {@link #start()} (or {@link #restart()}) brings the broker back on the same {@link #bootstrapServers()}:
 * clients that were connected reconnect on their own. Only the broker side stops; the KRaft
 * controller and all data (topics, records, committed offsets) are kept.
 */
public final class KafkaBroker {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /**
     * System property: the broker's network threads. The broker gives each new connection to the
     * next of them in turn, so with several the pipeline benchmark's two contenders could find their
     * connections sharing one thread in one run and spread in the next, a difference of the run and not
     * of the code (README, Performance). The benchmarks set 1: every connection is served alike.
     */
    public static final String NETWORK_THREADS = "test.kafka.network-threads";

    private static KafkaBroker shared;

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;
    private final Duration startupTime;

    private KafkaBroker() throws Exception {
        this(Map.of());
    }

    /** @param extra broker settings on top of the ones every test broker has (e.g. an authorizer) */
    private KafkaBroker(Map<String, String> extra) throws Exception {
        long t0 = System.nanoTime();
        // a broker in the test JVM must never end the JVM (Kafka exits or halts on fatal faults)
        Exit.setExitProcedure((status, message) -> LOG.error("Kafka asked the JVM to exit ({}): {}", status, message));
        Exit.setHaltProcedure((status, message) -> LOG.error("Kafka asked the JVM to halt ({}): {}", status, message));
        TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
                // Kafka 4's kit binds each listener to a port of its own choosing before the start and writes
                // that port into the listeners setting, so stop()/start() binds the same address again
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "true")
                .setConfigProp("num.partitions", "1")
                .setConfigProp("message.max.bytes", "2097152")
                .setConfigProp("replica.fetch.max.bytes", "2097152")
                // Kafka's default is 3; the benchmarks run with 1 (pom, profile bench), see NETWORK_THREADS
                .setConfigProp("num.network.threads", System.getProperty(NETWORK_THREADS, "3"));
        extra.forEach(builder::setConfigProp);
        cluster = builder.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
        bootstrapServers = cluster.bootstrapServers();
        startupTime = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("Test Kafka broker ready at {} in {} ms", bootstrapServers, startupTime.toMillis());
    }

    /** The JVM's broker, started on first use and closed when the JVM exits. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            try {
                shared = new KafkaBroker();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test Kafka broker", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(KafkaBroker::stopSharedWithin10s, "kafka-broker-shutdown"));
        }
        return shared;
    }

    /**
     * At JVM exit: a broker that was stopped and started again may hang in its final shutdown, and a
     * shutdown hook that never returns keeps the test JVM alive until the build kills it (failsafe then
     * reports "Error occurred in starting fork" although every test passed). So it gets 10 seconds.
     */
    private static void stopSharedWithin10s() {
        within10s(KafkaBroker::stopShared, "kafka-broker-close");
    }

    /** Runs {@code close} on a daemon thread of that name and waits at most 10 s for it (see above). */
    static void within10s(Runnable close, String name) {
        Thread closer = new Thread(close, name);
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A broker of its own for a test that stops and starts it, so the shared broker is never restarted
     * under the other tests of the JVM (after an in-process restart, idempotent producers created later
     * were seen stuck on OutOfOrderSequenceException). {@link #close()} it when done.
     */
    public static KafkaBroker dedicated() {
        try {
            return new KafkaBroker();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a dedicated test Kafka broker", e);
        }
    }

    /** A broker of its own with extra settings (e.g. an authorizer). {@link #close()} it when done. */
    public static KafkaBroker dedicated(Map<String, String> extra) {
        try {
            return new KafkaBroker(extra);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a dedicated test Kafka broker", e);
        }
    }

    /** Stops a {@link #dedicated()} broker for good. */
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            LOG.warn("closing a dedicated test broker: {}", e.getClass().getSimpleName());
        }
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

    /** The port a listener of the broker is bound to (e.g. a listener added through the extra settings). */
    public int boundPort(String listenerName) {
        return broker().boundPort(ListenerName.normalised(listenerName));
    }

    /** How long building, formatting and starting the broker took (first {@link #shared()} call). */
    public Duration startupTime() {
        return startupTime;
    }

    /**
     * Stops the broker (controlled shutdown; the controller, the log directories and the address stay).
     * Clients then see connection errors until {@link #start()}. A test that stops the shared broker must
     * start it again (in a finally block), since every later test in the JVM uses it.
     */
    public synchronized void stop() {
        BrokerServer broker = broker();
        if (!broker.isShutdown()) {
            long t0 = System.nanoTime();
            broker.shutdown();
            broker.awaitShutdown();
            LOG.info("Test Kafka broker stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
    }

    /** Starts the broker again after {@link #stop()}, on the same address, and waits until it serves requests. */
    public synchronized void start() {
        BrokerServer broker = broker();
        if (!broker.isShutdown()) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            broker.startup();
            broker.lifecycleManager().initialUnfenceFuture().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            throw new IllegalStateException("cannot restart the test Kafka broker", e);
        }
        LOG.info("Test Kafka broker started again at {} in {} ms", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** {@link #stop()} then {@link #start()}. */
    public synchronized void restart() {
        stop();
        start();
    }

    public synchronized boolean isRunning() {
        return !broker().isShutdown();
    }

    private BrokerServer broker() {
        return cluster.brokers().values().iterator().next();
    }

    public void createTopic(String name, int partitions) {
        create(new NewTopic(name, Optional.of(partitions), Optional.empty()));
    }

    /** A topic with its own settings (e.g. {@code max.message.bytes}); an existing topic is left as it is. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        create(new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs));
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
