package com.warroom.routes.catalog;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.AnswerFields;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.OutRecords;
import com.warroom.routes.warroom.ImIntegrationCatalog;
import org.apache.camel.Exchange;

/**
 * What changes on INTEGRATION_TOPIC (key {@code provider:id}) after a refresh: a record for each
 * integration that is new or changed, a tombstone for each one that vanished. Only a provider whose
 * fetch succeeded is compared, so a failed fetch keeps its last good entries. What the topic holds
 * is read from the topic itself, so a restart neither republishes everything nor forgets anything.
 */
public final class ImCatalogPublisher implements AutoCloseable {

    private final CompactedTopicView topic;
    private final ImIntegrationCatalog flashduty;
    private final ObjectMapper mapper;

    public ImCatalogPublisher(CompactedTopicView topic, ImIntegrationCatalog flashduty, ObjectMapper mapper) {
        this.topic = topic;
        this.flashduty = flashduty;
        this.mapper = mapper;
    }

    public void load() {
        topic.load();
    }

    /** At stop: the topic's follower. */
    @Override
    public void close() {
        topic.close();
    }

    /** After the war-room-enabled list call: the Flashduty integrations, when that call succeeded. */
    public void flashduty(Exchange exchange) throws IOException {
        OutRecords.clear(exchange);
        if (!"success".equals(exchange.getProperty(FlashdutyCallState.OUTCOME, String.class))) {
            return;
        }
        diff(exchange, "flashduty", flashduty.items().stream().map(this::reduce).toList());
    }

    /** After the Rocket.Chat pages: its integrations, when every page arrived; a failed refresh publishes nothing. */
    public void rocketChat(Exchange exchange) throws IOException {
        OutRecords.clear(exchange);
        RocketChatPages.Refresh refresh = exchange.getVariable(RocketChatPages.REFRESH, RocketChatPages.Refresh.class);
        if (refresh != null && refresh.complete()) {
            diff(exchange, "rocketchat", refresh.items());
        }
    }

    /** Once Kafka acknowledged them: what was written is what the topic holds now. */
    public void written(Exchange exchange) {
        for (var r : OutRecords.list(exchange)) {
            String v = r.get("value");
            topic.put(r.get("key"), v == null ? null : v.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private void diff(Exchange exchange, String provider, List<ObjectNode> items) throws IOException {
        Set<String> current = new HashSet<>();
        for (ObjectNode item : items) {
            String key = provider + ":" + item.path("id").asText();
            current.add(key);
            byte[] value = mapper.writeValueAsBytes(item);
            byte[] held = topic.get(key);
            if (held == null || !Arrays.equals(held, value)) {
                OutRecords.add(exchange, key, new String(value, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        for (String key : topic.keys()) {
            if (key.startsWith(provider + ":") && !current.contains(key)) {
                OutRecords.add(exchange, key, null);
            }
        }
    }

    /** A Flashduty IM integration as the catalog publishes it; integration_key and the rest stay behind. */
    ObjectNode reduce(JsonNode i) {
        String id = String.valueOf(i.path("integration_id").asLong(i.path("data_source_id").asLong()));
        boolean enabled = "enabled".equalsIgnoreCase(i.path("status").asText("enabled")) && i.path("settings").path("war_room_enabled").asBoolean(true);
        ObjectNode v = entry(mapper, "flashduty", id, i.path("name"), i.path("plugin_type"), enabled);
        v.putArray("channels");
        return v;
    }

    /** A catalog entry's fields before its channels, in the order every provider's entry has them. */
    static ObjectNode entry(ObjectMapper mapper, String provider, String id, JsonNode name, JsonNode type, boolean enabled) {
        return mapper.createObjectNode().put("provider", provider).put("id", id).put("name", text(name)).put("type", text(type))
                .put("enabled", enabled);
    }

    /** The most characters a catalog field keeps, and the most channels an entry lists: an entry always fits its topic. */
    static final int MAX_FIELD_CHARS = 256;
    static final int MAX_CHANNELS = 100;

    /** A server's text as a catalog field: control characters escaped, at most {@value #MAX_FIELD_CHARS} characters. */
    static String text(JsonNode n) {
        return AnswerFields.bounded(n.isValueNode() ? n.asText("") : "", MAX_FIELD_CHARS);
    }
}
