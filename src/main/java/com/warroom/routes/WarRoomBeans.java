package com.warroom.routes;

import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.budget.BudgetJournal;
import com.warroom.routes.budget.ReplicaBudgetShare;
import com.warroom.routes.catalog.ImCatalogFreshness;
import com.warroom.routes.catalog.ImCatalogPublisher;
import com.warroom.routes.catalog.RocketChatAuth;
import com.warroom.routes.catalog.RocketChatPages;
import com.warroom.routes.flashduty.FlashdutyAuth;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.incident.EventAge;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.incident.IncidentKeyCheck;
import com.warroom.routes.kafka.CommitPerRecord;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.KafkaFailures;
import com.warroom.routes.kafka.KafkaPollFailures;
import com.warroom.routes.kafka.KafkaStartup;
import com.warroom.routes.kafka.RecordDeadline;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.kafka.TopicSetup;
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
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;

/**
 * Builds the beans the YAML routes refer to by name, from config/application.properties, and binds
 * them into Camel's registry before any route starts. The topics are set up and the ledger and IM
 * catalog read back while Camel loads the routes ({@link KafkaStartup}); no route starts before that
 * is done, so no incident is handled before the ledger knows every war room already opened.
 */
public final class WarRoomBeans implements CamelConfiguration {

    static final String METRICS_REGISTRY = "metricsRegistry";
    /** Kafka's producer requires delivery.timeout.ms >= linger.ms (0) + request.timeout.ms (30,000, Camel's and Kafka's default). */
    static final int MIN_DELIVERY_TIMEOUT_MS = 30_000;
    /**
     * Every bean this class binds, by name, with its type. {@code validate} checks the routes'
     * references against this list without building the beans (no Kafka, no secrets);
     * {@link #bind} refuses a name missing here, so the list cannot drift from what is bound.
     */
    public static final Map<String, Class<?>> BEANS = beans(
            "objectMapper", ObjectMapper.class,
            "kafkaClientSettings", KafkaClientSettings.class,
            "accountRateBudget", AccountRateBudget.class,
            "flashdutyAuth", FlashdutyAuth.class,
            "flashdutyResponses", FlashdutyResponses.class,
            "incomingRecord", IncomingRecord.class,
            "commitPerRecord", CommitPerRecord.class,
            "incidentEventParser", IncidentEventParser.class,
            "incidentKeyCheck", IncidentKeyCheck.class,
            "eventAge", EventAge.class,
            "imIntegrationCatalog", ImIntegrationCatalog.class,
            "rocketChatAuth", RocketChatAuth.class,
            "rocketChatPages", RocketChatPages.class,
            "templateLookups", TemplateLookups.class,
            "templateSync", TemplateSync.class,
            "warRoomRequests", WarRoomRequests.class,
            "warRoomResults", WarRoomResults.class,
            "recordLimits", RecordLimits.class,
            "kafkaFailures", KafkaFailures.class,
            "kafkaPollFailures", KafkaPollFailures.class,
            "deadLetterPublisher", DeadLetterPublisher.class,
            "warRoomLedger", WarRoomLedger.class,
            "imCatalogPublisher", ImCatalogPublisher.class,
            "imCatalogFreshness", ImCatalogFreshness.class,
            "replicaBudgetShare", ReplicaBudgetShare.class, // only with flashduty.budget-sharing
            "budgetJournal", BudgetJournal.class,
            "warRoomMetrics", WarRoomMetrics.class,
            "imCatalogHealthCheck", ReadinessCheck.class,
            "flashdutyAuthHealthCheck", ReadinessCheck.class,
            "kafkaAccessHealthCheck", ReadinessCheck.class,
            "backgroundThreads", BackgroundThreads.class,
            "backgroundThreadsHealthCheck", ReadinessCheck.class,
            METRICS_REGISTRY, MeterRegistry.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        ObjectMapper mapper = new ObjectMapper();
        KafkaClientSettings kafka = new KafkaClientSettings(prop(pc, "kafka.brokers"),
                prop(pc, "kafka.security-protocol"), prop(pc, "kafka.sasl-mechanism"), prop(pc, "kafka.sasl-jaas-config"));

        Secret appKey = Secret.from("FLASHDUTY_APP_KEY", prop(pc, "flashduty.app-key-file"));
        if (!appKey.isPresent()) {
            throw new StartupProblem("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
        }
        String maxRecordBytes = prop(pc, "kafka.max-record-bytes");
        int deliveryTimeoutMs = Integer.parseInt(prop(pc, "kafka.delivery-timeout-ms"));
        if (deliveryTimeoutMs < MIN_DELIVERY_TIMEOUT_MS) {
            // Kafka's producer would refuse it at construction, with a stack trace naming its own settings
            throw new StartupProblem("KAFKA_DELIVERY_TIMEOUT_MS must be at least " + MIN_DELIVERY_TIMEOUT_MS
                    + " (the producers' request time-out of 30 s plus linger.ms 0): " + deliveryTimeoutMs);
        }
        RecordLimits limits = new RecordLimits(prop(pc, "incident.topic"), prop(pc, "template-request.topic"),
                prop(pc, "dead-letter.topic"), maxRecordBytes.isEmpty() ? null : positiveInt("kafka.max-record-bytes", maxRecordBytes));
        String ledgerTopic = prop(pc, "ledger.topic");
        String deadLetterTopic = prop(pc, "dead-letter.topic");
        String integrationTopic = prop(pc, "integration.topic");
        String templateTopic = prop(pc, "template.topic");
        String syncInterval = prop(pc, "template.sync-interval");
        long syncMillis = syncInterval.isEmpty() ? 0 : millis(pc, "template.sync-interval");
        boolean createTopics = Boolean.parseBoolean(prop(pc, "kafka.create-topics"));
        int ledgerPartitions = Integer.parseInt(prop(pc, "kafka.ledger-partitions"));
        List<String> catalogTopics = syncMillis > 0 ? List.of(integrationTopic, templateTopic) : List.of(integrationTopic);

        bind(context, "objectMapper", mapper);
        bind(context, "kafkaClientSettings", kafka);
        AccountRateBudget budget = new AccountRateBudget(
                Integer.parseInt(prop(pc, "flashduty.rate-per-second")), Integer.parseInt(prop(pc, "flashduty.rate-per-minute")),
                millis(pc, "flashduty.second-window"), millis(pc, "flashduty.minute-window"));
        bind(context, "accountRateBudget", budget);
        Duration kafkaInitialBackoff = Duration.ofMillis(millis(pc, "kafka.retry.initial-backoff"));
        Duration kafkaMaxBackoff = Duration.ofMillis(millis(pc, "kafka.retry.max-backoff"));
        BackgroundThreads threads = new BackgroundThreads(budget, meterRegistry(context));
        bind(context, "backgroundThreads", threads);
        String configuredGroup = prop(pc, "flashduty.budget-group");
        String budgetGroup = configuredGroup.isEmpty() ? prop(pc, "consumer.group") + "-budget" : configuredGroup;
        String journalTopic = prop(pc, "budget-journal.topic").isEmpty() ? budgetGroup + "-journal" : prop(pc, "budget-journal.topic");
        BudgetJournal journal = new BudgetJournal(kafka, journalTopic, deliveryTimeoutMs);
        budget.journal(journal);
        bind(context, "budgetJournal", journal);
        ReplicaBudgetShare share = null;
        if (Boolean.parseBoolean(prop(pc, "flashduty.budget-sharing"))) {
            share = new ReplicaBudgetShare(budget, kafka, budgetGroup,
                    ledgerTopic, millis(pc, "flashduty.budget-settle"), threads, kafkaInitialBackoff, kafkaMaxBackoff);
            bind(context, "replicaBudgetShare", share);
        }
        bind(context, "flashdutyAuth", new FlashdutyAuth(appKey));
        FlashdutyResponses responses = new FlashdutyResponses(mapper, budget,
                Integer.parseInt(prop(pc, "flashduty.retry.max-attempts")),
                Integer.parseInt(prop(pc, "flashduty.retry.rate-limited-attempts")),
                Duration.ofMillis(millis(pc, "flashduty.retry.initial-backoff")),
                Duration.ofMillis(millis(pc, "flashduty.retry.max-backoff")),
                Boolean.parseBoolean(prop(pc, "flashduty.retry.create-after-timeout")));
        bind(context, "flashdutyResponses", responses);
        long responseTimeoutMillis = Long.parseLong(prop(pc, "flashduty.response-timeout-ms"));
        long perRecordMillis = RecordDeadline.perRecordMillis(Long.parseLong(prop(pc, "kafka.max-poll-interval-ms")),
                Integer.parseInt(prop(pc, "kafka.max-poll-records")), responseTimeoutMillis);
        if (perRecordMillis < budget.longestWindowMillis()) {
            // a record that must wait out a full window would be taken away mid-call by the group
            throw new StartupProblem("KAFKA_MAX_POLL_INTERVAL_MS and KAFKA_MAX_POLL_RECORDS leave each record " + perRecordMillis
                    + " ms (" + RecordDeadline.USABLE_PERCENT_TEXT + " of the interval per record, less a response time-out), "
                    + "less than the longest rate window of " + budget.longestWindowMillis() + " ms: raise the interval or lower the records");
        }
        bind(context, "incomingRecord", new IncomingRecord(perRecordMillis));
        bind(context, "commitPerRecord", new CommitPerRecord());
        bind(context, "recordLimits", limits);
        KafkaFailures failures = new KafkaFailures(kafkaInitialBackoff, kafkaMaxBackoff, meterRegistry(context));
        bind(context, "kafkaFailures", failures);
        bind(context, "kafkaPollFailures", new KafkaPollFailures(failures));
        bind(context, "incidentEventParser", new IncidentEventParser(limits));
        bind(context, "incidentKeyCheck", new IncidentKeyCheck(meterRegistry(context)));
        bind(context, "eventAge", new EventAge(Duration.ofMillis(millis(pc, "war-room.max-event-age")), Clock.systemUTC()));
        String pinned = prop(pc, "war-room.integration-id");
        ImIntegrationCatalog catalog = new ImIntegrationCatalog(pinned.isBlank() ? null : Long.parseLong(pinned.trim()));
        bind(context, "imIntegrationCatalog", catalog);
        bind(context, "rocketChatAuth", new RocketChatAuth(Secret.from("ROCKETCHAT_USER_ID", prop(pc, "rocketchat.user-id-file")),
                Secret.from("ROCKETCHAT_AUTH_TOKEN", prop(pc, "rocketchat.auth-token-file"))));
        // the 429 waits of one Rocket.Chat refresh end by its period, so the next refresh is never pushed out further
        bind(context, "rocketChatPages", new RocketChatPages(mapper, positiveCount(pc, "rocketchat.page-size"),
                positiveCount(pc, "rocketchat.max-pages"), millis(pc, "rocketchat.refresh")));
        ImCatalogFreshness freshness = new ImCatalogFreshness(!prop(pc, "rocketchat.url").isEmpty());
        bind(context, "imCatalogFreshness", freshness);
        bind(context, "templateLookups", new TemplateLookups(mapper, limits));
        // the catalog followers only report; the ledger's guards the one-room promise, so it fails closed
        CompactedTopicView.Restart reportOnly = new CompactedTopicView.Restart(threads, false, kafkaInitialBackoff, kafkaMaxBackoff);
        CompactedTopicView templates = new CompactedTopicView(kafka, templateTopic, reportOnly);
        bind(context, "templateSync", new TemplateSync(syncMillis, templates, mapper));
        bind(context, "warRoomRequests", new WarRoomRequests(mapper,
                Boolean.parseBoolean(prop(pc, "war-room.add-observers")), WarRoomRequests.parseIds(prop(pc, "war-room.member-ids"))));
        bind(context, "warRoomResults", new WarRoomResults(mapper));

        DeadLetterPublisher deadLetters = new DeadLetterPublisher(kafka, deadLetterTopic, deliveryTimeoutMs);
        bind(context, "deadLetterPublisher", deadLetters);
        WarRoomLedger ledger = new WarRoomLedger(kafka, ledgerTopic, mapper,
                new CompactedTopicView.Restart(threads, true, kafkaInitialBackoff, kafkaMaxBackoff));
        bind(context, "warRoomLedger", ledger);
        CompactedTopicView integrations = new CompactedTopicView(kafka, integrationTopic, reportOnly);
        ImCatalogPublisher publisher = new ImCatalogPublisher(integrations, catalog, mapper);
        bind(context, "imCatalogPublisher", publisher);
        bind(context, "warRoomMetrics", new WarRoomMetrics(meterRegistry(context), ledger, responses, budget, freshness));
        // readiness on /observe/health, beside Camel's own route and consumer checks
        // a stale catalog (a source's latest refresh failed) is a note, not unready: war rooms open on the last good list
        bind(context, "imCatalogHealthCheck", new ReadinessCheck("im-catalog", catalog::isLoaded,
                () -> "the IM catalog was never loaded from Flashduty", freshness::staleNote));
        bind(context, "flashdutyAuthHealthCheck", new ReadinessCheck("flashduty-auth", () -> !responses.isUnauthorized(),
                "Flashduty answers Unauthorized: check FLASHDUTY_APP_KEY"));
        bind(context, "backgroundThreadsHealthCheck", new ReadinessCheck("background-threads", threads::allRunning, threads::describe));
        bind(context, "kafkaAccessHealthCheck", new ReadinessCheck("kafka-access", failures::isConsuming,
                "Kafka refused this module (authorization, authentication or the dead-letter topic): consuming stopped, see the log"));
        // /observe/health at the configured detail, whatever the caller's query asks
        context.addStartupListener(new HealthPage());
        context.addService(new Closer(share, ledger, deadLetters, integrations, templates, journal), true, true);
        ReplicaBudgetShare budgetShare = share;
        // topics, ledger and catalog are read while Camel loads the routes; no route starts before they are
        context.addLifecycleStrategy(KafkaStartup.begin(() -> {
            // the limits first: a dead-letter topic created here accepts what its sources accept
            try (Admin admin = Admin.create(kafka.common("war-room-routes-setup"))) {
                limits.readInputs(admin);
                if (createTopics) {
                    TopicSetup.ensure(admin, kafka, ledgerTopic, ledgerPartitions, catalogTopics, deadLetterTopic,
                            limits.deadLetterTopicToCreate(), journalTopic);
                }
                limits.readDeadLetter(admin);
            }
            deadLetters.open(limits);
            try {
                ledger.load();
            } catch (org.apache.kafka.common.KafkaException e) {
                deadLetters.close();
                throw new StartupProblem("cannot read the ledger topic " + ledgerTopic + " from Kafka at " + kafka.brokers()
                        + " (" + e.getClass().getSimpleName() + ")");
            }
            publisher.load();
            // the calls earlier processes made within the last window count before this one makes any
            try {
                journal.load(budget, responseTimeoutMillis);
            } catch (RuntimeException e) {
                journal.assumeFullWindow(budget, Integer.parseInt(prop(pc, "flashduty.rate-per-minute")), responseTimeoutMillis);
            }
            if (budgetShare != null) {
                budgetShare.start(); // the ledger topic exists now: its partitions are what the budget group is assigned
            }
        }));
    }

    /**
     * The Prometheus registry /observe/metrics serves: camel-micrometer-prometheus uses the one bound
     * as {@value #METRICS_REGISTRY} and creates it only when none is bound, so whichever starts first
     * creates it and both share it.
     */
    static MeterRegistry meterRegistry(CamelContext context) {
        MeterRegistry existing = context.getRegistry().lookupByNameAndType(METRICS_REGISTRY, MeterRegistry.class);
        if (existing != null) {
            return existing;
        }
        PrometheusMeterRegistry created = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        bind(context, METRICS_REGISTRY, created);
        return created;
    }

    private static void bind(CamelContext context, String name, Object bean) {
        Class<?> listed = BEANS.get(name);
        if (listed == null || !listed.isInstance(bean)) {
            throw new IllegalStateException("bean " + name + " is not listed in WarRoomBeans.BEANS with its type");
        }
        context.getRegistry().bind(name, bean);
    }

    private static Map<String, Class<?>> beans(Object... nameTypePairs) {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        for (int i = 0; i < nameTypePairs.length; i += 2) {
            m.put((String) nameTypePairs[i], (Class<?>) nameTypePairs[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    private static int positiveInt(String key, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StartupProblem(key + " is not a positive number of bytes: " + value);
    }

    private static int positiveCount(PropertiesComponent pc, String key) {
        String v = prop(pc, key);
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StartupProblem(key + " is not a positive number: " + v);
    }

    static String prop(PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::trim)
                .orElseThrow(() -> new StartupProblem("configuration key " + key + " is missing from the properties"));
    }

    /** "1h", "60s", "500ms" or plain milliseconds. */
    static long millis(PropertiesComponent pc, String key) {
        String v = prop(pc, key);
        try {
            return TimeUtils.toMilliSeconds(v);
        } catch (RuntimeException e) {
            throw new StartupProblem(key + " is not a duration (e.g. 500ms, 60s, 1h): " + v);
        }
    }

    /** Closes the plain Kafka clients when Camel stops, after the routes. */
    private static final class Closer extends ServiceSupport {
        private final AutoCloseable[] closeables;

        Closer(AutoCloseable... closeables) {
            this.closeables = closeables;
        }

        @Override
        protected void doStop() throws Exception {
            for (AutoCloseable c : closeables) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }
}
