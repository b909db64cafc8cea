package com.warroom.routes.ledger;

import java.time.Duration;
import java.util.Map;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.junit.jupiter.api.Test;

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

    private record Setup(KafkaBroker broker, FlashdutySandbox sandbox, KafkaTestClient kafka, Map<String, String> settings,
                         String incident) {
    }

    /** Starts broker, sandbox and app; sends one event whose create is slow, and stops the broker while it is answered. */
    private static Setup brokerStopsDuringTheCreate(LogCapture logs, RunningApp[] app) throws Exception {
        KafkaBroker broker = KafkaBroker.dedicated();
        FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
        KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
        Map<String, String> settings = RunningApp.settings(broker.bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
        RunningApp.budgetOf(sandbox.config(), settings);
        settings.put("kafka.delivery-timeout-ms", "30000");
        settings.put("kafka.retry.initial-backoff", "500ms");
        settings.put("flashduty.response-timeout-ms", "10000");
        broker.createTopic(settings.get("incident.topic"), 1);
        app[0] = RunningApp.start(settings);
        await().atMost(WAIT).until(() -> app[0].management("/observe/health").statusCode() == 200);
        sandbox.slow(5_000); // long enough for the broker to be down before the answer comes
        var event = Events.fresh();
        String incident = Events.incidentId(event);
        kafka.sendJson(settings.get("incident.topic"), incident, Events.json(event));
        await("the create arrived").atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> sandbox.createCount(incident) == 1);
        broker.stop(); // the answer comes back to a process whose broker is gone
        await("the ledger write is retried in place").atMost(WAIT)
                .until(() -> logs.lines().stream().anyMatch(l -> l.contains("writing again") && l.contains("keeps its partition")));
        return new Setup(broker, sandbox, kafka, settings, incident);
    }

    @Test
    void aLedgerWriteThatFailsIsRetriedInPlaceUntilKafkaTakesIt() throws Exception {
        RunningApp[] app = new RunningApp[1];
        Setup s = null;
        try (LogCapture logs = LogCapture.capture()) {
            s = brokerStopsDuringTheCreate(logs, app);
            s.broker().start();
            Setup setup = s;
            await("the result").atMost(WAIT).until(() -> !setup.kafka().readAll(setup.settings().get("result.topic")).isEmpty());
            assertEquals(1, s.sandbox().createCount(s.incident()), "one war room");
            assertTrue(s.kafka().readAll(s.settings().get("ledger.topic")).stream().anyMatch(r -> setup.incident().equals(TestKafka.key(r))),
                    "its ledger entry was written");
            assertTrue(logs.lines().stream().noneMatch(l -> l.contains("the ledger write failed; writing it now")),
                    "the record was never handled again: it kept its partition while the write was retried");
        } finally {
            close(app[0], s);
        }
    }

    @Test
    void aGracefulStopNamesTheWarRoomsItCouldNotRecord() throws Exception {
        RunningApp[] app = new RunningApp[1];
        Setup s = null;
        try (LogCapture logs = LogCapture.capture()) {
            s = brokerStopsDuringTheCreate(logs, app);
            app[0].close(); // the broker is still down
            app[0] = null;
            String incident = s.incident();
            assertTrue(logs.lines().stream().anyMatch(l -> l.contains("not in the ledger at the stop") && l.contains("incident_id=" + incident)),
                    "the stop names the incident whose room is unrecorded");
        } finally {
            close(app[0], s);
        }
    }

    private static void close(RunningApp app, Setup s) throws Exception {
        if (app != null) {
            app.close();
        }
        if (s != null) {
            s.kafka().close();
            s.sandbox().close();
            s.broker().close();
        }
    }
}
