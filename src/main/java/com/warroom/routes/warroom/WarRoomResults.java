package com.warroom.routes.warroom;

import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.EchoedFields;
import com.warroom.routes.incident.IncidentEventParser;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * The war-room-results record (README, "Topics and records"): JSON value, key incident_id, and no other header, so
 * nothing from the incident record or an HTTP answer can reach the Kafka producer.
 */
public final class WarRoomResults {

    private final ObjectMapper mapper;

    public WarRoomResults(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public void build(Exchange exchange) throws JsonProcessingException {
        String status = exchange.getProperty(WarRoomState.STATUS, String.class);
        ObjectNode r = mapper.createObjectNode();
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        r.put("incident_id", incidentId);
        r.put("event_id", exchange.getProperty(IncidentEventParser.EVENT_ID, String.class));
        r.put("event_type", exchange.getProperty(IncidentEventParser.EVENT_TYPE, String.class));
        r.put("status", status);
        r.put("reason", exchange.getProperty(WarRoomState.REASON, String.class));
        JsonNode chat = null;
        if ("already_exists".equals(status)) {
            chat = exchange.getProperty(WarRoomState.LEDGER_ENTRY, JsonNode.class);
            r.set("integration_id", chat.get("integration_id"));
            r.set("plugin_type", chat.get("plugin_type"));
        } else {
            r.put("integration_id", exchange.getProperty(WarRoomState.INTEGRATION_ID, Long.class));
            r.put("plugin_type", exchange.getProperty(WarRoomState.PLUGIN_TYPE, String.class));
            if ("created".equals(status)) {
                chat = exchange.getProperty(FlashdutyCallState.DATA, JsonNode.class);
            }
        }
        r.put("chat_id", text(chat, "chat_id"));
        r.put("chat_name", text(chat, "chat_name"));
        r.put("share_link", text(chat, "share_link"));
        boolean called = "created".equals(status) || "failed".equals(status);
        r.put("request_id", "already_exists".equals(status) ? text(chat, "request_id")
                : called ? exchange.getProperty(FlashdutyCallState.REQUEST_ID, String.class) : null);
        if ("failed".equals(status)) {
            r.put("error_message", EchoedFields.clipped(exchange.getProperty(FlashdutyCallState.ERROR_MESSAGE, String.class)));
        }
        r.put("attempts", called ? exchange.getProperty(FlashdutyCallState.ATTEMPTS, 0, Integer.class).intValue() : 0);
        r.put("processed_at", Instant.now().toString());
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setHeader(KafkaConstants.KEY, incidentId);
        exchange.getMessage().setBody(mapper.writeValueAsString(r));
    }

    private static String text(JsonNode node, String field) {
        if (node == null) {
            return null;
        }
        JsonNode n = node.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
