package com.warroom.routes.app;

import java.time.Duration;
import java.util.List;

import com.warroom.routes.Backoff;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.budget.BudgetJournal;
import com.warroom.routes.budget.ReplicaBudgetShare;
import com.warroom.routes.catalog.ImCatalogPublisher;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.KafkaStartup;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.kafka.TopicSetup;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.observe.ReadinessCheck;
import com.warroom.routes.templates.TemplateSync;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.LoggerFactory;

/**
 * The Kafka clients of ours beside Camel's consumers and producers, opened by {@link KafkaStartup} once
 * the context (and the management server) has started, in this order, and closed after the routes: the
 * record limits read and missing topics created (so a dead-letter topic created here accepts what its
 * sources do), the budget-group member set joining (in its own thread), the dead-letter producer
 * opened, the ledger and the IM catalog read back, the budget journal read, then the first join
 * awaited; only then are the routes started. So no incident is handled before the ledger knows every
 * war room already opened, and no call starts before the member is in the group; the join (a few
 * hundred ms) overlaps the read-backs. Meanwhile readiness {@code kafka-start-up} says which step runs,
 * or why it fails (Kafka unreachable, a missing ACL).
 */
final class KafkaServices {

    /** How long the start waits for the budget group to be joined before the consumers start anyway. */
    static final Duration FIRST_JOIN = Duration.ofSeconds(30);

    private KafkaServices() {
    }

    static void add(CamelContext camel, Settings s) throws Exception {
        var r = camel.getRegistry();
        RecordLimits limits = r.lookupByNameAndType("recordLimits", RecordLimits.class);
        DeadLetterPublisher deadLetters = r.lookupByNameAndType("deadLetterPublisher", DeadLetterPublisher.class);
        WarRoomLedger ledger = r.lookupByNameAndType("warRoomLedger", WarRoomLedger.class);
        ImCatalogPublisher catalog = r.lookupByNameAndType("imCatalogPublisher", ImCatalogPublisher.class);
        TemplateSync templates = r.lookupByNameAndType("templateSync", TemplateSync.class);
        BudgetJournal journal = r.lookupByNameAndType("budgetJournal", BudgetJournal.class);
        AccountRateBudget budget = r.lookupByNameAndType("accountRateBudget", AccountRateBudget.class);
        ReplicaBudgetShare share = r.lookupByNameAndType("replicaBudgetShare", ReplicaBudgetShare.class);
        LedgerRetention retention = r.lookupByNameAndType("ledgerRetention", LedgerRetention.class);
        Settings.Kafka kafka = s.kafka();
        Settings.Topics topics = s.topics();
        // every permit is journaled before it is granted; the journal's writer opens once it is read back
        budget.journal(journal);
        KafkaStartup startup = new KafkaStartup(camel, new Backoff(kafka.retry().initial(), kafka.retry().max()), kafka.client().brokers());
        startup.step("checking the topics", "Describe, DescribeConfigs" + (kafka.createTopics() ? ", Create" : ""), () -> {
            try (Admin admin = Admin.create(kafka.client().common("war-room-routes-setup"))) {
                limits.readInputs(admin);
                if (kafka.createTopics()) {
                    List<String> catalogTopics = templates.isEnabled() ? List.of(topics.integration(), topics.template())
                            : List.of(topics.integration());
                    TopicSetup.ensure(admin, kafka.client(), topics.ledger(), kafka.ledgerPartitions(), catalogTopics, topics.deadLetter(),
                            limits.deadLetterTopicToCreate(), s.budget().journalTopic(), retention.keepMillis());
                }
                limits.readDeadLetter(admin);
            }
        }, null);
        // the ledger topic exists now: its partitions are what the budget group is assigned; the member
        // joins in its own thread while the topics below are read back (the budget stays closed until then)
        startup.step("joining the budget group", "Read", share::start, share);
        startup.step("opening the dead-letter producer", "Write", () -> deadLetters.open(limits), deadLetters);
        startup.step("reading the ledger back from topic " + topics.ledger(), "Read", ledger::load, ledger);
        startup.step("reading the IM catalog back from topic " + topics.integration(), "Read", catalog::load, catalog);
        startup.step("the template topic", "Read", () -> { }, templates);
        // the calls earlier processes made within the last window count before this one makes any
        startup.step("reading the budget journal back", "Read", () -> journal.load(budget), journal);
        startup.step("waiting for the first join of the budget group", "Read", () -> {
            // no call starts before the member is in the group: the consumers wait for it rather than their records
            if (!share.awaitFirstJoin(FIRST_JOIN)) {
                LoggerFactory.getLogger(KafkaServices.class).warn("the budget group has not been joined within {} s: the consumers start,"
                        + " and their records wait for it (readiness says why)", FIRST_JOIN.toSeconds());
            }
        }, null);
        r.bind("kafkaStartup", startup);
        r.bind("kafkaStartupHealthCheck", new ReadinessCheck("kafka-start-up", startup::isDone, startup::notReady, () -> null));
        // stopped after the routes; the work itself runs once the context has started
        camel.addService(startup, true, true);
        camel.addStartupListener(startup);
    }
}
