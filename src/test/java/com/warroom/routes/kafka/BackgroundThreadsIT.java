package com.warroom.routes.kafka;

import java.lang.reflect.Field;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The background threads the guarantees rely on lose their Kafka client under them (it is woken up
 * from outside, so its next poll throws, as a failing client would): the replica fails closed (no
 * Flashduty call), readiness says which thread and why, the thread comes back after its backoff and
 * everything goes on: every event handled, one war room each, no rate window exceeded.
 */
class BackgroundThreadsIT {

    static final Duration WAIT = Duration.ofMinutes(2);
    /** the first restart waits this long: long enough to see the replica closed from outside */
    static final String BACKOFF = "6s";
    /**
     * A call that took its permit just before the close may still arrive after it: on a loaded CI
     * machine one arrived more than 0.5 s after the close was seen. Calls count from this long after.
     */
    static final long IN_FLIGHT_NANOS = 2_000_000_000L;
    /**
     * The budget reopens as the member rejoins, a moment before the test sees the thread back (it
     * polls every 10 ms): one call arrived 5 ms before that on CI. Calls count until this long before.
     */
    static final long REOPEN_SLACK_NANOS = 500_000_000L;

    @Test
    void aBudgetMemberWhoseClientFailsFailsClosedAndComesBack() throws Exception {
        run("budget-share", app -> field(field(app.bean("replicaBudgetShare", Object.class), "member"), "client"));
    }

    @Test
    void aLedgerFollowerWhoseClientFailsFailsClosedAndComesBack() throws Exception {
        run("follow-", app -> field(field(field(app.bean("warRoomLedger", Object.class), "view"), "tail"), "client"));
    }

    interface ClientOf {
        Object in(RunningApp app) throws Exception;
    }

    void run(String thread, ClientOf client) throws Exception {
        FlashdutySandbox.Config limits = new FlashdutySandbox.Config().perSecond(10).secondWindowMillis(200).perMinute(40)
                .minuteWindowMillis(1000);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(limits);
             KafkaTestClient kafka = KafkaTestClient.forSharedBroker()) {
            Map<String, String> settings = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(),
                    sandbox.config().appKey());
            RunningApp.budgetOf(sandbox.config(), settings);
            settings.put("kafka.retry.initial-backoff", BACKOFF);
            String incidents = settings.get("incident.topic");
            String results = settings.get("result.topic");
            KafkaBroker.shared().createTopic(incidents, 1);
            List<String> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                var e = Events.fresh();
                kafka.send(incidents, Events.incidentId(e), Events.json(e));
                sent.add(Events.incidentId(e));
            }
            try (RunningApp app = RunningApp.start(settings)) {
                BackgroundThreads threads = app.bean("backgroundThreads", BackgroundThreads.class);
                AccountRateBudget budget = app.bean("accountRateBudget", AccountRateBudget.class);
                kafka.awaitRecords(results, 10, WAIT);

                ((KafkaConsumer<?, ?>) client.in(app)).wakeup(); // its next poll throws
                await("the thread is reported down").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                        .until(() -> !threads.allRunning());
                long downAt = System.nanoTime();
                assertEquals(0, budget.limits()[1], "failed closed: no call may start");
                HttpResponse<String> health = app.management("/observe/health");
                assertEquals(503, health.statusCode(), health.body());
                assertTrue(health.body().contains("background-threads") && health.body().contains(thread)
                        && health.body().contains("WakeupException"), health.body());
                for (int i = 0; i < 20; i++) {
                    var e = Events.fresh();
                    kafka.send(incidents, Events.incidentId(e), Events.json(e));
                    sent.add(Events.incidentId(e));
                }

                await("the thread is back").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(threads::allRunning);
                long upAt = System.nanoTime();
                List<String> whileClosed = sandbox.calls().stream()
                        .filter(c -> c.arrivalNanos() - downAt > IN_FLIGHT_NANOS && upAt - c.arrivalNanos() > REOPEN_SLACK_NANOS)
                        .map(c -> c.path() + " at +" + (c.arrivalNanos() - downAt) / 1_000_000 + " ms of " + (upAt - downAt) / 1_000_000).toList();
                assertEquals(List.of(), whileClosed, "no Flashduty call while the replica was closed");
                await("every event handled").atMost(WAIT).until(() -> kafka.lag(settings.get("consumer.group"), incidents) == 0);
                await().atMost(WAIT).until(() -> app.management("/observe/health").statusCode() == 200);
                String metrics = app.management("/observe/metrics").body();
                assertTrue(metrics.lines().anyMatch(l -> l.startsWith("war_room_background_thread_failures_total") && l.contains(thread)), metrics);
            }
            assertEquals(sent.size(), kafka.readAll(results).size());
            for (String incident : sent) {
                assertEquals(1, sandbox.createCount(incident), "one war room for " + incident);
            }
            List<Long> arrivals = sandbox.calls().stream().filter(c -> !c.path().equals(FlashdutySandbox.ROCKETCHAT_PATH))
                    .map(FlashdutySandbox.Call::arrivalNanos).sorted().toList();
            assertEquals(0, FlashdutySandbox.overLimit(arrivals, 200, 10) + FlashdutySandbox.overLimit(arrivals, 1000, 40),
                    "no rate window exceeded");
        }
    }

    static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        Object value = f.get(owner);
        assertTrue(value != null, name + " of " + owner.getClass().getSimpleName() + " is set");
        return value;
    }
}
