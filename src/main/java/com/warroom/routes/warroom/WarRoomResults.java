package com.warroom.routes.warroom;

import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.IncidentEventParser;
import org.apache.camel.ExchangeProperty;

/**
 * The war-room-results record's value (README, "Topics and records"); routes/30-results.yaml keys it by
 * incident_id and sends it with no other header, so nothing from the incident record or an HTTP answer
 * can reach the Kafka producer.
 */
public final class WarRoomResults {

    private final ObjectMapper mapper;

    public WarRoomResults(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Step {@code result-record}: the result of the event's decision ({@code status}); the chat is the
     * ledger's for {@code already_exists}, the create's answer for {@code created}.
     */
    public String build(@ExchangeProperty(WarRoomState.STATUS) String status, @ExchangeProperty(WarRoomState.REASON) String reason,
                        @ExchangeProperty(IncidentEventParser.INCIDENT_ID) String incidentId,
                        @ExchangeProperty(IncidentEventParser.EVENT_ID) String eventId,
                        @ExchangeProperty(IncidentEventParser.EVENT_TYPE) String eventType,
                        @ExchangeProperty(WarRoomState.LEDGER_ENTRY) JsonNode ledgerEntry,
                        @ExchangeProperty(WarRoomState.INTEGRATION_ID) Long integrationId,
                        @ExchangeProperty(WarRoomState.PLUGIN_TYPE) String pluginType,
                        @ExchangeProperty(FlashdutyCallState.DATA) JsonNode answer,
                        @ExchangeProperty(FlashdutyCallState.REQUEST_ID) String requestId,
                        @ExchangeProperty(FlashdutyCallState.ERROR_MESSAGE) String errorMessage,
                        @ExchangeProperty(FlashdutyCallState.ATTEMPTS) Integer attempts) throws JsonProcessingException {
        boolean exists = "already_exists".equals(status);
        boolean called = "created".equals(status) || "failed".equals(status);
        JsonNode chat = exists ? ledgerEntry : "created".equals(status) ? answer : null;
        ObjectNode r = mapper.createObjectNode();
        r.put("incident_id", incidentId);
        r.put("event_id", eventId);
        r.put("event_type", eventType);
        r.put("status", status);
        r.put("reason", reason);
        if (exists) {
            r.set("integration_id", chat.get("integration_id"));
            r.set("plugin_type", chat.get("plugin_type"));
        } else {
            r.put("integration_id", integrationId);
            r.put("plugin_type", pluginType);
        }
        r.put("chat_id", text(chat, "chat_id"));
        r.put("chat_name", text(chat, "chat_name"));
        r.put("share_link", text(chat, "share_link"));
        r.put("request_id", exists ? text(chat, "request_id") : called ? requestId : null);
        if ("failed".equals(status)) {
            r.put("error_message", errorMessage);
        }
        r.put("attempts", called && attempts != null ? attempts : 0);
        r.put("processed_at", Instant.now().toString());
        return mapper.writeValueAsString(r);
    }

    private static String text(JsonNode node, String field) {
        JsonNode n = node == null ? null : node.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
