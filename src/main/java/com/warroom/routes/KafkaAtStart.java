package com.warroom.routes;

import java.util.List;

import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.budget.BudgetJournal;
import com.warroom.routes.budget.ReplicaBudgetShare;
import com.warroom.routes.catalog.ImCatalogPublisher;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.KafkaStartup;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.kafka.TopicSetup;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.templates.TemplateSync;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.PropertyInject;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.admin.Admin;

/**
 * What talks to Kafka at start, beside Camel's own consumers and producers, on the beans
 * {@link WarRoomBeans} bound: the record limits are read, missing topics created, the dead-letter
 * producer opened, the ledger and the IM catalog read back, the budget journal read and the
 * budget-group member started. This runs while Camel loads the routes ({@link KafkaStartup}); no
 * route starts before it is done, so no incident is handled before the ledger knows every war room
 * already opened. When Camel stops, after the routes, those clients are closed.
 * <p>
 * Written out by hand because it is one sequence whose order is the point (the limits before the
 * dead-letter topic is created, the topics before the ledger is read, the ledger before the budget
 * group is joined). Route tests leave it out and bind test doubles instead.
 */
public final class KafkaAtStart implements CamelConfiguration, CamelContextAware {

    private CamelContext context;

    @BeanInject
    KafkaClientSettings kafka;
    @BeanInject
    RecordLimits limits;
    @BeanInject
    DeadLetterPublisher deadLetters;
    @BeanInject
    WarRoomLedger ledger;
    @BeanInject
    ImCatalogPublisher catalog;
    @BeanInject
    TemplateSync templates;
    @BeanInject
    BudgetJournal journal;
    @BeanInject
    AccountRateBudget budget;
    @BeanInject
    LedgerRetention retention;

    @PropertyInject("kafka.create-topics")
    String createTopics;
    @PropertyInject("kafka.ledger-partitions")
    String ledgerPartitions;
    @PropertyInject("ledger.topic")
    String ledgerTopic;
    @PropertyInject("dead-letter.topic")
    String deadLetterTopic;
    @PropertyInject("integration.topic")
    String integrationTopic;
    @PropertyInject("template.topic")
    String templateTopic;
    @PropertyInject("budget-journal.topic")
    String journalTopic;
    @PropertyInject("flashduty.budget-group")
    String budgetGroup;
    @PropertyInject("consumer.group")
    String consumerGroup;
    @PropertyInject("flashduty.response-timeout-ms")
    String responseTimeoutMs;
    @PropertyInject("flashduty.rate-per-minute")
    String ratePerMinute;

    /** Camel sets the context before it injects anything: a missing key is one line, as in {@link WarRoomBeans}. */
    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.context = camelContext;
        WarRoomBeans.requireKeys(camelContext, List.of(KafkaAtStart.class));
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }

    @Override
    public void configure(CamelContext camel) throws Exception {
        // bound only with flashduty.budget-sharing
        ReplicaBudgetShare share = camel.getRegistry().lookupByNameAndType("replicaBudgetShare", ReplicaBudgetShare.class);
        // every permit is journaled before it is granted; the journal's writer opens once it is read back (below)
        budget.journal(journal);
        camel.addService(new Closer(share, ledger, deadLetters, catalog, templates, journal), true, true);
        boolean create = WarRoomBeans.bool(createTopics);
        int partitions = WarRoomBeans.integer(ledgerPartitions);
        String ledgerName = ledgerTopic.trim();
        String deadLetterName = deadLetterTopic.trim();
        List<String> catalogTopics = templates.isEnabled() ? List.of(integrationTopic.trim(), templateTopic.trim()) : List.of(integrationTopic.trim());
        String journalName = WarRoomBeans.Kafka.journalTopic(journalTopic, budgetGroup, consumerGroup);
        long responseTimeoutMillis = Long.parseLong(responseTimeoutMs.trim());
        int perMinute = WarRoomBeans.integer(ratePerMinute);
        // topics, ledger and catalog are read while Camel loads the routes; no route starts before they are
        camel.addLifecycleStrategy(KafkaStartup.begin(() -> {
            // the limits first: a dead-letter topic created here accepts what its sources accept
            try (Admin admin = Admin.create(kafka.common("war-room-routes-setup"))) {
                limits.readInputs(admin);
                if (create) {
                    TopicSetup.ensure(admin, kafka, ledgerName, partitions, catalogTopics, deadLetterName,
                            limits.deadLetterTopicToCreate(), journalName, retention.keepMillis());
                }
                limits.readDeadLetter(admin);
            }
            deadLetters.open(limits);
            try {
                ledger.load();
            } catch (org.apache.kafka.common.KafkaException e) {
                deadLetters.close();
                throw new StartupProblem("cannot read the ledger topic " + ledgerName + " from Kafka at " + kafka.brokers()
                        + " (" + e.getClass().getSimpleName() + ")");
            }
            catalog.load();
            // the calls earlier processes made within the last window count before this one makes any
            try {
                journal.load(budget);
            } catch (RuntimeException e) {
                journal.assumeFullWindow(budget, perMinute, responseTimeoutMillis);
            }
            if (share != null) {
                share.start(journal::sharesClaims); // the ledger topic exists now: its partitions are what the budget group is assigned
                // no call starts before the member is in the group: the consumers wait for it rather than their records
                try {
                    if (!share.awaitFirstJoin(java.time.Duration.ofSeconds(30))) {
                        org.slf4j.LoggerFactory.getLogger(KafkaAtStart.class).warn("the budget group has not been joined within 30 s: "
                                + "the consumers start, and their records wait for it (readiness says why)");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
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
