package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.camel.support.task.ForegroundTask;
import org.apache.camel.support.task.Tasks;
import org.apache.camel.support.task.budget.Budgets;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics whose settings matter for the guarantees when they are missing: the ledger
 * must be compacted (a ledger that only deleted would forget war rooms of incidents still being
 * handled), and it deletes records once older than the view keeps them (LEDGER_RETENTION plus a
 * day, {@code ledgerKeepMillis}, by the broker's clock: {@code LogAppendTime}), since an incident
 * that old is never created again; the catalogs kept with tombstones are compacted too, and the
 * dead-letter topic must accept the copy of the largest record its source topics accept
 * ({@link RecordLimits#deadLetterTopicToCreate()}); the budget journal gets one partition and an
 * hour's retention (it is read back one window) and the broker's time
 * ({@code message.timestamp.type=LogAppendTime}). An existing ledger is never changed: one that is
 * not compacted or deletes sooner than that is reported loudly, one that keeps records longer is
 * reported.
 */
public final class TopicSetup {

    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);
    private static final long KNOWN_AGAIN_MILLIS = 100;

    private TopicSetup() {
    }

    public static void ensure(Admin admin, KafkaClientSettings settings, String ledgerTopic, int ledgerPartitions,
                              List<String> catalogTopics, String deadLetterTopic, int deadLetterMaxBytes, String journalTopic,
                              long ledgerKeepMillis)
            throws InterruptedException {
        try {
            List<NewTopic> wanted = new ArrayList<>();
            wanted.add(new NewTopic(ledgerTopic, Optional.of(ledgerPartitions), Optional.empty()).configs(ledgerConfigs(ledgerKeepMillis)));
            for (String catalog : catalogTopics) {
                wanted.add(new NewTopic(catalog, Optional.empty(), Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            }
            if (journalTopic != null) {
                // the budget journal is read back one window at start: an hour keeps more than enough; stamped with
                // the broker's time, so no writer's clock decides how long its calls count (BudgetJournal)
                wanted.add(new NewTopic(journalTopic, Optional.of(1), Optional.empty())
                        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "3600000",
                                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime")));
            }
            wanted.add(new NewTopic(deadLetterTopic, Optional.empty(), Optional.empty())
                    .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(deadLetterMaxBytes))));
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            for (NewTopic t : missing) {
                try {
                    admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                    LOG.info("created topic {} {}", t.name(), t.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
                describeOnceKnown(admin, t.name()); // known before anything reads it (RecordLimits reads the dead-letter topic next)
            }
            Config config = describeOnceKnown(admin, ledgerTopic);
            String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (policy == null || !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                LOG.error("ledger topic {} has cleanup.policy={}, not compact: war rooms older than its retention "
                        + "would be forgotten and opened again after a replay", ledgerTopic, policy);
            } else if (policy.contains(TopicConfig.CLEANUP_POLICY_DELETE) && retentionMillis(config) < ledgerKeepMillis) {
                LOG.error("ledger topic {} has cleanup.policy={} retention.ms={}: it deletes entries before LEDGER_RETENTION plus a day "
                        + "({} ms); an incident whose entry it deleted may be opened again: set retention.ms={} or lower LEDGER_RETENTION",
                        ledgerTopic, policy, value(config, TopicConfig.RETENTION_MS_CONFIG), ledgerKeepMillis, ledgerKeepMillis);
            } else if (!policy.contains(TopicConfig.CLEANUP_POLICY_DELETE) || retentionMillis(config) > ledgerKeepMillis) {
                LOG.warn("ledger topic {} has cleanup.policy={} retention.ms={}: it keeps entries longer than LEDGER_RETENTION plus "
                        + "a day ({} ms); they are dropped from memory, but read back at every start (not changed here; "
                        + "cleanup.policy=compact,delete with retention.ms={} bounds the topic too)", ledgerTopic, policy,
                        value(config, TopicConfig.RETENTION_MS_CONFIG), ledgerKeepMillis, ledgerKeepMillis);
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            // unreachable or refused: the start-up tries again (KafkaStartup)
            throw new KafkaException("cannot check topics " + ledgerTopic + " and " + deadLetterTopic + " on Kafka at " + settings.brokers()
                    + " (" + cause.getClass().getSimpleName() + ")", cause);
        }
    }

    /** What a ledger topic created here is given: compacted, and records older than the view keeps deleted, by broker time. */
    static Map<String, String> ledgerConfigs(long ledgerKeepMillis) {
        return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(ledgerKeepMillis),
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
    }

    private static String value(Config config, String name) {
        org.apache.kafka.clients.admin.ConfigEntry e = config.get(name);
        return e == null ? null : e.value();
    }

    /** retention.ms of a topic; -1 (for ever) when unset or unreadable */
    private static long retentionMillis(Config config) {
        String v = value(config, TopicConfig.RETENTION_MS_CONFIG);
        try {
            long ms = v == null ? -1 : Long.parseLong(v.trim());
            return ms < 0 ? Long.MAX_VALUE : ms;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * A topic's configuration; for one created a moment ago, once the broker answering knows it. The
     * controller acknowledges a creation before every broker's metadata has it, and a describe in
     * between answers UnknownTopicOrPartition (seen at start with a new ledger topic, then the start
     * failed). Kafka's clients have no option to wait for that, so this asks again for up to 30 s, as
     * Camel's own blocking task (what camel-kafka waits for a consumer with).
     */
    static Config describeOnceKnown(Admin admin, String topic) throws ExecutionException, InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        ForegroundTask task = Tasks.foregroundTask().withBudget(Budgets.iterationTimeBudget().withMaxDuration(Duration.ofSeconds(30))
                .withInterval(Duration.ofMillis(KNOWN_AGAIN_MILLIS)).build()).build();
        Optional<Config> known = task.run(null, () -> {
            try {
                return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            } catch (Exception e) {
                if (e instanceof ExecutionException && e.getCause() instanceof UnknownTopicOrPartitionException) {
                    return null; // asked again after the interval
                }
                throw new CompletionException(e); // ends the task, which keeps it
            }
        }, Objects::nonNull);
        if (known.isEmpty() && Thread.interrupted()) {
            throw new InterruptedException();
        }
        // named by its cause: the last failure, or the topic still unknown after 30 s
        Throwable failure = task.getException() == null ? new UnknownTopicOrPartitionException(topic) : task.getException().getCause();
        return known.orElseThrow(() -> failure instanceof ExecutionException x ? x : new ExecutionException(failure));
    }
}
