package com.warroom.routes.warroom;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.Records;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The ledger survives a restart: a fresh start replaying the topic from the beginning opens nothing twice. */
class WarRoomRestartIT {

    @Test
    void freshStartReplayingTheTopicFindsEveryWarRoomInTheLedger() throws Exception {
        String brokers = KafkaBroker.shared().bootstrapServers();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaProducer<byte[], byte[]> producer = Records.producer(brokers)) {
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            String results = settings.get("result.topic");
            List<ObjectNode> events = List.of(Events.fresh(), Events.fresh(), Events.fresh());
            for (ObjectNode e : events) {
                producer.send(new ProducerRecord<>(settings.get("incident.topic"), Events.incidentId(e).getBytes(StandardCharsets.UTF_8),
                        Events.json(e).getBytes(StandardCharsets.UTF_8))).get();
            }
            // the sandbox opens chat "oc_" + the incident id for each incident
            Map<String, String> expectedChats = new TreeMap<>();
            for (ObjectNode e : events) {
                expectedChats.put(Events.incidentId(e), "oc_" + Events.incidentId(e).toLowerCase(Locale.ROOT));
            }
            try (TopicCollector topics = new TopicCollector(brokers, List.of(results))) {
                try (RunningApp first = RunningApp.start(settings)) {
                    List<JsonNode> created = topics.awaitCount(results, r -> "created".equals(r.path("status").asText()), 3, Duration.ofSeconds(30));
                    assertEquals(expectedChats, chatsByIncident(created), "the chat the sandbox opened for each incident");
                }
                // a new consumer group starts from the earliest offset: every event comes again
                settings.put("consumer.group", settings.get("consumer.group") + "-replay");
                try (RunningApp second = RunningApp.start(settings)) {
                    assertEquals(3, second.bean("warRoomLedger", WarRoomLedger.class).size(), "ledger read back at start");
                    List<JsonNode> again = topics.awaitCount(results, r -> "already_exists".equals(r.path("status").asText()), 3, Duration.ofSeconds(30));
                    assertEquals(expectedChats, chatsByIncident(again), "each incident's own chat, read back from the ledger");
                }
            }
            for (ObjectNode e : events) {
                assertEquals(1, sandbox.createCount(Events.incidentId(e)), "exactly one create per incident");
            }
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
