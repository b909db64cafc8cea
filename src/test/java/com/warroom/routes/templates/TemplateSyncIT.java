package com.warroom.routes.templates;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TEMPLATE_SYNC_INTERVAL: every template into the topic, a tombstone for each that disappeared. */
class TemplateSyncIT {

    @Test
    void fullSyncThenTombstonesForVanishedTemplates() throws Exception {
        String brokers = KafkaBroker.shared().bootstrapServers();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            List<String> ids = sandbox.seedTemplates(120);
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            settings.put("template.sync-interval", "2s");
            String topic = settings.get("template.topic");
            try (TopicCollector topics = new TopicCollector(brokers, List.of(topic));
                 RunningApp app = RunningApp.start(settings)) {
                Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> topics.json(topic).stream().map(j -> j.path("template_id").asText()).distinct().count() >= 121);
                sandbox.removeTemplate(ids.get(3));
                sandbox.removeTemplate(ids.get(77));
                List<ConsumerRecord<byte[], byte[]>> tombstones = Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> topics.records(topic).stream().filter(r -> r.value() == null).toList(), l -> l.size() >= 2);
                List<String> removed = tombstones.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).sorted().toList();
                assertEquals(List.of(ids.get(3), ids.get(77)).stream().sorted().toList(), removed);
            }
            assertTrue(sandbox.calls("/template/list").size() >= 4, "at least two full syncs of two pages");
        }
    }
}
