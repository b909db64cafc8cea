package com.warroom.routes.app;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import com.warroom.routes.Backoff;
import com.warroom.routes.SettingsAsData;
import com.warroom.routes.StartupProblem;
import com.warroom.routes.budget.BudgetSettings;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.warroom.WarRoomRequests;
import org.apache.camel.util.TimeUtils;

/**
 * Every setting the beans read, one record per prefix of config/application.properties, read once
 * from the resolved properties and typed: a missing key or a bad value stops the start with one line
 * naming the key ({@link StartupProblem}). Settings the routes use only as placeholders stay there.
 */
public record Settings(Kafka kafka, Topics topics, Flashduty flashduty, Budget budget, WarRoom warRoom, RocketChat rocketChat,
                       Duration templateSyncInterval, boolean tracing) {

    /** kafka.*, consumer.group and background.stall-timeout: the clients, the consumers' poll and the Kafka retries. */
    public record Kafka(KafkaClientSettings client, String consumerGroup, int maxPollRecords, long maxPollIntervalMs,
                        Integer maxRecordBytes, int producerMaxRequestBytes, Backoff retry, Duration stallTimeout,
                        int deliveryTimeoutMs, boolean createTopics, int ledgerPartitions, String isolationLevel) {
    }

    /** *.topic */
    public record Topics(String incident, String result, String deadLetter, String ledger, String templateRequest, String template,
                         String integration) {
    }

    /** flashduty.* but the budget's */
    public record Flashduty(String appKeyFile, int maxAnswerBytes, long responseTimeoutMs, Duration callTimeout, Backoff retry,
                            int maxAttempts, int rateLimitedAttempts, boolean createAfterTimeout) {
    }

    /** flashduty.rate-*, *-window, other-max-share, budget-sharing, budget-group and budget-journal.topic */
    public record Budget(BudgetSettings limits, int otherMaxShare, String group, String journalTopic) {
    }

    /** war-room.*, ledger.retention and catalog.refresh */
    public record WarRoom(Duration maxEventAge, Duration clockSkewTolerance, Long integrationId, List<Long> memberIds,
                          boolean addObservers, Duration ledgerRetention, Duration catalogRefresh) {
    }

    /** rocketchat.* */
    public record RocketChat(boolean enabled, String userIdFile, String authTokenFile, int pageSize, int maxPages, Duration refresh,
                             int maxAnswerBytes, Duration callTimeout) {
    }

    /** Kafka's producer requires delivery.timeout.ms >= linger.ms (0) + request.timeout.ms (30,000, Camel's and Kafka's default). */
    static final int MIN_DELIVERY_TIMEOUT_MS = 30_000;

    /** Reads and checks every setting; {@code properties} resolves a key as Camel does (placeholders, environment, overrides). */
    public static Settings read(Function<String, Optional<String>> properties) {
        Keys k = new Keys(properties);
        // first: a setting a route evaluates must be plain data before anything reads it
        SettingsAsData.check(k::text, System::getenv);
        String consumerGroup = k.text("consumer.group");
        String budgetGroup = k.text("flashduty.budget-group");
        budgetGroup = budgetGroup.isEmpty() ? consumerGroup + "-budget" : budgetGroup;
        String journal = k.text("budget-journal.topic");
        int deliveryTimeoutMs = k.integer("kafka.delivery-timeout-ms");
        if (deliveryTimeoutMs < MIN_DELIVERY_TIMEOUT_MS) {
            // Kafka's producer would refuse it at construction, with a stack trace naming its own settings
            throw new StartupProblem("KAFKA_DELIVERY_TIMEOUT_MS must be at least " + MIN_DELIVERY_TIMEOUT_MS
                    + " (the producers' request time-out of 30 s plus linger.ms 0): " + deliveryTimeoutMs);
        }
        String maxRecordBytes = k.text("kafka.max-record-bytes");
        String integrationId = k.text("war-room.integration-id");
        String syncInterval = k.text("template.sync-interval");
        // the route's precondition is "set": a set interval of 0 would run one sync at start into a topic never created
        if (!syncInterval.isEmpty() && k.duration("template.sync-interval").toMillis() <= 0) {
            throw new StartupProblem("template.sync-interval is not a positive duration (empty: off): " + syncInterval);
        }
        return new Settings(
                new Kafka(KafkaClientSettings.read(k::text, System::getenv), consumerGroup, k.integer("kafka.max-poll-records"),
                        k.integer("kafka.max-poll-interval-ms"),
                        maxRecordBytes.isEmpty() ? null : k.positive("kafka.max-record-bytes", "number of bytes"),
                        k.integer("kafka.producer-max-request-bytes"), k.backoff("kafka.retry"), k.duration("background.stall-timeout"),
                        deliveryTimeoutMs, k.bool("kafka.create-topics"), k.integer("kafka.ledger-partitions"), k.text("kafka.isolation-level")),
                new Topics(k.text("incident.topic"), k.text("result.topic"), k.text("dead-letter.topic"), k.text("ledger.topic"),
                        k.text("template-request.topic"), k.text("template.topic"), k.text("integration.topic")),
                new Flashduty(k.text("flashduty.app-key-file"), k.positive("flashduty.max-answer-bytes", "number of bytes"),
                        k.integer("flashduty.response-timeout-ms"),
                        Duration.ofMillis(k.positive("flashduty.call-timeout-ms", "number of milliseconds")), k.backoff("flashduty.retry"),
                        k.positive("flashduty.retry.max-attempts", "number"), k.positive("flashduty.retry.rate-limited-attempts", "number"),
                        k.bool("flashduty.retry.create-after-timeout")),
                new Budget(new BudgetSettings(k.integer("flashduty.rate-per-second"), k.integer("flashduty.rate-per-minute"),
                        k.duration("flashduty.second-window").toMillis(), k.duration("flashduty.minute-window").toMillis(),
                        k.bool("flashduty.budget-sharing")), k.percent("flashduty.other-max-share"), budgetGroup,
                        journal.isEmpty() ? budgetGroup + "-journal" : journal),
                new WarRoom(k.duration("war-room.max-event-age"), k.duration("war-room.clock-skew-tolerance"),
                        integrationId.isEmpty() ? null : Long.parseLong(integrationId), WarRoomRequests.parseIds(k.text("war-room.member-ids")),
                        k.bool("war-room.add-observers"), k.duration("ledger.retention"), k.duration("catalog.refresh")),
                new RocketChat(!k.text("rocketchat.url").isEmpty(), k.text("rocketchat.user-id-file"), k.text("rocketchat.auth-token-file"),
                        k.positive("rocketchat.page-size", "number"), k.positive("rocketchat.max-pages", "number"),
                        k.duration("rocketchat.refresh"), k.positive("rocketchat.max-answer-bytes", "number of bytes"),
                        Duration.ofMillis(k.positive("rocketchat.call-timeout-ms", "number of milliseconds"))),
                syncInterval.isEmpty() ? Duration.ZERO : k.duration("template.sync-interval"), k.bool("tracing.enabled"));
    }

    /** Typed reads of one key each, with the one-line message a bad value stops the start with. */
    private record Keys(Function<String, Optional<String>> properties) {

        String text(String key) {
            return properties.apply(key).map(String::trim)
                    .orElseThrow(() -> new StartupProblem("configuration key " + key + " is missing from the properties"));
        }

        int integer(String key) {
            return number(key, text(key), Integer.MIN_VALUE, Integer.MAX_VALUE, "a whole number");
        }

        boolean bool(String key) {
            return Boolean.parseBoolean(text(key));
        }

        /** {@code what}: how the message names the unit, e.g. "number of bytes". */
        int positive(String key, String what) {
            return number(key, text(key), 1, Integer.MAX_VALUE, "a positive " + what);
        }

        /** "50" or "50%": a whole percentage from 1 to 100. */
        int percent(String key) {
            String v = text(key);
            return number(key, v.endsWith("%") ? v.substring(0, v.length() - 1).trim() : v, 1, 100, "a percentage from 1 to 100");
        }

        private static int number(String key, String v, int min, int max, String what) {
            try {
                int n = Integer.parseInt(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new StartupProblem(key + " is not " + what + ": " + v);
        }

        /** "1h", "60s", "500ms" or plain milliseconds. */
        Duration duration(String key) {
            String v = text(key);
            try {
                return Duration.ofMillis(TimeUtils.toMilliSeconds(v));
            } catch (RuntimeException e) {
                throw new StartupProblem(key + " is not a duration (e.g. 500ms, 60s, 1h): " + v);
            }
        }

        /** {@code prefix}.initial-backoff and {@code prefix}.max-backoff */
        Backoff backoff(String prefix) {
            return new Backoff(duration(prefix + ".initial-backoff"), duration(prefix + ".max-backoff"));
        }
    }
}
