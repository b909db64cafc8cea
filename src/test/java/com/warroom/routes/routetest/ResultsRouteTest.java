package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.LogCapture;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static com.warroom.routes.routetest.FlashdutyStub.LIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What routes/30-results.yaml writes for an event: the ledger entry of a created room before its
 * result, both keyed by the incident and carrying nothing else; the result's fields (the create
 * answer's request_id, the attempts it took, the error code of a failure), counted in
 * war_room_results_total and logged on one line; a ledger write Kafka cannot take for now retried in
 * place, the result following once it is taken. Every row of the decision table: {@link WarRoomDecisionRouteTest}.
 */
class ResultsRouteTest extends RouteTestSupport {

    @BeforeEach
    void catalogLoaded() {
        flashduty.script(LIST, Answer.ok(FlashdutyStub.oneIntegration()));
        assertNull(template().send("direct:im-catalog-load", new DefaultExchange(context)).getException());
        flashduty.reset();
    }

    @Test
    void aRoomOpenedAfterA429IsRecordedWithTheRequestIdOfItsAnswerAndTwoAttempts() throws Exception {
        Answer opened = Answer.ok(FlashdutyStub.chat("oc_results_1"));
        flashduty.script(CREATE, Answer.error(429, "RequestTooFrequently", "slow down").withHeader("Retry-After", "0"), opened);
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        double counted = counter("war.room.results", "status", "created", "reason", "none");
        long eventTimes = observed("war.room.event.to.result", "status", "created");
        long recordTimes = observed("war.room.record.to.result", "status", "created");
        long refused = observed("war.room.flashduty.call.duration", "endpoint", CREATE, "outcome", "rate_limited");
        long succeeded = observed("war.room.flashduty.call.duration", "endpoint", CREATE, "outcome", "success");

        JsonNode result;
        try (LogCapture logs = LogCapture.capture("war-room")) {
            result = handle(event);
            List<String> lines = logs.lines().stream().filter(l -> l.contains("incident_id=" + incidentId)).toList();
            assertEquals(1, lines.size(), "one line per result: " + lines);
            assertTrue(lines.get(0).contains("status=created") && lines.get(0).contains("request_id=" + requestId(opened)), lines.get(0));
        }

        assertEquals("created", result.path("status").asText());
        assertEquals("oc_results_1", result.path("chat_id").asText());
        assertEquals(requestId(opened), result.path("request_id").asText(), "the request id of the answer that opened it");
        assertEquals(2, result.path("attempts").asInt());
        assertEquals(FlashdutyStub.INTEGRATION_ID, result.path("integration_id").asLong());
        assertEquals("feishu", result.path("plugin_type").asText());
        assertEquals(List.of("ledger", "result"), writes, "the ledger entry first");
        Exchange entry = ledgerWrites.getReceivedExchanges().get(0);
        assertEquals(Map.of(KafkaConstants.KEY, incidentId), entry.getMessage().getHeaders(), "the key and nothing else");
        assertEquals("oc_results_1", json(entry).path("chat_id").asText());
        assertEquals(Map.of(KafkaConstants.KEY, incidentId), results.getReceivedExchanges().get(0).getMessage().getHeaders());
        assertEquals(counted + 1, counter("war.room.results", "status", "created", "reason", "none"), 0.0);
        assertEquals(eventTimes + 1, observed("war.room.event.to.result", "status", "created"), "war_room_event_to_result_seconds");
        assertEquals(recordTimes + 1, observed("war.room.record.to.result", "status", "created"), "war_room_record_to_result_seconds");
        assertEquals(refused + 1, observed("war.room.flashduty.call.duration", "endpoint", CREATE, "outcome", "rate_limited"));
        assertEquals(succeeded + 1, observed("war.room.flashduty.call.duration", "endpoint", CREATE, "outcome", "success"));
    }

    @Test
    void aTerminalCodeIsRecordedFailedWithItsCodeAndRequestIdAfterOneAttempt() throws Exception {
        Answer refused = Answer.error(400, "InvalidParameter", "member_ids: no such member");
        flashduty.script(CREATE, refused);
        double counted = counter("war.room.results", "status", "failed", "reason", "InvalidParameter");
        long failed = observed("war.room.event.to.result", "status", "failed");
        long errors = observed("war.room.flashduty.call.duration", "endpoint", CREATE, "outcome", "error");

        JsonNode result = handle(Events.fresh());

        assertEquals("failed", result.path("status").asText());
        assertEquals("InvalidParameter", result.path("reason").asText());
        assertEquals(requestId(refused), result.path("request_id").asText());
        assertEquals(1, result.path("attempts").asInt(), "terminal: not retried");
        assertEquals(List.of("result"), writes, "no ledger entry");
        assertEquals(counted + 1, counter("war.room.results", "status", "failed", "reason", "InvalidParameter"), 0.0);
        assertEquals(failed + 1, observed("war.room.event.to.result", "status", "failed"));
        assertEquals(errors + 1, observed("war.room.flashduty.call.duration", "endpoint", CREATE, "outcome", "error"),
                "Flashduty answered an error.code: error, not transport_error");
    }

    @Test
    void aSkippedIncidentIsNotRecordedSoALaterEventWithRespondersOpensIt() {
        ObjectNode lonely = Events.fresh();
        Events.incident(lonely).putArray("responders");
        Events.incident(lonely).putArray("responder_ids");
        assertEquals("no_responders", handle(lonely).path("reason").asText());
        assertEquals(List.of("result"), writes);

        ObjectNode assigned = Events.fresh(Events.incidentId(lonely));
        assigned.put("event_type", "i_assign");
        assertEquals("created", handle(assigned).path("status").asText());
        assertEquals(1, flashduty.calls(CREATE).size());
    }

    @Test
    void aLedgerWriteKafkaCannotTakeForNowIsRetriedInPlaceThenTheResultFollows() {
        AtomicInteger attempts = new AtomicInteger();
        ledgerWrites.whenAnyExchangeReceived(e -> {
            if (attempts.incrementAndGet() <= 2) {
                throw new TimeoutException("Expiring 1 record(s)");
            }
            writes.add("ledger");
        });
        ObjectNode event = Events.fresh();

        Consumed record = consumed(INCIDENT_TOPIC, Events.incidentId(event), Events.json(event).getBytes(StandardCharsets.UTF_8));
        Exchange done = send("direct:incidents", record);

        assertNull(done.getException());
        assertEquals(3, attempts.get(), "two failed, the third taken");
        assertEquals(List.of("ledger", "result"), writes);
        assertEquals(1, flashduty.calls(CREATE).size(), "retried in place: no second create");
        assertTrue(record.committed());
    }

    JsonNode handle(ObjectNode event) {
        int before = results.getReceivedCounter();
        Consumed record = consumed(INCIDENT_TOPIC, Events.incidentId(event), Events.json(event).getBytes(StandardCharsets.UTF_8));
        Exchange done = send("direct:incidents", record);
        assertNull(done.getException());
        assertTrue(record.committed());
        return json(results.getReceivedExchanges().get(before));
    }

    static String requestId(Answer answer) {
        try {
            return MAPPER.readTree(answer.body()).path("request_id").asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
