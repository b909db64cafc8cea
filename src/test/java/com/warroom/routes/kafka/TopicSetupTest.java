package com.warroom.routes.kafka;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeConfigsResult;
import org.apache.kafka.clients.admin.MockAdminClient;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Topic set-up at start, on Kafka's MockAdminClient. */
class TopicSetupTest {

    private static final Node BROKER = new Node(0, "localhost", 9092);
    private static final KafkaClientSettings SETTINGS = new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1"));

    /**
     * The controller acknowledges a creation before the broker answering a describe knows the topic:
     * the first describes of each new topic answer UnknownTopicOrPartition, as a KRaft broker may.
     */
    static final class LateMetadataAdmin extends MockAdminClient {
        final AtomicInteger unknownAnswers = new AtomicInteger();
        private final Map<String, AtomicInteger> describes = new ConcurrentHashMap<>();

        LateMetadataAdmin() {
            super(List.of(BROKER), BROKER);
        }

        @Override
        public synchronized DescribeConfigsResult describeConfigs(Collection<ConfigResource> resources, DescribeConfigsOptions options) {
            ConfigResource r = resources.iterator().next();
            if (describes.computeIfAbsent(r.name(), k -> new AtomicInteger()).incrementAndGet() <= 2) {
                unknownAnswers.incrementAndGet();
                KafkaFutureImpl<Config> f = new KafkaFutureImpl<>();
                f.completeExceptionally(new UnknownTopicOrPartitionException("not yet known: " + r.name()));
                return new DescribeConfigsResult(Map.<ConfigResource, KafkaFuture<Config>>of(r, f)) { };
            }
            return super.describeConfigs(resources, options);
        }
    }

    @Test
    void topicsCreatedAMomentAgoAreAskedForAgainUntilTheBrokerKnowsThem() throws Exception {
        try (LateMetadataAdmin admin = new LateMetadataAdmin()) {
            TopicSetup.ensure(admin, SETTINGS, "ledger", 1, List.of("catalog"), "incidents-dlq", 2_101_248, "journal", 90_000_000L);
            assertEquals(Set.of("ledger", "catalog", "incidents-dlq", "journal"), admin.listTopics().names().get());
            assertTrue(admin.unknownAnswers.get() >= 8, "each new topic answered unknown twice first: " + admin.unknownAnswers.get());
            ConfigResource ledger = new ConfigResource(ConfigResource.Type.TOPIC, "ledger");
            assertTrue(admin.describeConfigs(List.of(ledger)).all().get().get(ledger)
                    .get(TopicConfig.CLEANUP_POLICY_CONFIG).value().contains(TopicConfig.CLEANUP_POLICY_COMPACT));
        }
    }

    @Test
    void aLedgerCreatedHereIsCompactedAndDeletesAfterLedgerRetentionPlusADayByBrokerTime() throws Exception {
        long keep = com.warroom.routes.ledger.LedgerRetention.checked(java.time.Duration.ofDays(30).toMillis(), 3_600_000,
                java.time.Clock.systemUTC()).keepMillis();
        try (MockAdminClient admin = new MockAdminClient(List.of(BROKER), BROKER)) {
            TopicSetup.ensure(admin, SETTINGS, "war-room-ledger", 3, List.of("catalog"), "incidents-dlq", 2_101_248, "journal", keep);
            ConfigResource ledger = new ConfigResource(ConfigResource.Type.TOPIC, "war-room-ledger");
            Config config = admin.describeConfigs(List.of(ledger)).all().get().get(ledger);
            assertEquals("compact,delete", config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value());
            assertEquals(String.valueOf(java.time.Duration.ofDays(31).toMillis()), config.get(TopicConfig.RETENTION_MS_CONFIG).value());
            assertEquals("LogAppendTime", config.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG).value());
            ConfigResource catalog = new ConfigResource(ConfigResource.Type.TOPIC, "catalog");
            assertEquals(TopicConfig.CLEANUP_POLICY_COMPACT, admin.describeConfigs(List.of(catalog)).all().get().get(catalog)
                    .get(TopicConfig.CLEANUP_POLICY_CONFIG).value(), "the catalogs stay compacted only");
        }
    }

    /** An existing ledger is reported, never changed: one that deletes before LEDGER_RETENTION plus a day loudly. */
    @Test
    void anExistingLedgerIsReportedNotChanged() throws Exception {
        long keep = java.time.Duration.ofDays(31).toMillis();
        try (MockAdminClient admin = new MockAdminClient(List.of(BROKER), BROKER);
             com.warroom.routes.support.LogCapture log = com.warroom.routes.support.LogCapture.capture()) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("short", 1, (short) 1).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete", TopicConfig.RETENTION_MS_CONFIG, "604800000")),
                    new org.apache.kafka.clients.admin.NewTopic("forever", 1, (short) 1).configs(Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, "compact")))).all().get();
            TopicSetup.ensure(admin, SETTINGS, "short", 3, List.of(), "incidents-dlq", 2_101_248, null, keep);
            TopicSetup.ensure(admin, SETTINGS, "forever", 3, List.of(), "incidents-dlq", 2_101_248, null, keep);
            ConfigResource shortOne = new ConfigResource(ConfigResource.Type.TOPIC, "short");
            assertEquals("604800000", admin.describeConfigs(List.of(shortOne)).all().get().get(shortOne)
                    .get(TopicConfig.RETENTION_MS_CONFIG).value(), "not changed");
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("ERROR") && l.contains("ledger topic short")
                    && l.contains("deletes entries before LEDGER_RETENTION")), String.join("", log.lines()));
            assertTrue(log.lines().stream().anyMatch(l -> l.contains("WARN") && l.contains("ledger topic forever")
                    && l.contains("keeps entries longer than LEDGER_RETENTION")), String.join("", log.lines()));
        }
    }

    /** The budget journal counts by the broker's clock, never by its writers' (BudgetJournal). */
    @Test
    void theBudgetJournalIsStampedWithTheBrokersTime() throws Exception {
        try (MockAdminClient admin = new MockAdminClient(List.of(BROKER), BROKER)) {
            TopicSetup.ensure(admin, SETTINGS, "ledger", 1, List.of("catalog"), "incidents-dlq", 2_101_248, "journal", 90_000_000L);
            ConfigResource journal = new ConfigResource(ConfigResource.Type.TOPIC, "journal");
            Config config = admin.describeConfigs(List.of(journal)).all().get().get(journal);
            assertEquals("LogAppendTime", config.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG).value());
            assertEquals("3600000", config.get(TopicConfig.RETENTION_MS_CONFIG).value());
        }
    }
}
