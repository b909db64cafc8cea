package com.warroom.routes;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.budget.BudgetJournal;
import com.warroom.routes.budget.BudgetSettings;
import com.warroom.routes.budget.ReplicaBudgetShare;
import com.warroom.routes.catalog.ImCatalogPublisher;
import com.warroom.routes.catalog.RocketChatAuth;
import com.warroom.routes.catalog.ImCatalogFreshness;
import com.warroom.routes.catalog.RocketChatPages;
import com.warroom.routes.flashduty.CallDeadline;
import com.warroom.routes.flashduty.FlashdutyAuth;
import com.warroom.routes.http.BoundedAnswers;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.incident.EventAge;
import com.warroom.routes.kafka.BrokerClock;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.incident.IncidentKeyCheck;
import com.warroom.routes.kafka.CommitPerRecord;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.KafkaFailures;
import com.warroom.routes.kafka.KafkaPollFailures;
import com.warroom.routes.kafka.RecordDeadline;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.ledger.LedgerEntryCodec;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.observe.BackgroundThreads;
import com.warroom.routes.observe.HealthPage;
import com.warroom.routes.observe.ReadinessCheck;
import com.warroom.routes.observe.WarRoomMetrics;
import com.warroom.routes.security.Secret;
import com.warroom.routes.templates.TemplateLookups;
import com.warroom.routes.templates.TemplateSync;
import com.warroom.routes.warroom.ImIntegrationCatalog;
import com.warroom.routes.warroom.WarRoomRequests;
import com.warroom.routes.warroom.WarRoomResults;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.PropertyInject;
import org.apache.camel.util.TimeUtils;

/**
 * Every bean the YAML routes refer to by name, and the few they are built on: each is one
 * {@code @BindToRegistry} method (bean name = method name, type = return type) that Camel Main calls
 * before any route starts, with the configuration keys it reads as {@code @PropertyInject} parameters
 * and the beans it needs as parameters (found by type, or by {@code @BeanInject} name for library
 * types). Binding talks to no one: the Kafka-backed beans only open their clients at start
 * ({@link KafkaAtStart}), so a route test binds these same groups without a broker and replaces
 * what it must with test doubles.
 * <p>
 * The beans come in four groups, bound in the order of {@link #GROUPS}: a group's beans are built from
 * the configuration and from beans of the groups before it, never of its own group, because Camel
 * calls the {@code @BindToRegistry} methods of one class in an order of its own (by parameter count,
 * not by what each needs).
 * <p>
 * {@link #beans()} reads the names and types off these methods, so {@code validate} checks route
 * references against the very methods that bind them, without building anything.
 * <p>
 * Values are injected as text and read here as before (trimmed; durations as 500ms, 60s or 1h;
 * booleans as Java reads them), so a bad value stops the start with the same one-line message
 * ({@link StartupProblem}), and a key missing from the properties too ({@link #requireKeys}).
 */
public final class WarRoomBeans {

    /** The groups, in the order they are bound. */
    public static final List<Class<? extends CamelConfiguration>> GROUPS = List.of(Settings.class, Steps.class, Kafka.class, Observe.class);

    static final String METRICS_REGISTRY = "metricsRegistry";
    /** Jackson's read limits on the shared mapper besides the document length ({@link Settings#readLimits}). */
    static final int MAX_NESTING = 100;
    static final int MAX_STRING_CHARS = 4 * 1024 * 1024;
    static final int MAX_NUMBER_CHARS = 100;
    /** Kafka's producer requires delivery.timeout.ms >= linger.ms (0) + request.timeout.ms (30,000, Camel's and Kafka's default). */
    static final int MIN_DELIVERY_TIMEOUT_MS = 30_000;

    private WarRoomBeans() {
    }

    /**
     * One instance of each group, in order, for {@code MainConfigurationProperties.addConfiguration}.
     * Instances, not classes: Camel Main post-processes a configuration class once when it creates it
     * and again before {@code configure}, which would bind every bean twice.
     */
    public static List<CamelConfiguration> configurations() {
        return GROUPS.stream().map(WarRoomBeans::instance).toList();
    }

    private static CamelConfiguration instance(Class<? extends CamelConfiguration> group) {
        try {
            return group.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(group.getName() + " has no public no-argument constructor", e);
        }
    }

    /** Every bean the groups bind, by name (sorted), with its type: what {@code validate} checks references against. */
    public static Map<String, Class<?>> beans() {
        Map<String, Class<?>> beans = new TreeMap<>();
        for (Class<?> group : GROUPS) {
            for (Method m : group.getDeclaredMethods()) {
                BindToRegistry bind = m.getAnnotation(BindToRegistry.class);
                if (bind != null) {
                    beans.put(bind.value().isEmpty() ? m.getName() : bind.value(), m.getReturnType());
                }
            }
        }
        return beans;
    }

    /** Configuration values and the shared state built straight from them. */
    public static final class Settings implements CamelConfiguration, CamelContextAware {

        private CamelContext context;

        /** Camel sets the context before it binds anything: the first moment every key can be checked. */
        @Override
        public void setCamelContext(CamelContext camelContext) {
            this.context = camelContext;
            requireKeys(camelContext, GROUPS);
            SettingsAsData.check(key -> camelContext.getPropertiesComponent().resolveProperty(key).orElse(""), System::getenv);
        }

        @Override
        public CamelContext getCamelContext() {
            return context;
        }

        /** Whether each catalog source's latest refresh failed (a stale source keeps its last good entries). */
        @BindToRegistry
        public ImCatalogFreshness imCatalogFreshness(@PropertyInject("rocketchat.url") String rocketChatUrl) {
            return new ImCatalogFreshness(!rocketChatUrl.trim().isEmpty());
        }

        /**
         * The one mapper every answer (and every record this module reads back) goes through, with
         * Jackson's read limits: no document longer than the larger answer cap, nesting, strings and
         * numbers bounded ({@link #readLimits}).
         */
        @BindToRegistry
        public ObjectMapper objectMapper(@PropertyInject("flashduty.max-answer-bytes") String flashdutyMaxBytes,
                                         @PropertyInject("rocketchat.max-answer-bytes") String rocketChatMaxBytes) {
            long maxDocument = Math.max(positiveInt("flashduty.max-answer-bytes", flashdutyMaxBytes, "number of bytes"),
                    positiveInt("rocketchat.max-answer-bytes", rocketChatMaxBytes, "number of bytes"));
            return new ObjectMapper(JsonFactory.builder().streamReadConstraints(readLimits(maxDocument)).build());
        }

        /**
         * Nesting 100 (Flashduty's and Rocket.Chat's answers nest under 10), numbers of 100 digits, strings
         * of 4 Mi characters: above the 2 MiB chat_name fault scenario 17 answers with (clipped by AnswerFields,
         * the room recorded rather than lost to a parse failure), below what the document cap allows.
         */
        static StreamReadConstraints readLimits(long maxDocumentBytes) {
            return StreamReadConstraints.builder().maxDocumentLength(maxDocumentBytes).maxNestingDepth(MAX_NESTING)
                    .maxStringLength(MAX_STRING_CHARS).maxNumberLength(MAX_NUMBER_CHARS).build();
        }

        /**
         * The Prometheus registry /observe/metrics serves: camel-micrometer-prometheus uses the one bound
         * as {@value #METRICS_REGISTRY} and creates it only when none is bound, so whichever comes first
         * creates it and both share it.
         */
        @BindToRegistry
        public MeterRegistry metricsRegistry(CamelContext camel) {
            MeterRegistry existing = camel.getRegistry().lookupByNameAndType(METRICS_REGISTRY, MeterRegistry.class);
            return existing != null ? existing : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        }

        @BindToRegistry
        public KafkaClientSettings kafkaClientSettings(@PropertyInject("kafka.brokers") String brokers,
                                                       @PropertyInject("kafka.security-protocol") String securityProtocol,
                                                       @PropertyInject("kafka.sasl-mechanism") String saslMechanism,
                                                       @PropertyInject("kafka.sasl-jaas-config") String saslJaasConfig) {
            return new KafkaClientSettings(brokers.trim(), securityProtocol.trim(), saslMechanism.trim(), saslJaasConfig.trim());
        }

        @BindToRegistry
        public AccountRateBudget accountRateBudget(@PropertyInject("flashduty.rate-per-second") String perSecond,
                                                   @PropertyInject("flashduty.rate-per-minute") String perMinute,
                                                   @PropertyInject("flashduty.second-window") String secondWindow,
                                                   @PropertyInject("flashduty.minute-window") String minuteWindow,
                                                   @PropertyInject("flashduty.other-max-share") String otherMaxShare) {
            AccountRateBudget budget = new AccountRateBudget(integer(perSecond), integer(perMinute),
                    millis("flashduty.second-window", secondWindow), millis("flashduty.minute-window", minuteWindow));
            budget.capOthers(percent("flashduty.other-max-share", otherMaxShare));
            return budget;
        }

        @BindToRegistry
        public RecordLimits recordLimits(@PropertyInject("incident.topic") String incidentTopic,
                                         @PropertyInject("template-request.topic") String templateRequestTopic,
                                         @PropertyInject("dead-letter.topic") String deadLetterTopic,
                                         @PropertyInject("kafka.max-record-bytes") String maxRecordBytes) {
            String max = maxRecordBytes.trim();
            return new RecordLimits(incidentTopic.trim(), templateRequestTopic.trim(), deadLetterTopic.trim(),
                    max.isEmpty() ? null : positiveInt("kafka.max-record-bytes", max, "number of bytes"));
        }

        @BindToRegistry
        public FlashdutyAuth flashdutyAuth(@PropertyInject("flashduty.app-key-file") String appKeyFile,
                                           @PropertyInject("flashduty.max-answer-bytes") String maxAnswerBytes) {
            Secret appKey = Secret.from("FLASHDUTY_APP_KEY", appKeyFile.trim());
            if (!appKey.isPresent()) {
                throw new StartupProblem("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
            }
            // the whole-exchange deadline is CallDeadline's (it also keeps to the record's deadline)
            return new FlashdutyAuth(appKey, BoundedAnswers.capped("FLASHDUTY_MAX_ANSWER_BYTES",
                    positiveInt("flashduty.max-answer-bytes", maxAnswerBytes, "number of bytes")));
        }

        @BindToRegistry
        public RocketChatAuth rocketChatAuth(@PropertyInject("rocketchat.user-id-file") String userIdFile,
                                             @PropertyInject("rocketchat.auth-token-file") String authTokenFile,
                                             @PropertyInject("rocketchat.max-answer-bytes") String maxAnswerBytes,
                                             @PropertyInject("rocketchat.call-timeout-ms") String callTimeoutMs) {
            BoundedAnswers answers = BoundedAnswers.capped("ROCKETCHAT_MAX_ANSWER_BYTES",
                    positiveInt("rocketchat.max-answer-bytes", maxAnswerBytes, "number of bytes"))
                    .withDeadline("ROCKETCHAT_CALL_TIMEOUT_MS",
                            Duration.ofMillis(positiveInt("rocketchat.call-timeout-ms", callTimeoutMs, "number of milliseconds")));
            return new RocketChatAuth(Secret.from("ROCKETCHAT_USER_ID", userIdFile.trim()),
                    Secret.from("ROCKETCHAT_AUTH_TOKEN", authTokenFile.trim()), answers);
        }

        /** The broker's clock as last seen in a broker-stamped acknowledgement (the budget journal's). */
        @BindToRegistry
        public BrokerClock brokerClock() {
            return new BrokerClock();
        }

        /** Route predicate beyond-ledger-retention, and how long the ledger keeps an entry (checked against the stale limit). */
        @BindToRegistry
        public LedgerRetention ledgerRetention(@PropertyInject("ledger.retention") String retention,
                                               @PropertyInject("war-room.max-event-age") String maxAge) {
            return LedgerRetention.checked(millis("ledger.retention", retention), millis("war-room.max-event-age", maxAge), Clock.systemUTC());
        }

        @BindToRegistry
        public CommitPerRecord commitPerRecord() {
            return new CommitPerRecord();
        }
    }

    /** What the route steps call, built on the settings; and the supervisor of the background threads. */
    public static final class Steps implements CamelConfiguration {

        @BindToRegistry
        public ImIntegrationCatalog imIntegrationCatalog(@BeanInject(METRICS_REGISTRY) MeterRegistry registry,
                                                         @PropertyInject("war-room.integration-id") String pinned,
                                                         @PropertyInject("catalog.refresh") String refresh) {
            return new ImIntegrationCatalog(pinned.isBlank() ? null : Long.parseLong(pinned.trim()),
                    new EmptyListConfirmation(Duration.ofMillis(millis("catalog.refresh", refresh))), registry);
        }

        @BindToRegistry
        public EventAge eventAge(@BeanInject(METRICS_REGISTRY) MeterRegistry registry, BrokerClock brokerClock,
                                 @PropertyInject("war-room.max-event-age") String maxAge,
                                 @PropertyInject("war-room.clock-skew-tolerance") String tolerance) {
            return new EventAge(Duration.ofMillis(millis("war-room.max-event-age", maxAge)),
                    Duration.ofMillis(millis("war-room.clock-skew-tolerance", tolerance)), Clock.systemUTC(), brokerClock, registry);
        }

        @BindToRegistry
        public FlashdutyResponses flashdutyResponses(@BeanInject("objectMapper") ObjectMapper mapper, AccountRateBudget budget,
                                                     @PropertyInject("flashduty.retry.max-attempts") String maxAttempts,
                                                     @PropertyInject("flashduty.retry.rate-limited-attempts") String rateLimitedAttempts,
                                                     @PropertyInject("flashduty.retry.initial-backoff") String initialBackoff,
                                                     @PropertyInject("flashduty.retry.max-backoff") String maxBackoff,
                                                     @PropertyInject("flashduty.retry.create-after-timeout") String createAfterTimeout) {
            return new FlashdutyResponses(mapper, budget, integer(maxAttempts), integer(rateLimitedAttempts),
                    Duration.ofMillis(millis("flashduty.retry.initial-backoff", initialBackoff)),
                    Duration.ofMillis(millis("flashduty.retry.max-backoff", maxBackoff)), bool(createAfterTimeout));
        }

        @BindToRegistry
        public CallDeadline flashdutyCallDeadline(@PropertyInject("flashduty.call-timeout-ms") String callTimeoutMs,
                                                  @PropertyInject("flashduty.response-timeout-ms") String responseTimeoutMs) {
            return new CallDeadline(Duration.ofMillis(positiveInt("flashduty.call-timeout-ms", callTimeoutMs, "number of milliseconds")),
                    Duration.ofMillis(Long.parseLong(responseTimeoutMs.trim())));
        }

        @BindToRegistry
        public KafkaFailures kafkaFailures(@BeanInject(METRICS_REGISTRY) MeterRegistry registry,
                                           @PropertyInject("kafka.retry.initial-backoff") String initialBackoff,
                                           @PropertyInject("kafka.retry.max-backoff") String maxBackoff) {
            return new KafkaFailures(Duration.ofMillis(millis("kafka.retry.initial-backoff", initialBackoff)),
                    Duration.ofMillis(millis("kafka.retry.max-backoff", maxBackoff)), registry);
        }

        @BindToRegistry
        public BackgroundThreads backgroundThreads(AccountRateBudget budget, @BeanInject(METRICS_REGISTRY) MeterRegistry registry,
                                                   @PropertyInject("background.stall-timeout") String stallTimeout) {
            return new BackgroundThreads(budget, registry, millis("background.stall-timeout", stallTimeout), System::nanoTime);
        }

        @BindToRegistry
        public IncomingRecord incomingRecord(AccountRateBudget budget,
                                             @PropertyInject("kafka.max-poll-interval-ms") String maxPollIntervalMs,
                                             @PropertyInject("kafka.max-poll-records") String maxPollRecords,
                                             @PropertyInject("flashduty.response-timeout-ms") String responseTimeoutMs,
                                             @PropertyInject("kafka.delivery-timeout-ms") String deliveryTimeoutMs) {
            long perRecordMillis = RecordDeadline.perRecordMillis(Long.parseLong(maxPollIntervalMs.trim()), integer(maxPollRecords),
                    Long.parseLong(responseTimeoutMs.trim()));
            if (perRecordMillis < budget.longestWindowMillis()) {
                // a record that must wait out a full window would be taken away mid-call by the group
                throw new StartupProblem("KAFKA_MAX_POLL_INTERVAL_MS and KAFKA_MAX_POLL_RECORDS leave each record " + perRecordMillis
                        + " ms (" + RecordDeadline.USABLE_PERCENT_TEXT + " of the interval per record, less a response time-out), "
                        + "less than the longest rate window of " + budget.longestWindowMillis() + " ms: raise the interval or lower the records");
            }
            return new IncomingRecord(perRecordMillis, RecordDeadline.ledgerWriteMillis(Long.parseLong(maxPollIntervalMs.trim()),
                    Long.parseLong(deliveryTimeoutMs.trim())));
        }

        @BindToRegistry
        public IncidentEventParser incidentEventParser(RecordLimits limits) {
            return new IncidentEventParser(limits);
        }

        @BindToRegistry
        public IncidentKeyCheck incidentKeyCheck(@BeanInject(METRICS_REGISTRY) MeterRegistry registry) {
            return new IncidentKeyCheck(registry);
        }

        @BindToRegistry
        public TemplateLookups templateLookups(@BeanInject("objectMapper") ObjectMapper mapper, RecordLimits limits) {
            return new TemplateLookups(mapper, limits);
        }

        /** The 429 waits of one Rocket.Chat refresh end by its period, so the next refresh is never pushed out further. */
        @BindToRegistry
        public RocketChatPages rocketChatPages(@BeanInject("objectMapper") ObjectMapper mapper,
                                               @PropertyInject("rocketchat.page-size") String pageSize,
                                               @PropertyInject("rocketchat.max-pages") String maxPages,
                                               @PropertyInject("rocketchat.refresh") String refresh) {
            return new RocketChatPages(mapper, positiveInt("rocketchat.page-size", pageSize, "number"),
                    positiveInt("rocketchat.max-pages", maxPages, "number"), millis("rocketchat.refresh", refresh));
        }

        @BindToRegistry
        public WarRoomRequests warRoomRequests(@BeanInject("objectMapper") ObjectMapper mapper,
                                               @PropertyInject("war-room.add-observers") String addObservers,
                                               @PropertyInject("war-room.member-ids") String memberIds) {
            return new WarRoomRequests(mapper, bool(addObservers), WarRoomRequests.parseIds(memberIds.trim()));
        }

        @BindToRegistry
        public WarRoomResults warRoomResults(@BeanInject("objectMapper") ObjectMapper mapper) {
            return new WarRoomResults(mapper);
        }
    }

    /**
     * The beans with a Kafka client of their own. None connects here: {@link KafkaAtStart} opens them
     * before any route starts and closes them when Camel stops (a route test replaces the ones it
     * needs). With them, the consumers' poll-failure strategy.
     */
    public static final class Kafka implements CamelConfiguration {

        /** how a failed background client comes back: the same backoff as a record Kafka failed */
        @PropertyInject("kafka.retry.initial-backoff")
        String initialBackoff;
        @PropertyInject("kafka.retry.max-backoff")
        String maxBackoff;

        /** onWhen of the doCatch clauses that retry a record later (or in place): a Kafka failure a retry can change. */
        @BindToRegistry
        public KafkaFailures.Caught retriableKafkaFailure() {
            return new KafkaFailures.Caught(KafkaFailures.Kind.RETRY);
        }

        /** onWhen of the ledger write's redelivery (routes/05-error-handling.yaml): a retriable failure of step write-ledger. */
        @BindToRegistry
        public KafkaFailures.Caught ledgerWriteFailed() {
            return new KafkaFailures.Caught(KafkaFailures.Kind.RETRY, "ledgerWriting");
        }

        /** onWhen of the doCatch clauses that stop consuming: Kafka refused this module. */
        @BindToRegistry
        public KafkaFailures.Caught kafkaRefusal() {
            return new KafkaFailures.Caught(KafkaFailures.Kind.STOP);
        }

        @BindToRegistry
        public DeadLetterPublisher deadLetterPublisher(KafkaClientSettings kafka, @PropertyInject("dead-letter.topic") String topic,
                                                       @PropertyInject("kafka.delivery-timeout-ms") String deliveryTimeoutMs) {
            return new DeadLetterPublisher(kafka, topic.trim(), deliveryTimeout(deliveryTimeoutMs));
        }

        @BindToRegistry
        public BudgetJournal budgetJournal(KafkaClientSettings kafka, BrokerClock brokerClock, @PropertyInject("budget-journal.topic") String topic,
                                           @PropertyInject("flashduty.budget-group") String budgetGroup,
                                           @PropertyInject("consumer.group") String consumerGroup,
                                           @PropertyInject("flashduty.budget-sharing") String sharing,
                                           @PropertyInject("kafka.delivery-timeout-ms") String deliveryTimeoutMs) {
            // with sharing off, the others' claims are not counted (the process takes the whole budget), its own still written
            return new BudgetJournal(kafka, journalTopic(topic, budgetGroup, consumerGroup), deliveryTimeout(deliveryTimeoutMs), brokerClock,
                    bool(sharing));
        }

        /** With flashduty.budget-sharing off, an observer member: it takes no share, but the group sees its settings and it sees the group's. */
        @BindToRegistry
        public ReplicaBudgetShare replicaBudgetShare(AccountRateBudget budget, KafkaClientSettings kafka, BackgroundThreads threads,
                                                     @PropertyInject("flashduty.budget-sharing") String sharing,
                                                     @PropertyInject("flashduty.budget-group") String budgetGroup,
                                                     @PropertyInject("consumer.group") String consumerGroup,
                                                     @PropertyInject("ledger.topic") String ledgerTopic,
                                                     @PropertyInject("flashduty.rate-per-second") String perSecond,
                                                     @PropertyInject("flashduty.rate-per-minute") String perMinute,
                                                     @PropertyInject("flashduty.second-window") String secondWindow,
                                                     @PropertyInject("flashduty.minute-window") String minuteWindow) {
            BudgetSettings own = new BudgetSettings(integer(perSecond), integer(perMinute), millis("flashduty.second-window", secondWindow),
                    millis("flashduty.minute-window", minuteWindow), bool(sharing));
            return new ReplicaBudgetShare(budget, own, kafka, budgetGroup(budgetGroup, consumerGroup), ledgerTopic.trim(),
                    threads, initialBackoff(), maxBackoff());
        }

        /** The ledger's follower fails closed: while it cannot see other replicas' entries, no Flashduty call starts. */
        @BindToRegistry
        public WarRoomLedger warRoomLedger(KafkaClientSettings kafka, @BeanInject("objectMapper") ObjectMapper mapper,
                                           BackgroundThreads threads, LedgerRetention retention, @PropertyInject("ledger.topic") String topic) {
            return new WarRoomLedger(new CompactedTopicView(kafka, topic.trim(), restart(threads, true), retention.keepMillis(),
                    retention.clock(), new LedgerEntryCodec(mapper)::compact), mapper);
        }

        /** The catalog followers only report. */
        @BindToRegistry
        public ImCatalogPublisher imCatalogPublisher(KafkaClientSettings kafka, ImIntegrationCatalog catalog,
                                                     @BeanInject("objectMapper") ObjectMapper mapper, BackgroundThreads threads,
                                                     @PropertyInject("integration.topic") String topic) {
            return new ImCatalogPublisher(new CompactedTopicView(kafka, topic.trim(), restart(threads, false)), catalog, mapper);
        }

        @BindToRegistry
        public TemplateSync templateSync(KafkaClientSettings kafka, @BeanInject("objectMapper") ObjectMapper mapper, BackgroundThreads threads,
                                         @PropertyInject("template.topic") String topic,
                                         @PropertyInject("template.sync-interval") String interval) {
            long intervalMillis = interval.isBlank() ? 0 : millis("template.sync-interval", interval);
            return new TemplateSync(intervalMillis, new CompactedTopicView(kafka, topic.trim(), restart(threads, false)), mapper);
        }

        @BindToRegistry
        public KafkaPollFailures kafkaPollFailures(KafkaFailures failures) {
            return new KafkaPollFailures(failures);
        }

        /** retryWhile of the ledger write's redelivery (routes/05-error-handling.yaml). */
        @BindToRegistry
        public org.apache.camel.Predicate ledgerWriteAgain(KafkaFailures failures) {
            return failures::writeLedgerAgain;
        }

        private CompactedTopicView.Restart restart(BackgroundThreads threads, boolean failClosed) {
            return new CompactedTopicView.Restart(threads, failClosed, initialBackoff(), maxBackoff());
        }

        private Duration initialBackoff() {
            return Duration.ofMillis(millis("kafka.retry.initial-backoff", initialBackoff));
        }

        private Duration maxBackoff() {
            return Duration.ofMillis(millis("kafka.retry.max-backoff", maxBackoff));
        }

        /** The Kafka group whose members divide the budget: FLASHDUTY_BUDGET_GROUP, else CONSUMER_GROUP-budget. */
        static String budgetGroup(String configured, String consumerGroup) {
            return configured.isBlank() ? consumerGroup.trim() + "-budget" : configured.trim();
        }

        static String journalTopic(String configured, String budgetGroup, String consumerGroup) {
            return configured.isBlank() ? budgetGroup(budgetGroup, consumerGroup) + "-journal" : configured.trim();
        }

        private static int deliveryTimeout(String value) {
            int deliveryTimeoutMs = integer(value);
            if (deliveryTimeoutMs < MIN_DELIVERY_TIMEOUT_MS) {
                // Kafka's producer would refuse it at construction, with a stack trace naming its own settings
                throw new StartupProblem("KAFKA_DELIVERY_TIMEOUT_MS must be at least " + MIN_DELIVERY_TIMEOUT_MS
                        + " (the producers' request time-out of 30 s plus linger.ms 0): " + deliveryTimeoutMs);
            }
            return deliveryTimeoutMs;
        }
    }

    /** /observe/metrics and the readiness checks of /observe/health, beside Camel's own route and consumer checks. */
    public static final class Observe implements CamelConfiguration {

        /** /observe/health at the configured detail, whatever the caller's query asks. */
        @Override
        public void configure(CamelContext camel) throws Exception {
            camel.addStartupListener(new HealthPage());
            // a thread without progress for the stall bound is found within a second, whether or not readiness is asked
            BackgroundThreads threads = camel.getRegistry().lookupByNameAndType("backgroundThreads", BackgroundThreads.class);
            if (threads != null) {
                camel.addService(threads.watchService(camel, 1000), true, true);
            }
        }

        @BindToRegistry
        public WarRoomMetrics warRoomMetrics(@BeanInject(METRICS_REGISTRY) MeterRegistry registry, WarRoomLedger ledger,
                                             FlashdutyResponses responses, AccountRateBudget budget, ImCatalogFreshness freshness,
                                             FlashdutyAuth flashdutyAuth, RocketChatAuth rocketChatAuth, BudgetJournal journal) {
            WarRoomMetrics metrics = new WarRoomMetrics(registry, ledger, responses, budget, freshness);
            metrics.budgetClaims(journal, budget.longestWindowMillis());
            metrics.answersTooLarge("flashduty", flashdutyAuth.answers());
            metrics.answersTooLarge("rocketchat", rocketChatAuth.answers());
            return metrics;
        }

        /** A stale catalog (a source's latest refresh failed) is a note, not unready: war rooms open on the last good list. */
        @BindToRegistry
        public ReadinessCheck imCatalogHealthCheck(ImIntegrationCatalog catalog, ImCatalogFreshness freshness) {
            return new ReadinessCheck("im-catalog", catalog::isLoaded,
                    () -> "the IM catalog was never loaded from Flashduty", freshness::staleNote);
        }

        @BindToRegistry
        public ReadinessCheck flashdutyAuthHealthCheck(FlashdutyResponses responses) {
            return new ReadinessCheck("flashduty-auth", () -> !responses.isUnauthorized(),
                    "Flashduty answers Unauthorized: check FLASHDUTY_APP_KEY");
        }

        @BindToRegistry
        public ReadinessCheck backgroundThreadsHealthCheck(BackgroundThreads threads) {
            return new ReadinessCheck("background-threads", threads::allRunning, threads::describe);
        }

        /** The budget journal cannot be written (its topic deleted?): no call starts, so the replica is not ready. */
        @BindToRegistry
        public ReadinessCheck budgetJournalHealthCheck(BudgetJournal journal) {
            return new ReadinessCheck("budget-journal", journal::isWritable,
                    () -> java.util.Objects.requireNonNullElse(journal.problem(), "the budget journal cannot be written"));
        }

        @BindToRegistry
        public ReadinessCheck kafkaAccessHealthCheck(KafkaFailures failures) {
            return new ReadinessCheck("kafka-access", failures::isConsuming, failures::whyNotConsuming);
        }
    }

    /**
     * Every configuration key the classes inject ({@code @PropertyInject} on fields and on the
     * parameters of {@code @BindToRegistry} methods) must resolve; the first that does not stops the
     * start with one line instead of Camel's exception.
     */
    static void requireKeys(CamelContext context, List<? extends Class<?>> classes) {
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                requireKey(context, f.getAnnotation(PropertyInject.class));
            }
            for (Method m : c.getDeclaredMethods()) {
                if (m.isAnnotationPresent(BindToRegistry.class)) {
                    for (Parameter p : m.getParameters()) {
                        requireKey(context, p.getAnnotation(PropertyInject.class));
                    }
                }
            }
        }
    }

    private static void requireKey(CamelContext context, PropertyInject inject) {
        if (inject != null && context.getPropertiesComponent().resolveProperty(inject.value()).isEmpty()) {
            throw new StartupProblem("configuration key " + inject.value() + " is missing from the properties");
        }
    }

    static int integer(String value) {
        return Integer.parseInt(value.trim());
    }

    static boolean bool(String value) {
        return Boolean.parseBoolean(value.trim());
    }

    /** {@code what}: how the message names the unit, e.g. "number of bytes". */
    private static int positiveInt(String key, String value, String what) {
        String v = value.trim();
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StartupProblem(key + " is not a positive " + what + ": " + v);
    }

    /** "50" or "50%": a whole percentage from 1 to 100. */
    static int percent(String key, String value) {
        String v = value.trim();
        String digits = v.endsWith("%") ? v.substring(0, v.length() - 1).trim() : v;
        try {
            int n = Integer.parseInt(digits);
            if (n >= 1 && n <= 100) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StartupProblem(key + " is not a percentage from 1 to 100: " + v);
    }

    /** "1h", "60s", "500ms" or plain milliseconds. */
    static long millis(String key, String value) {
        String v = value.trim();
        try {
            return TimeUtils.toMilliSeconds(v);
        } catch (RuntimeException e) {
            throw new StartupProblem(key + " is not a duration (e.g. 500ms, 60s, 1h): " + v);
        }
    }
}
