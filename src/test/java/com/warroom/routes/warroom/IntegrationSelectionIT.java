package com.warroom.routes.warroom;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/** Which IM integration a war room opens in: none enabled, the enabled one, or the pinned one. */
class IntegrationSelectionIT {

    @Test
    void noEnabledIntegrationSkipsAndAPinnedOneIsUsed() throws Exception {
        String brokers = KafkaBroker.shared().bootstrapServers();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaProducer<byte[], byte[]> producer = Records.producer(brokers)) {
            sandbox.setWarRoomIntegrations(List.of());
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            String results = settings.get("result.topic");
            ObjectNode none = Events.fresh();
            send(producer, settings, none);
            try (TopicCollector topics = new TopicCollector(brokers, List.of(results))) {
                try (RunningApp app = RunningApp.start(settings)) {
                    JsonNode r = topics.await(results, j -> Events.incidentId(none).equals(j.path("incident_id").asText()), Duration.ofSeconds(30));
                    assertEquals("skipped", r.path("status").asText());
                    assertEquals("no_war_room_integration", r.path("reason").asText());
                }
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
                send(producer, settings, pinned);
                try (RunningApp app = RunningApp.start(settings)) {
                    JsonNode r = topics.await(results, j -> Events.incidentId(pinned).equals(j.path("incident_id").asText()), Duration.ofSeconds(30));
                    assertEquals("created", r.path("status").asText());
                    assertEquals(2490562293131L, r.path("integration_id").asLong());
                    assertEquals("slack", r.path("plugin_type").asText());
                }
            }
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, Map<String, String> settings, ObjectNode e) throws Exception {
        producer.send(new ProducerRecord<>(settings.get("incident.topic"), Events.incidentId(e).getBytes(StandardCharsets.UTF_8),
                Events.json(e).getBytes(StandardCharsets.UTF_8))).get();
    }
}
