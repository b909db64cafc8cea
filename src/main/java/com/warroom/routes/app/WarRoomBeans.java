package com.warroom.routes.app;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.StartupProblem;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.budget.BudgetJournal;
import com.warroom.routes.budget.BudgetSettings;
import com.warroom.routes.budget.ReplicaBudgetShare;
import com.warroom.routes.catalog.ImCatalogFreshness;
import com.warroom.routes.catalog.ImCatalogPublisher;
import com.warroom.routes.catalog.RocketChatPages;
import com.warroom.routes.flashduty.CallDeadline;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.flashduty.RetryPolicy;
import com.warroom.routes.http.BoundedAnswers;
import com.warroom.routes.http.ClientAuth;
import com.warroom.routes.incident.EventAge;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.incident.IncidentKeyCheck;
import com.warroom.routes.kafka.BackgroundThreads;
import com.warroom.routes.kafka.BrokerClock;
import com.warroom.routes.kafka.CommitPerRecord;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.KafkaFailures;
import com.warroom.routes.kafka.KafkaPollFailures;
import com.warroom.routes.kafka.RecordDeadline;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.ledger.LedgerEntryCodec;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.observe.ConsumerLag;
import com.warroom.routes.observe.HealthPage;
import com.warroom.routes.observe.ReadinessCheck;
import com.warroom.routes.observe.TraceContext;
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
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.SimpleRegistry;

/**
 * Every bean the YAML routes refer to by name, and the few they are built on, bound in the order
 * written here from the {@link Settings} (read once, typed and checked) when Camel Main configures the
 * context, before any route is loaded. Binding talks to no one: the Kafka clients of ours open when
 * the context starts, before any route, as Camel services ({@link KafkaServices}, added by the
 * application; a route test binds these beans without them and replaces what it must).
 */
public final class WarRoomBeans implements CamelConfiguration {

    static final String METRICS_REGISTRY = "metricsRegistry";

    private final boolean kafkaServices;

    /** @param kafkaServices whether the Kafka clients of ours are added as services (the application), or not (route tests) */
    public WarRoomBeans(boolean kafkaServices) {
        this.kafkaServices = kafkaServices;
    }

    @Override
    public void configure(CamelContext camel) throws Exception {
        Settings settings = Settings.read(camel.getPropertiesComponent()::resolveProperty);
        if (!Secret.from("FLASHDUTY_APP_KEY", settings.flashduty().appKeyFile()).isPresent()) {
            throw new StartupProblem("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
        }
        bind(camel.getRegistry(), settings);
        // before any route makes an endpoint: each copies the component's configuration
        KafkaComponent kafka = camel.getComponent("kafka", KafkaComponent.class);
        settings.kafka().client().configure(kafka.getConfiguration());
        // /observe/health at the configured detail, whatever the caller's query asks
        camel.addStartupListener(new HealthPage());
        BackgroundThreads threads = camel.getRegistry().lookupByNameAndType("backgroundThreads", BackgroundThreads.class);
        // a thread without progress for the stall bound is found within a second, whether or not readiness is asked
        camel.addService(threads.watchService(camel, 1000), true, true);
        if (kafkaServices) {
            // camel-kafka makes the routes' consumers here: war_room_consumer_lag_records reads their lag
            ConsumerLag lag = new ConsumerLag(java.util.List.of(settings.topics().incident(), settings.topics().templateRequest()));
            kafka.setKafkaClientFactory(lag);
            camel.getRegistry().lookupByNameAndType(METRICS_REGISTRY, PrometheusMeterRegistry.class).getPrometheusRegistry().register(lag);
            KafkaServices.add(camel, settings);
        }
    }

    /** Binds every bean; what {@code validate} checks route references against, too. */
    public static void bind(Registry r, Settings s) {
        r.bind("settings", s);
        Settings.Kafka kafka = s.kafka();
        Settings.Topics topics = s.topics();
        Settings.Flashduty fd = s.flashduty();
        Settings.RocketChat rc = s.rocketChat();
        Settings.WarRoom wr = s.warRoom();
        MeterRegistry metrics = Objects.requireNonNullElseGet(r.lookupByNameAndType(METRICS_REGISTRY, MeterRegistry.class),
                () -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        // camel-micrometer-prometheus uses the one bound under this name and creates it only when none is
        r.bind(METRICS_REGISTRY, MeterRegistry.class, metrics);
        ObjectMapper mapper = objectMapper(Math.max(fd.maxAnswerBytes(), rc.maxAnswerBytes()));
        r.bind("objectMapper", mapper);
        ImCatalogFreshness freshness = bind(r, "imCatalogFreshness", new ImCatalogFreshness(rc.enabled()));
        r.bind("kafkaClientSettings", kafka.client());
        BudgetSettings rates = s.budget().limits();
        AccountRateBudget budget = bind(r, "accountRateBudget", new AccountRateBudget(rates.perSecond(), rates.perMinute(),
                rates.secondWindowMillis(), rates.minuteWindowMillis(), System::nanoTime));
        budget.capOthers(s.budget().otherMaxShare());
        RecordLimits limits = bind(r, "recordLimits", new RecordLimits(topics.incident(), topics.templateRequest(), topics.deadLetter(),
                kafka.maxRecordBytes()));
        // the whole-exchange deadline is CallDeadline's (it also keeps to the record's deadline)
        BoundedAnswers fdAnswers = BoundedAnswers.capped("FLASHDUTY_MAX_ANSWER_BYTES", fd.maxAnswerBytes())
                .withDeadline("FLASHDUTY_CALL_TIMEOUT_MS", CallDeadline::millisLeft);
        r.bind("flashdutyAuth", ClientAuth.flashduty(Secret.from("FLASHDUTY_APP_KEY", fd.appKeyFile()), fdAnswers));
        BoundedAnswers rcAnswers = BoundedAnswers.capped("ROCKETCHAT_MAX_ANSWER_BYTES", rc.maxAnswerBytes())
                .withDeadline("ROCKETCHAT_CALL_TIMEOUT_MS", rc.callTimeout()::toMillis);
        r.bind("rocketChatAuth", ClientAuth.rocketChat(Secret.from("ROCKETCHAT_USER_ID", rc.userIdFile()),
                Secret.from("ROCKETCHAT_AUTH_TOKEN", rc.authTokenFile()), rcAnswers));
        // the broker's clock as last seen in a broker-stamped acknowledgement (the budget journal's)
        BrokerClock brokerClock = bind(r, "brokerClock", new BrokerClock(System::nanoTime));
        // how long the ledger keeps an entry (checked against the stale limit); also route predicate beyond-ledger-retention
        LedgerRetention retention = bind(r, "ledgerRetention", LedgerRetention.checked(wr.ledgerRetention().toMillis(),
                wr.maxEventAge().toMillis(), Clock.systemUTC()));
        r.bind("commitPerRecord", new CommitPerRecord());

        ImIntegrationCatalog catalog = bind(r, "imIntegrationCatalog", new ImIntegrationCatalog(wr.integrationId(),
                new EmptyListConfirmation(wr.catalogRefresh(), System::nanoTime), metrics));
        EventAge eventAge = bind(r, "eventAge", new EventAge(wr.maxEventAge(), wr.clockSkewTolerance(), Clock.systemUTC(), brokerClock, metrics));
        FlashdutyResponses responses = bind(r, "flashdutyResponses", new FlashdutyResponses(mapper, budget,
                new RetryPolicy(fd.maxAttempts(), fd.rateLimitedAttempts(), fd.retry(), fd.createAfterTimeout())));
        r.bind("flashdutyCallDeadline", new CallDeadline(fd.callTimeout(), java.time.Duration.ofMillis(fd.responseTimeoutMs())));
        KafkaFailures failures = bind(r, "kafkaFailures", new KafkaFailures(kafka.retry().initial(), kafka.retry().max(), metrics));
        BackgroundThreads threads = bind(r, "backgroundThreads", new BackgroundThreads(budget, metrics, kafka.stallTimeout().toMillis(),
                System::nanoTime));
        r.bind("incomingRecord", incomingRecord(kafka, fd, budget));
        r.bind("traceContext", new TraceContext(s.tracing()));
        r.bind("incidentEventParser", new IncidentEventParser(limits));
        r.bind("incidentKeyCheck", new IncidentKeyCheck(metrics));
        r.bind("templateLookups", new TemplateLookups(mapper, limits));
        // the 429 waits of one Rocket.Chat refresh end by its period, so the next refresh is never pushed out further
        r.bind("rocketChatPages", new RocketChatPages(mapper, rc.pageSize(), rc.maxPages(), rc.refresh().toMillis(),
                new EmptyListConfirmation(rc.refresh(), System::nanoTime)));
        r.bind("warRoomRequests", new WarRoomRequests(mapper, wr.addObservers(), wr.memberIds()));
        r.bind("warRoomResults", new WarRoomResults(mapper));

        // onWhen of the clauses that retry a record (a Kafka failure a retry can change), and of those that stop consuming
        r.bind("retriableKafkaFailure", new KafkaFailures.Caught(KafkaFailures.Kind.RETRY, null));
        r.bind("kafkaRefusal", new KafkaFailures.Caught(KafkaFailures.Kind.STOP, null));
        // the ledger write's redelivery (routes/05-error-handling.yaml): onWhen a retriable failure of write-ledger, retryWhile time is left
        r.bind("ledgerWriteFailed", new KafkaFailures.Caught(KafkaFailures.Kind.RETRY, "ledgerWriting"));
        r.bind("ledgerWriteAgain", (org.apache.camel.Predicate) failures::writeLedgerAgain);
        r.bind("deadLetterPublisher", new DeadLetterPublisher(kafka.client(), topics.deadLetter(), kafka.deliveryTimeoutMs()));
        // with sharing off, the others' claims are not counted (the process takes the whole budget), its own still written
        BudgetJournal journal = bind(r, "budgetJournal", new BudgetJournal(kafka.client(), s.budget().journalTopic(),
                kafka.deliveryTimeoutMs(), brokerClock, rates.sharing()));
        // with sharing off, an observer member: it takes no share, but the group sees its settings and it sees the group's
        r.bind("replicaBudgetShare", new ReplicaBudgetShare(budget, rates, kafka.client(), s.budget().group(), topics.ledger(),
                threads, kafka.retry().initial(), kafka.retry().max(), System::nanoTime));
        // the ledger's follower fails closed: while it cannot see other replicas' entries, no Flashduty call starts
        WarRoomLedger ledger = bind(r, "warRoomLedger", new WarRoomLedger(new CompactedTopicView(kafka.client(), topics.ledger(),
                restart(threads, true, kafka), retention.keepMillis(), retention.clock(), new LedgerEntryCodec(mapper)::compact), mapper));
        // the catalog followers only report
        r.bind("imCatalogPublisher", new ImCatalogPublisher(new CompactedTopicView(kafka.client(), topics.integration(),
                restart(threads, false, kafka)), catalog, mapper));
        r.bind("templateSync", new TemplateSync(s.templateSyncInterval().toMillis(), new CompactedTopicView(kafka.client(), topics.template(),
                restart(threads, false, kafka)), mapper));
        r.bind("kafkaPollFailures", new KafkaPollFailures(failures));

        WarRoomMetrics warRoomMetrics = bind(r, "warRoomMetrics", new WarRoomMetrics(metrics, ledger, responses, budget, freshness, eventAge));
        warRoomMetrics.budgetClaims(journal, budget.longestWindowMillis());
        warRoomMetrics.answersTooLarge("flashduty", fdAnswers);
        warRoomMetrics.answersTooLarge("rocketchat", rcAnswers);
        // the readiness checks of /observe/health, beside Camel's own route and consumer checks; a stale catalog is a note, not unready
        r.bind("imCatalogHealthCheck", new ReadinessCheck("im-catalog", catalog::isLoaded,
                () -> "the IM catalog was never loaded from Flashduty", freshness::staleNote));
        r.bind("flashdutyAuthHealthCheck", new ReadinessCheck("flashduty-auth", () -> !responses.health().isUnauthorized(),
                () -> "Flashduty answers Unauthorized: check FLASHDUTY_APP_KEY", () -> null));
        r.bind("backgroundThreadsHealthCheck", new ReadinessCheck("background-threads", threads::allRunning, threads::describe, () -> null));
        // the budget journal cannot be written (its topic deleted?): no call starts, so the replica is not ready
        r.bind("budgetJournalHealthCheck", new ReadinessCheck("budget-journal", () -> journal.problem() == null,
                () -> Objects.requireNonNullElse(journal.problem(), "the budget journal cannot be written"), () -> null));
        r.bind("kafkaAccessHealthCheck", new ReadinessCheck("kafka-access", failures::isConsuming, failures::whyNotConsuming, () -> null));
    }

    /** The names and types {@link #bind} binds, in name order: what {@code validate} checks route references against. */
    public static Map<String, Class<?>> beans(Settings settings) {
        SimpleRegistry registry = new SimpleRegistry();
        bind(registry, settings);
        Map<String, Class<?>> beans = new TreeMap<>();
        registry.forEach((name, byType) -> byType.forEach((type, bean) -> beans.put(name, type)));
        return beans;
    }

    private static <T> T bind(Registry r, String name, T bean) {
        r.bind(name, bean);
        return bean;
    }

    /**
     * The one mapper every answer (and every record this module reads back) goes through, with Jackson's
     * read limits: nesting 100 (Flashduty's and Rocket.Chat's answers nest under 10), numbers of 100
     * digits, strings of 4 Mi characters (above the 2 MiB chat_name fault scenario 17 answers with), and no
     * document longer than the larger answer cap.
     */
    public static ObjectMapper objectMapper(long maxDocumentBytes) {
        StreamReadConstraints limits = StreamReadConstraints.builder().maxDocumentLength(maxDocumentBytes).maxNestingDepth(100)
                .maxStringLength(4 * 1024 * 1024).maxNumberLength(100).build();
        return new ObjectMapper(JsonFactory.builder().streamReadConstraints(limits).build());
    }

    /** A record's deadline; settings that leave a record less than the longest rate window stop the start. */
    static IncomingRecord incomingRecord(Settings.Kafka kafka, Settings.Flashduty fd, AccountRateBudget budget) {
        long perRecordMillis = RecordDeadline.perRecordMillis(kafka.maxPollIntervalMs(), kafka.maxPollRecords(), fd.responseTimeoutMs());
        if (perRecordMillis < budget.longestWindowMillis()) {
            // a record that must wait out a full window would be taken away mid-call by the group
            throw new StartupProblem("KAFKA_MAX_POLL_INTERVAL_MS and KAFKA_MAX_POLL_RECORDS leave each record " + perRecordMillis
                    + " ms (" + RecordDeadline.USABLE_PERCENT_TEXT + " of the interval per record, less a response time-out), "
                    + "less than the longest rate window of " + budget.longestWindowMillis() + " ms: raise the interval or lower the records");
        }
        return new IncomingRecord(perRecordMillis, RecordDeadline.ledgerWriteMillis(kafka.maxPollIntervalMs(), kafka.deliveryTimeoutMs()));
    }

    /** How a failed background client comes back: the same backoff as a record Kafka failed. */
    private static CompactedTopicView.Restart restart(BackgroundThreads threads, boolean failClosed, Settings.Kafka kafka) {
        return new CompactedTopicView.Restart(threads, failClosed, kafka.retry().initial(), kafka.retry().max());
    }
}
