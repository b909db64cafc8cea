package com.warroom.routes.budget;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The budget journal against a real broker: a predecessor's clock ahead cannot hold calls longer
 * than one window, and a journal topic deleted under a running replica turns readiness DOWN, holds
 * every call (none is sent unjournaled) and lets them go once the topic is back.
 */
class BudgetJournalIT {

    static final Duration WAIT = Duration.ofMinutes(2);

    /** On a CreateTime topic the stamp is the predecessor's; on LogAppendTime (as the module creates it) the broker's. */
    @ParameterizedTest
    @ValueSource(strings = {"CreateTime", "LogAppendTime"})
    void aJournalStampedTenMinutesAheadHoldsCallsOneWindowAtMost(String timestampType) throws Exception {
        String topic = "budget-journal-ahead-" + System.nanoTime();
        KafkaBroker.shared().createTopic(topic, 1, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, timestampType));
        try (KafkaTestClient kafka = KafkaTestClient.forSharedBroker()) {
            // a predecessor whose clock ran 10 minutes ahead claimed 10 calls
            long ahead = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(10);
            kafka.send(new ProducerRecord<>(topic, null, ahead, "predecessor".getBytes(UTF_8), "10".getBytes(UTF_8)));
        }
        long windowMillis = 2_000;
        AccountRateBudget budget = new AccountRateBudget(10, 10, 100, windowMillis, System::nanoTime);
        com.warroom.routes.kafka.BrokerClock brokerClock = new com.warroom.routes.kafka.BrokerClock(System::nanoTime);
        try (BudgetJournal journal = journal(topic, brokerClock)) {
            journal.load(budget);
            budget.journal(journal);
            // only a broker-stamped journal tells the broker's clock (event ages are judged by it when this host's is off)
            assertEquals("LogAppendTime".equals(timestampType), brokerClock.now().isPresent(), timestampType);
            if (brokerClock.now().isPresent()) {
                assertTrue(Math.abs(brokerClock.now().getAsLong() - System.currentTimeMillis()) < 60_000, "the broker's clock, near this one");
            }
            assertEquals(10, journal.othersHeld(windowMillis), "the predecessor's 10 calls count");
            assertNull(budget.acquire(10, 0, TimeUnit.NANOSECONDS.toNanos(0), null));
            long oneWindow = BudgetJournal.SPAN_MILLIS + windowMillis;
            long countsFor = TimeUnit.NANOSECONDS.toMillis(journal.nanosUntilOthersFall(windowMillis));
            assertTrue(countsFor <= oneWindow, "they count for " + countsFor + " ms, not more than one window and their span: " + oneWindow);
        }
    }

    /**
     * Two replicas on one journal: each counts the other's claims (not its own twice), a claim not
     * used within its validity is given back, and a claim stops counting one window and its span
     * after its stamp.
     */
    @Test
    void replicasCountEachOthersClaimsAndWhatIsGivenBack() throws Exception {
        String topic = "budget-journal-claims-" + System.nanoTime();
        KafkaBroker.shared().createTopic(topic, 1, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        long shortWindow = 5_000; // long enough that nothing leaves it while the test looks
        AccountRateBudget budgetA = new AccountRateBudget(10, 1_000, shortWindow, 60_000, System::nanoTime);
        AccountRateBudget budgetB = new AccountRateBudget(10, 1_000, shortWindow, 60_000, System::nanoTime);
        try (BudgetJournal a = journal(topic, new com.warroom.routes.kafka.BrokerClock(System::nanoTime));
             BudgetJournal b = journal(topic, new com.warroom.routes.kafka.BrokerClock(System::nanoTime))) {
            a.load(budgetA);
            budgetA.journal(a);
            b.load(budgetB);
            budgetB.journal(b);
            List<AccountRateBudget.Permit> permits = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                permits.add(budgetA.acquire(0, 0, TimeUnit.SECONDS.toNanos(5), null));
                assertNotNull(permits.get(i), "A alone in the window: call " + i);
            }
            permits.forEach(AccountRateBudget.Permit::release);
            assertEquals(0, a.othersHeld(shortWindow), "A counts its own calls exactly, not its claims again");
            await("B reads A's claims").atMost(WAIT).until(() -> b.othersHeld(shortWindow) == 6);
            int granted = 0;
            while (budgetB.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(300), null) != null) { // time for a claim to be written and read back
                granted++;
            }
            assertEquals(4, granted, "B may start what A left of the short window");
            await("A reads B's claims").atMost(WAIT).until(() -> a.othersHeld(shortWindow) == 4);
            assertNull(budgetA.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(300), null), "the window is full for A too");

            // a claim of 5, one used: the other 4 are given back when its validity ends
            long before = b.othersHeld(60_000);
            long givenBack = a.callsGivenBack();
            a.reserve(TimeUnit.SECONDS.toNanos(10), 5, 5);
            assertTrue(a.take(), "the claim was written and read back");
            await("B counts the claim").atMost(WAIT).until(() -> b.othersHeld(60_000) >= before + 1);
            await("and only the call used, once the rest is given back").atMost(WAIT)
                    .until(() -> b.othersHeld(60_000) == before + 1);
            // A counts the give-back once Kafka acknowledged it, which may come after B has read it
            await("A counts what it gave back").atMost(WAIT).until(() -> a.callsGivenBack() == givenBack + 4);

            await("A's claims leave B's short window one window and their span after their stamp").atMost(WAIT)
                    .until(() -> b.othersHeld(shortWindow) == 0);
            assertEquals(7, b.othersHeld(60_000), "still in the long one");
        }
    }

    private static BudgetJournal journal(String topic, com.warroom.routes.kafka.BrokerClock clock) {
        return new BudgetJournal(new KafkaClientSettings(Map.of("bootstrap.servers", KafkaBroker.shared().bootstrapServers())), topic,
                120_000, clock, true);
    }

    /**
     * No journal topic at start (KAFKA_CREATE_TOPICS=false, not created): no call starts, and the
     * problem names the topic (there is no 1/N fallback); once it is created, calls go on.
     */
    @Test
    void aJournalMissingAtStartHoldsEveryCallUntilItExists() throws Exception {
        String topic = "budget-journal-missing-" + System.nanoTime();
        AccountRateBudget budget = new AccountRateBudget(10, 40, 200, 1_000, System::nanoTime);
        try (BudgetJournal journal = journal(topic, new com.warroom.routes.kafka.BrokerClock(System::nanoTime))) {
            budget.journal(journal);
            journal.load(budget); // it says why and goes on trying
            assertTrue(journal.problem().contains(topic) && journal.problem().contains("does not exist"), journal.problem());
            assertNull(budget.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(200), null), "no call without the journal");

            KafkaBroker.shared().createTopic(topic, 1, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
            await("the journal is read once it exists").atMost(WAIT).until(() -> journal.problem() == null);
            await("calls go on").atMost(WAIT).until(() -> {
                AccountRateBudget.Permit p = budget.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(200), null);
                if (p != null) {
                    p.release();
                }
                return p != null;
            });
        }
    }

    @Test
    void aDeletedJournalTurnsReadinessDownAndHoldsEveryCallUntilItIsBack() throws Exception {
        // a broker that creates no topic on a producer's request, as production brokers are often set
        KafkaBroker broker = KafkaBroker.dedicated(Map.of("auto.create.topics.enable", "false"));
        FlashdutySandbox.Config limits = new FlashdutySandbox.Config().perSecond(10).secondWindowMillis(200).perMinute(40)
                .minuteWindowMillis(1000);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(limits);
             KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers())) {
            Map<String, String> settings = RunningApp.settings(broker.bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
            RunningApp.budgetOf(sandbox.config(), settings);
            // a short record deadline (20 s / 2 records), so the held calls end within the test
            settings.put("kafka.max-poll-interval-ms", "20000");
            settings.put("kafka.max-poll-records", "2");
            // a catalog call every second: each needs a reservation soon after the deletion, as traffic would
            settings.put("catalog.refresh", "1s");
            String incidents = settings.get("incident.topic");
            String results = settings.get("result.topic");
            String journal = settings.get("budget-journal.topic");
            broker.createTopic(incidents, 1);
            broker.createTopic(results, 1); // the module creates only the topics whose settings matter
            broker.createTopic(settings.get("template-request.topic"), 1);
            List<String> before = send(kafka, incidents, 3);
            try (RunningApp app = RunningApp.start(settings)) {
                kafka.awaitRecords(results, 3, WAIT);

                kafka.admin().deleteTopics(List.of(journal)).all().get(30, TimeUnit.SECONDS);
                await("the journal is gone").atMost(WAIT).until(() -> !kafka.listTopics().contains(journal));
                // the first call after the deletion finds it (one reservation written before may still cover it)
                List<String> probe = send(kafka, incidents, 1);
                await("readiness DOWN").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                        .until(() -> app.management("/observe/health").statusCode() == 503);
                HttpResponse<String> health = app.management("/observe/health");
                assertTrue(health.body().contains("budget-journal") && health.body().contains(journal)
                        && health.body().contains("does not exist"), health.body());
                int callsBefore = sandbox.calls().size();
                List<String> whileMissing = send(kafka, incidents, 2);
                // the records end at their deadline, unsent
                await("both held records end").atMost(WAIT).until(() -> latest(kafka, results, whileMissing).size() == 2);
                for (JsonNode r : latest(kafka, results, whileMissing)) {
                    assertEquals("failed", r.path("status").asText(), r.toString());
                    assertEquals("deadline_exceeded", r.path("reason").asText(), r.toString());
                }
                assertEquals(callsBefore, sandbox.calls().size(), "no Flashduty call while the journal is missing");
                assertEquals(503, app.management("/observe/health").statusCode(), "still DOWN");
                await("the probe ends").atMost(WAIT).until(() -> latest(kafka, results, probe).size() == 1);
                List<String> failed = new ArrayList<>(whileMissing);
                if (!"created".equals(latest(kafka, results, probe).get(0).path("status").asText())) {
                    failed.addAll(probe);
                }
                whileMissing.addAll(probe);

                // the operator creates it again and sends the failed events again (the replay), with a new one
                kafka.admin().createTopics(List.of(new NewTopic(journal, 1, (short) 1)
                        .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime")))).all().get(30, TimeUnit.SECONDS);
                for (String incident : failed) {
                    kafka.send(incidents, incident, Events.json(Events.fresh(incident)));
                }
                List<String> after = send(kafka, incidents, 1);
                List<String> resumed = new ArrayList<>(whileMissing);
                resumed.addAll(after);
                await("calls go on").atMost(WAIT).until(() -> latest(kafka, results, resumed).stream()
                        .filter(r -> "created".equals(r.path("status").asText())).count() == resumed.size());
                await("readiness UP").atMost(WAIT).until(() -> app.management("/observe/health").statusCode() == 200);
                List<String> all = new ArrayList<>(before);
                all.addAll(whileMissing);
                all.addAll(after);
                for (String incident : all) {
                    assertEquals(1, sandbox.createCount(incident), "one war room for " + incident);
                }
            }
        } finally {
            broker.close();
        }
    }

    /** The latest result of each of these incidents that has one. */
    private static List<JsonNode> latest(KafkaTestClient kafka, String topic, List<String> incidents) {
        Map<String, JsonNode> latest = new java.util.LinkedHashMap<>();
        for (JsonNode r : kafka.readAllJson(topic)) {
            if (incidents.contains(r.path("incident_id").asText())) {
                latest.put(r.path("incident_id").asText(), r);
            }
        }
        return new ArrayList<>(latest.values());
    }

    private static List<String> send(KafkaTestClient kafka, String topic, int n) {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var e = Events.fresh();
            kafka.send(topic, Events.incidentId(e), Events.json(e));
            sent.add(Events.incidentId(e));
        }
        return sent;
    }
}
