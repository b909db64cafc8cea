package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which IM integration a war room opens in: none enabled, the enabled one, or the pinned one. */
class IntegrationSelectionIT {

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().startedByTest();

    @Test
    void noEnabledIntegrationSkipsAndAPinnedOneIsUsed() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        sandbox.setWarRoomIntegrations(List.of());
        Map<String, String> settings = testApp.settings();
        // an empty list is believed only when the next refresh is empty too (ImIntegrationCatalog)
        settings.put("catalog.refresh", "1s");
        String results = settings.get("result.topic");
        ObjectNode none = Events.fresh();
        TopicCollector topics = testApp.topics();
        testApp.start();
        ImIntegrationCatalog catalog = testApp.app().bean("imIntegrationCatalog", ImIntegrationCatalog.class);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(catalog::isLoaded);
        send(settings, none);
        JsonNode skipped = topics.await(results, j -> Events.incidentId(none).equals(j.path("incident_id").asText()), Duration.ofSeconds(30));
        assertEquals("skipped", skipped.path("status").asText());
        assertEquals("no_war_room_integration", skipped.path("reason").asText());
        testApp.stop();
        assertEquals(0, sandbox.calls("/incident/war-room/create").size());

        // two integrations listed; WAR_ROOM_INTEGRATION_ID pins the second
        Map<String, Object> slack = new LinkedHashMap<>(FlashdutySandbox.defaultIntegration());
        slack.put("integration_id", 2490562293131L);
        slack.put("data_source_id", 2490562293131L);
        slack.put("plugin_type", "slack");
        slack.put("integration_key", "ik_sandbox_SECRET_slack");
        sandbox.setWarRoomIntegrations(List.of(FlashdutySandbox.defaultIntegration(), slack));
        settings.put("war-room.integration-id", "2490562293131");
        settings.put("consumer.group", settings.get("consumer.group") + "-pinned");
        settings.put("ledger.topic", settings.get("ledger.topic") + "-pinned");
        ObjectNode pinned = Events.fresh();
        send(settings, pinned);
        testApp.start();
        JsonNode created = topics.await(results, j -> Events.incidentId(pinned).equals(j.path("incident_id").asText()), Duration.ofSeconds(30));
        assertEquals("created", created.path("status").asText());
        assertEquals(2490562293131L, created.path("integration_id").asLong());
        assertEquals("slack", created.path("plugin_type").asText());
    }

    private static void send(Map<String, String> settings, ObjectNode e) {
        testApp.kafka().send(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
    }
}
