package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The ledger survives a restart: a fresh start replaying the topic from the beginning opens nothing twice. */
class WarRoomRestartIT {

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().startedByTest();

    @Test
    void freshStartReplayingTheTopicFindsEveryWarRoomInTheLedger() throws Exception {
        Map<String, String> settings = testApp.settings();
        String results = settings.get("result.topic");
        List<ObjectNode> events = List.of(Events.fresh(), Events.fresh(), Events.fresh());
        for (ObjectNode e : events) {
            testApp.kafka().send(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
        }
        // the sandbox opens chat "oc_" + the incident id for each incident
        Map<String, String> expectedChats = new TreeMap<>();
        for (ObjectNode e : events) {
            expectedChats.put(Events.incidentId(e), "oc_" + Events.incidentId(e).toLowerCase(Locale.ROOT));
        }
        TopicCollector topics = testApp.topics();
        testApp.start();
        List<JsonNode> created = topics.awaitCount(results, r -> "created".equals(r.path("status").asText()), 3, Duration.ofSeconds(30));
        assertEquals(expectedChats, chatsByIncident(created), "the chat the sandbox opened for each incident");
        testApp.stop();
        // a new consumer group starts from the earliest offset: every event comes again
        settings.put("consumer.group", settings.get("consumer.group") + "-replay");
        RunningApp second = testApp.start();
        assertEquals(3, second.bean("warRoomLedger", WarRoomLedger.class).size(), "ledger read back at start");
        List<JsonNode> again = topics.awaitCount(results, r -> "already_exists".equals(r.path("status").asText()), 3, Duration.ofSeconds(30));
        assertEquals(expectedChats, chatsByIncident(again), "each incident's own chat, read back from the ledger");
        testApp.stop();
        for (ObjectNode e : events) {
            assertEquals(1, testApp.sandbox().createCount(Events.incidentId(e)), "exactly one create per incident");
        }
    }

    /** incident_id to chat_id of these results; an incident answered twice fails. */
    static Map<String, String> chatsByIncident(List<JsonNode> results) {
        Map<String, String> chats = new TreeMap<>();
        for (JsonNode r : results) {
            String previous = chats.put(r.path("incident_id").asText(), r.path("chat_id").asText());
            assertNull(previous, "two results for incident " + r.path("incident_id").asText());
        }
        return chats;
    }
}
