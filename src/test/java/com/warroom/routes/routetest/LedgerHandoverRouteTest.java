package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.kafka.PollReturned;
import com.warroom.routes.kafka.RecordDeadline;
import com.warroom.routes.observe.ReadinessCheck;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.LogCapture;
import org.apache.camel.Exchange;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ledger write that keeps failing is retried in place only until max.poll.interval.ms (from the
 * poll's return) comes near; then the consumer route stops, handing its partitions over, readiness
 * kafka-access is DOWN, one line names the room opened but not in the ledger, and nothing is committed.
 * Started again, the route writes the kept entry without a second create.
 */
class LedgerHandoverRouteTest extends RouteTestSupport {

    @Test
    // an incident still held by the first record (its route stopped mid-exchange) would make the second wait for good
    @Timeout(120)
    void aLedgerWriteThatKeepsFailingHandsThePartitionOverBeforeThePollInterval() throws Exception {
        flashduty.script(FlashdutyStub.LIST, Answer.ok(FlashdutyStub.oneIntegration()));
        Exchange loaded = template().send("direct:im-catalog-load", new DefaultExchange(context));
        assertEquals("success", loaded.getProperty(FlashdutyCallState.OUTCOME));
        flashduty.reset();
        AtomicInteger attempts = new AtomicInteger();
        ledgerWrites.whenAnyExchangeReceived(e -> {
            attempts.incrementAndGet();
            throw new TimeoutException("Expiring 1 record(s) for war-room-ledger-0: the broker is unreachable");
        });
        long ledgerWriteMillis = RecordDeadline.ledgerWriteMillis(
                Long.parseLong(context.resolvePropertyPlaceholders("{{kafka.max-poll-interval-ms}}")),
                Long.parseLong(context.resolvePropertyPlaceholders("{{kafka.delivery-timeout-ms}}")));
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        Consumed record = consumed(INCIDENT_TOPIC, incidentId, Events.json(event).getBytes(StandardCharsets.UTF_8));

        try (LogCapture logs = LogCapture.capture()) {
            // the record came from a poll that returned long ago: a second is left to write its ledger entry
            CompletableFuture<Exchange> handled = CompletableFuture.supplyAsync(() -> {
                PollReturned.at(System.nanoTime() - Duration.ofMillis(ledgerWriteMillis).minusSeconds(1).toNanos());
                try {
                    return send("direct:incidents", record);
                } finally {
                    PollReturned.at(null);
                }
            });
            await("the consumer route stops").atMost(Duration.ofSeconds(60))
                    .until(() -> handled.isDone() && context.getRouteController().getRouteStatus("incidents").isStopped());
            assertTrue(attempts.get() >= 2, "the write was retried in place while there was time: " + attempts.get());
            assertFalse(record.committed(), "nothing committed");
            assertEquals(0, results.getReceivedCounter(), "no result");
            assertTrue(deadLetterProducer.history().isEmpty(), "nothing set aside");
            assertEquals(1, flashduty.calls(CREATE).size());
            ReadinessCheck kafkaAccess = context.getRegistry().lookupByNameAndType("kafkaAccessHealthCheck", ReadinessCheck.class);
            HealthCheck.Result readiness = kafkaAccess.call();
            assertEquals(HealthCheck.State.DOWN, readiness.getState());
            assertTrue(readiness.getMessage().orElse("").contains("1 war room(s) opened but not in the ledger"), readiness.getMessage().toString());
            assertEquals(1, logs.lines().stream().filter(l -> l.contains("hands its partitions over")
                    && l.contains("incident_id=" + incidentId)).count(), "one line names the room opened but not in the ledger");
        }

        // Kafka is back and the route is started again: the kept entry is written, no second create
        int tried = attempts.get();
        ledgerWrites.whenAnyExchangeReceived(e -> writes.add("ledger"));
        context.getRouteController().startRoute("incidents");
        Exchange again = send("direct:incidents", consumed(INCIDENT_TOPIC, incidentId, Events.json(event).getBytes(StandardCharsets.UTF_8)));
        assertNull(again.getException());
        assertEquals("created", json(results.getReceivedExchanges().get(0)).path("status").asText());
        assertEquals(tried + 1, ledgerWrites.getReceivedCounter(), "the kept entry is written");
        assertEquals(1, flashduty.calls(CREATE).size(), "one war room");
        ReadinessCheck kafkaAccess = context.getRegistry().lookupByNameAndType("kafkaAccessHealthCheck", ReadinessCheck.class);
        assertEquals(HealthCheck.State.UP, kafkaAccess.call().getState(), "ready again once the route is started again");
    }
}
