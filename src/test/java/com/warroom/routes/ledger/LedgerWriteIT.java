package com.warroom.routes.ledger;

import java.time.Duration;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ledger entry of a war room just opened cannot be written (the broker stops while the create is
 * answered): it is written again in place, the record keeping its partition, until Kafka takes it; and
 * a graceful stop that comes first names the incident whose room stayed unrecorded.
 */
class LedgerWriteIT {

    static final Duration WAIT = Duration.ofMinutes(3);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().dedicatedBroker().perTest()
            .settings((sandbox, s) -> RunningApp.budgetOf(sandbox.config(), s))
            .setting("kafka.delivery-timeout-ms", "30000")
            // the ledger's producer has sent nothing before the broker stops, so its first write waits for the
            // topic's metadata: Kafka's max.block.ms (60 s by default) before the TimeoutException the retry
            // is about. 5 s brings that failure, the same one, without a minute of waiting
            .setting("camel.component.kafka.max-block-ms", "5000")
            .setting("kafka.retry.initial-backoff", "500ms")
            .setting("flashduty.response-timeout-ms", "10000")
            .beforeStart(t -> t.broker().createTopic(t.setting("incident.topic"), 1))
            .startedByTest(); // the log capture starts before the app

    /** Starts the app; sends one event whose create is slow, and stops the broker while it is answered. Its incident. */
    private static String brokerStopsDuringTheCreate(LogCapture logs) throws Exception {
        testApp.start();
        // a GET the loaded app answers too late is "not yet", not a failure
        await().atMost(WAIT).ignoreExceptions().until(() -> testApp.management("/observe/health").statusCode() == 200);
        FlashdutySandbox sandbox = testApp.sandbox();
        sandbox.slow(5_000); // long enough for the broker to be down before the answer comes
        var event = Events.fresh();
        String incident = Events.incidentId(event);
        testApp.kafka().send(testApp.setting("incident.topic"), incident, Events.json(event));
        await("the create arrived").atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> sandbox.createCount(incident) == 1);
        testApp.broker().stop(); // the answer comes back to a process whose broker is gone
        await("the ledger write is retried in place").atMost(WAIT)
                .until(() -> logs.lines().stream().anyMatch(l -> l.contains("writing again") && l.contains("keeps its partition")));
        return incident;
    }

    @Test
    void aLedgerWriteThatFailsIsRetriedInPlaceUntilKafkaTakesIt() throws Exception {
        // whole-topic reads, each up to the end offsets of the moment (the collector may not have the ledger entry yet)
        try (LogCapture logs = LogCapture.capture()) {
            KafkaTestClient kafka = testApp.kafka();
            String incident = brokerStopsDuringTheCreate(logs);
            testApp.broker().start();
            await("the result").atMost(WAIT).until(() -> !kafka.readAll(testApp.setting("result.topic")).isEmpty());
            assertEquals(1, testApp.sandbox().createCount(incident), "one war room");
            assertTrue(kafka.readAll(testApp.setting("ledger.topic")).stream().anyMatch(r -> incident.equals(TestKafka.key(r))),
                    "its ledger entry was written");
            assertTrue(logs.lines().stream().noneMatch(l -> l.contains("the ledger write failed; writing it now")),
                    "the record was never handled again: it kept its partition while the write was retried");
        }
    }

    @Test
    void aGracefulStopNamesTheWarRoomsItCouldNotRecord() throws Exception {
        try (LogCapture logs = LogCapture.capture()) {
            String incident = brokerStopsDuringTheCreate(logs);
            testApp.stop(); // the broker is still down
            assertTrue(logs.lines().stream().anyMatch(l -> l.contains("not in the ledger at the stop") && l.contains("incident_id=" + incident)),
                    "the stop names the incident whose room is unrecorded");
        }
    }
}
