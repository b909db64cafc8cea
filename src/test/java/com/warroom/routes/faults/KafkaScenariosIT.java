package com.warroom.routes.faults;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.incident.EchoedFields;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault scenarios 4, 9, 10, 11: Kafka: the broker stopped and restarted mid-backlog, records up to 4.5 MiB, a dead-letter topic
 * smaller than its sources, a result the broker refuses.
 * The scenarios, their invariants and the reliability table: {@link FaultScenarios}.
 */
class KafkaScenariosIT extends FaultScenarios {

    @Test
    @Order(4)
    void kafkaBrokerStoppedAndRestartedMidBacklog() throws Exception {
        KafkaBroker broker = KafkaBroker.dedicated(); // not the shared one: later tests of the JVM keep a broker never restarted
        try (FaultRun run = new FaultRun("4. Kafka broker stopped " + BROKER_DOWN.toSeconds() + " s, restarted", broker)) {
            run.settings.put("kafka.delivery-timeout-ms", DELIVERY_TIMEOUT_MS);
            run.sendGood(200);
            try (RunningApp app = run.start()) {
                run.awaitResults(40, WAIT);
                broker.stop();
                ScheduledFuture<?> up = scheduler.schedule(() -> {
                    broker.start();
                    return null;
                }, BROKER_DOWN.toMillis(), TimeUnit.MILLISECONDS);
                try {
                    Awaitility.await("broker back").atMost(BROKER_DOWN.plus(WAIT)).until(up::isDone);
                    up.get();
                } finally {
                    broker.start(); // a no-op when running
                }
                run.awaitAllHandled(WAIT);
            }
            System.out.printf("broker restart: %d war rooms opened while the ledger write failed, recovered without a second create%n",
                    run.logLines().stream().filter(l -> l.contains("the ledger write failed")).count());
            assertInvariants(run);
        } finally {
            broker.close();
        }
    }

    @Test
    @Order(9)
    void recordsUpTo4_5MiBOnTopicsThatTake5MiB() throws Exception {
        largeRecords("9. records up to 4.5 MiB on topics that take 5 MiB", false);
    }

    @Test
    @Order(10)
    void aDeadLetterTopicSmallerThanItsSources() throws Exception {
        largeRecords("10. a dead-letter topic of 1 MiB under sources of 5 MiB", true);
    }

    /**
     * An ordinary event whose result Kafka refuses for good (the result topic's max.message.bytes is
     * lowered under it while the app runs: RecordTooLargeException from the broker, non-retriable).
     * The war room was opened once and is in the ledger; the record is set aside as output_rejected,
     * committed, and the partition goes on. No retry, no second create.
     */
    @Test
    @Order(11)
    void aResultKafkaRefusesForGoodIsSetAside() throws Exception {
        try (FaultRun run = new FaultRun("11. a result the result topic refuses (non-retriable)")) {
            KafkaBroker.shared().createTopic(run.topic("result"), 1);
            run.sendGood(5);
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                int largest = run.kafka.readAll(run.topic("result")).stream()
                        .mapToInt(r -> DeadLetterPublisher.size(r.key(), r.value(), r.headers())).max().orElseThrow();
                // results are about the same size; one whose event_id is 224 characters longer no longer fits
                String limit = String.valueOf(largest + 100);
                run.kafka.admin().incrementalAlterConfigs(Map.of(topicResource(run.topic("result")), List.of(new AlterConfigOp(
                        new ConfigEntry("max.message.bytes", limit), AlterConfigOp.OpType.SET)))).all().get();
                Awaitility.await("the lower limit applies").atMost(WAIT).until(() -> limit.equals(run.kafka.admin()
                        .describeConfigs(List.of(topicResource(run.topic("result")))).all().get()
                        .get(topicResource(run.topic("result"))).get("max.message.bytes").value()));
                run.sendGood(3);
                ObjectNode refused = Events.fresh();
                refused.put("event_id", "r".repeat(EchoedFields.MAX_CHARS));
                String incident = Events.incidentId(refused);
                run.sendPoison(TestKafka.utf8(incident), TestKafka.utf8(Events.json(refused)), List.of());
                run.openedThenSetAside.add(incident);
                run.sendGood(3);
                run.awaitAllHandled(WAIT);
                ConsumerRecord<byte[], byte[]> d = run.topics.records(run.topic("dead-letter")).get(0);
                assertEquals("output_rejected", TestKafka.header(d, "dlq-reason"));
                assertEquals("RecordTooLargeException", TestKafka.header(d, "dlq-detail"));
                assertEquals(1, run.sandbox.createCount(incident), "its war room was opened once");
                assertTrue(run.kafka.readAll(run.topic("ledger")).stream().anyMatch(r -> incident.equals(TestKafka.key(r))),
                        "and is in the ledger, so a replay finds it");
                assertTrue(app.management("/observe/metrics").body().lines()
                        .anyMatch(l -> l.startsWith("war_room_dead_lettered_total{reason=\"output_rejected\"") && l.endsWith(" 1.0")));
            }
            assertEquals(0, run.retries(), "set aside, not retried");
            assertInvariants(run);
        }
    }
}
