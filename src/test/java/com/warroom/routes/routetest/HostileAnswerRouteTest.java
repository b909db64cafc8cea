package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.AnswerFields;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.FlashdutyEnvelope;
import com.warroom.routes.support.TestKafka;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A create answered with fields no ledger topic takes (a 2 MiB chat_name, a share_link and a
 * request_id with line breaks): the room is recorded with the fields clipped and escaped, so the entry
 * fits the ledger topic (Kafka's default max.message.bytes is 1 MiB), and the next event for the
 * incident finds it instead of creating again.
 */
class HostileAnswerRouteTest extends RouteTestSupport {

    /** far under any ledger topic's max.message.bytes (Kafka's default: 1 MiB) */
    static final int ENTRY_FITS = 16 * 1024;

    @Test
    void aHugeChatNameIsClippedAndTheRoomRecordedOnce() throws Exception {
        flashduty.script(FlashdutyStub.LIST, Answer.ok(FlashdutyStub.oneIntegration()));
        Exchange loaded = template().send("direct:im-catalog-load", new DefaultExchange(context));
        assertEquals("success", loaded.getProperty(FlashdutyCallState.OUTCOME));
        flashduty.reset();

        String chatName = "x".repeat(2 * 1024 * 1024);
        Map<String, Object> data = Map.of("chat_id", "oc_huge", "chat_name", chatName,
                "share_link", "https://applink.feishu.cn/client/chat/oc_huge\nincident_id=forged status=created");
        String forgedRequestId = "req-1\r\nincident_id=forged status=created " + "r".repeat(500);
        flashduty.script(CREATE, Answer.page(200, TestKafka.toJson(FlashdutyEnvelope.ok(forgedRequestId, data))));

        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        Exchange first = send("direct:incidents", consumed(INCIDENT_TOPIC, incidentId, Events.json(event).getBytes(StandardCharsets.UTF_8)));

        assertNull(first.getException());
        JsonNode result = json(results.getReceivedExchanges().get(0));
        assertEquals("created", result.path("status").asText(), result.toString().substring(0, 300));
        assertEquals(1, ledgerWrites.getReceivedCounter(), "the room is in the ledger");
        String entryText = ledgerWrites.getReceivedExchanges().get(0).getMessage().getBody(String.class);
        int entryBytes = entryText.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(entryBytes < ENTRY_FITS, "the ledger entry fits the ledger topic: " + entryBytes + " bytes");
        JsonNode entry = MAPPER.readTree(entryText);
        assertEquals("oc_huge", entry.path("chat_id").asText());
        assertTrue(entry.path("chat_name").asText().endsWith(AnswerFields.CLIPPED), "the chat_name is clipped, and says so");
        for (JsonNode record : new JsonNode[] {entry, result}) {
            for (String field : new String[] {"chat_name", "share_link", "request_id"}) {
                String text = record.path(field).asText();
                assertFalse(text.contains("\n") || text.contains("\r"), field + " holds no line break: " + text.substring(0, Math.min(80, text.length())));
            }
        }
        assertTrue(entry.path("request_id").asText().length() <= AnswerFields.MAX_ID_CHARS);
        assertTrue(result.toString().length() < ENTRY_FITS, "the result fits too");

        // the next event of the incident: in the ledger, no second create
        ObjectNode again = Events.fresh(incidentId);
        Exchange second = send("direct:incidents", consumed(INCIDENT_TOPIC, incidentId, Events.json(again).getBytes(StandardCharsets.UTF_8)));
        assertNull(second.getException());
        assertEquals("already_exists", json(results.getReceivedExchanges().get(1)).path("status").asText());
        assertEquals(1, flashduty.calls(CREATE).size(), "one war room");
        assertTrue(deadLetterProducer.history().isEmpty(), "nothing set aside");
    }
}
