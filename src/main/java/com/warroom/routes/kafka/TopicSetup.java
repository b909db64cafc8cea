package com.warroom.routes.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.StartupProblem;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics whose settings matter for the guarantees when they are missing: the ledger
 * must be compacted (a deleting ledger would forget war rooms and open second ones after its
 * retention), so must the catalogs kept with tombstones, and the dead-letter topic must accept the
 * copy of the largest record its source topics accept ({@link RecordLimits#deadLetterTopicToCreate()});
 * the budget journal gets one partition, an hour's retention (it is read back one window) and the
 * broker's time ({@code message.timestamp.type=LogAppendTime}).
 * An existing ledger that is not compacted is reported loudly, not changed.
 */
public final class TopicSetup {

    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);
    private static final long KNOWN_AGAIN_MILLIS = 100;

    private TopicSetup() {
    }

    public static void ensure(Admin admin, KafkaClientSettings settings, String ledgerTopic, int ledgerPartitions,
                              List<String> catalogTopics, String deadLetterTopic, int deadLetterMaxBytes, String journalTopic)
            throws InterruptedException {
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            if (!existing.contains(ledgerTopic)) {
                missing.add(new NewTopic(ledgerTopic, Optional.of(ledgerPartitions), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            }
            for (String catalog : catalogTopics) {
                if (!existing.contains(catalog)) {
                    missing.add(new NewTopic(catalog, Optional.empty(), Optional.empty())
                            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
                }
            }
            if (journalTopic != null && !existing.contains(journalTopic)) {
                // the budget journal is read back one window at start: an hour keeps more than enough; stamped with
                // the broker's time, so no writer's clock decides how long its calls count (BudgetJournal)
                missing.add(new NewTopic(journalTopic, Optional.of(1), Optional.empty())
                        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "3600000",
                                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime")));
            }
            if (!existing.contains(deadLetterTopic)) {
                missing.add(new NewTopic(deadLetterTopic, Optional.empty(), Optional.empty())
                        .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(deadLetterMaxBytes))));
            }
            for (NewTopic t : missing) {
                try {
                    admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                    LOG.info("created topic {} {}", t.name(), t.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            // each topic created here is known before anything reads it (RecordLimits reads the dead-letter topic next)
            for (NewTopic t : missing) {
                if (!t.name().equals(ledgerTopic)) {
                    describeOnceKnown(admin, t.name());
                }
            }
            Config config = describeOnceKnown(admin, ledgerTopic);
            String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (policy == null || !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                LOG.error("ledger topic {} has cleanup.policy={}, not compact: war rooms older than its retention "
                        + "would be forgotten and opened again after a replay", ledgerTopic, policy);
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new StartupProblem("cannot reach Kafka at " + settings.brokers() + " to check topics " + ledgerTopic
                    + " and " + deadLetterTopic + " (" + cause.getClass().getSimpleName() + ")");
        }
    }

    /**
     * A topic's configuration; for one created a moment ago, once the broker answering knows it. The
     * controller acknowledges a creation before every broker's metadata has it, and a describe in
     * between answers UnknownTopicOrPartition (seen at start with a new ledger topic, then the start
     * failed). Kafka's clients have no option to wait for that, so this asks again for up to 30 s.
     */
    static Config describeOnceKnown(Admin admin, String topic)
            throws ExecutionException, java.util.concurrent.TimeoutException, InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(KNOWN_AGAIN_MILLIS);
            }
        }
    }
}
