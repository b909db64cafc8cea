package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static com.warroom.routes.routetest.FlashdutyStub.LIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flashduty's part of the IM catalog, routes/50-im-catalog.yaml as shipped (no ROCKETCHAT_URL): one
 * war-room-enabled list call per refresh serves both the war-room route's cache and INTEGRATION_TOPIC
 * (key {@code flashduty:<id>}, a record per new or changed integration, a tombstone per vanished one,
 * integration_key never written); a failed refresh keeps the last good entries and marks the source
 * stale without making the module unready; Rocket.Chat is no source at all. Each test starts from a
 * refresh that listed the one integration of the stub. Rocket.Chat's part: {@link RocketChatCatalogRouteTest}.
 */
class ImCatalogRouteTest extends RouteTestSupport {

    static final String TOPIC = "im-integrations";
    static final long SLACK_ID = 2490562293131L;
    static final Set<String> FIELDS = Set.of("provider", "id", "name", "type", "enabled", "channels");

    final CompactedTopic topic = new CompactedTopic(TOPIC);
    int writesBefore;

    @BeforeEach
    void listedTheOneIntegration() {
        records.whenAnyExchangeReceived(topic);
        refresh(Answer.ok(FlashdutyStub.oneIntegration()));
        assertEquals(Set.of("flashduty:362"), topic.held().keySet());
        assertEquals(0.0, stale(), "a good refresh: not stale");
        flashduty.reset();
        writesBefore = topic.writes().size();
    }

    @Test
    void oneListCallServesTheCatalogAndTheWarRoomCache() throws Exception {
        JsonNode entry = MAPPER.readTree(topic.held().get("flashduty:362"));
        assertEquals(FIELDS, fieldNames(entry), "only what the catalog publishes: " + entry);
        assertEquals("flashduty", entry.path("provider").asText());
        assertEquals("362", entry.path("id").asText());
        assertEquals("feishu", entry.path("type").asText());
        assertTrue(entry.path("enabled").asBoolean());
        assertNoSecret();

        for (int i = 0; i < 5; i++) {
            assertEquals("created", open(Events.fresh()).path("status").asText());
        }
        assertEquals(5, flashduty.calls(CREATE).size());
        assertEquals(0, flashduty.calls(LIST).size(), "the refresh's one list call serves the war rooms: none per event");
    }

    @Test
    void aChangeIsPublishedOnceAndVanishedIntegrationsAreTombstonedWhenAnEmptyListIsConfirmed() throws Exception {
        refresh(Answer.ok(FlashdutyStub.oneIntegration()));
        assertEquals(List.of(), topic.writesSince(writesBefore), "an unchanged list publishes nothing");

        refresh(Answer.ok(twoIntegrations()));
        List<CompactedTopic.Written> added = topic.writesSince(writesBefore);
        assertEquals(1, added.size(), "only the new integration: " + added);
        assertEquals("flashduty:" + SLACK_ID, added.get(0).key());
        assertEquals(Map.of(KafkaConstants.KEY, "flashduty:" + SLACK_ID), added.get(0).headers(), "the key and nothing else");
        assertEquals("slack", MAPPER.readTree(added.get(0).value()).path("type").asText());

        // an empty list is believed only on its second answer a refresh apart (CATALOG_REFRESH: 0 ms here)
        int beforeEmpty = topic.writes().size();
        refresh(Answer.ok(FlashdutyStub.noIntegration()));
        assertEquals(List.of(), topic.writesSince(beforeEmpty), "one empty answer removes nothing");
        assertEquals(1.0, stale(), "an empty list not yet believed counts as a failed refresh");
        refresh(Answer.ok(FlashdutyStub.noIntegration()));
        List<CompactedTopic.Written> removed = topic.writesSince(beforeEmpty);
        assertEquals(Set.of("flashduty:362", "flashduty:" + SLACK_ID), keys(removed));
        assertTrue(removed.stream().allMatch(w -> w.value() == null), "tombstones: " + removed);
        assertEquals(Map.of(), topic.held());
        assertEquals(0.0, stale());
        assertNoSecret();

        JsonNode result = open(Events.fresh());
        assertEquals("skipped", result.path("status").asText());
        assertEquals("no_war_room_integration", result.path("reason").asText());
        assertEquals(0, flashduty.calls(CREATE).size());
    }

    @Test
    void aFailedRefreshKeepsTheLastGoodEntriesAndWarRoomsOpenOnThem() {
        Double lastSuccess = meter("war.room.im.catalog.last.success.timestamp.seconds", "provider", "flashduty");
        assertTrue(lastSuccess != null && lastSuccess > 0, "loaded once: " + lastSuccess);

        refresh(Answer.error(403, "AccessDenied", "no permission"));

        assertEquals(List.of(), topic.writesSince(writesBefore), "a failed refresh publishes nothing, no tombstone");
        assertEquals(Set.of("flashduty:362"), topic.held().keySet());
        assertEquals(1.0, stale());
        assertEquals(lastSuccess, meter("war.room.im.catalog.last.success.timestamp.seconds", "provider", "flashduty"));
        HealthCheck.Result health = CompactedTopic.health(context, "im-catalog");
        assertEquals(HealthCheck.State.UP, health.getState(), "a stale catalog does not make the module unready");
        assertTrue(health.getMessage().orElse("").contains("stale: flashduty"), health.getMessage().toString());

        JsonNode result = open(Events.fresh());
        assertEquals("created", result.path("status").asText(), "the war room opens on the last good list: " + result);
        assertEquals(FlashdutyStub.INTEGRATION_ID, result.path("integration_id").asLong());
        assertEquals(1, flashduty.calls(LIST).size(), "the failed refresh's call only: the cache is loaded, no call per event");

        refresh(Answer.ok(FlashdutyStub.oneIntegration()));
        assertEquals(0.0, stale(), "the next good refresh clears it");
        assertTrue(CompactedTopic.health(context, "im-catalog").getMessage().isEmpty());
    }

    @Test
    void withoutRocketChatUrlRocketChatIsNoSource() {
        assertNull(meter("war.room.im.catalog.stale", "provider", "rocketchat"), "no Rocket.Chat freshness without ROCKETCHAT_URL");
        assertNull(context.getRoute("rocketchat-catalog-refresh"), "the route's precondition leaves it out without ROCKETCHAT_URL");
        assertEquals(List.of(), topic.writesSince(writesBefore));
        assertTrue(topic.held().keySet().stream().allMatch(k -> k.startsWith("flashduty:")), topic.held().toString());
        assertNotNull(meter("war.room.im.catalog.stale", "provider", "flashduty"));
    }

    /** One refresh of Flashduty's part, the list answering this. */
    void refresh(Answer list) {
        flashduty.script(LIST, list);
        Exchange done = template().send("direct:im-catalog-refresh", new DefaultExchange(context));
        assertNull(done.getException());
    }

    JsonNode open(ObjectNode event) {
        int before = results.getReceivedCounter();
        Exchange done = send("direct:incidents", consumed(INCIDENT_TOPIC, Events.incidentId(event),
                Events.json(event).getBytes(StandardCharsets.UTF_8)));
        assertNull(done.getException());
        return json(results.getReceivedExchanges().get(before));
    }

    double stale() {
        return meter("war.room.im.catalog.stale", "provider", "flashduty");
    }

    Double meter(String name, String... tags) {
        return CompactedTopic.meter(context, name, tags);
    }

    void assertNoSecret() {
        for (CompactedTopic.Written w : topic.writes()) {
            assertFalse(String.valueOf(w.value()).contains("secret") || String.valueOf(w.value()).contains("integration_key"),
                    "integration_key never leaves the process: " + w);
        }
    }

    static String twoIntegrations() {
        return "{\"items\":[" + FlashdutyStub.oneIntegration().substring(10, FlashdutyStub.oneIntegration().length() - 2)
                + ",{\"data_source_id\":" + SLACK_ID + ",\"integration_id\":" + SLACK_ID + ",\"name\":\"Slack war rooms\","
                + "\"status\":\"enabled\",\"plugin_type\":\"slack\",\"integration_key\":\"secret-slack-key\","
                + "\"settings\":{\"war_room_enabled\":true}}]}";
    }

    static Set<String> keys(List<CompactedTopic.Written> writes) {
        Set<String> s = new TreeSet<>();
        writes.forEach(w -> s.add(w.key()));
        return s;
    }

    static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
