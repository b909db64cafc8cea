package com.warroom.routes.templates;

import java.time.Duration;
import java.util.List;

import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TEMPLATE_SYNC_INTERVAL: every template into the topic, a tombstone for each that disappeared. */
class TemplateSyncIT {

    static List<String> ids;

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().setting("template.sync-interval", "2s").collect("template.topic")
            .beforeStart(t -> ids = t.sandbox().seedTemplates(120));

    @Test
    void fullSyncThenTombstonesForVanishedTemplates() throws Exception {
        String topic = testApp.setting("template.topic");
        TopicCollector topics = testApp.topics();
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> topics.json(topic).stream().map(j -> j.path("template_id").asText()).distinct().count() >= 121);
        testApp.sandbox().removeTemplate(ids.get(3));
        testApp.sandbox().removeTemplate(ids.get(77));
        List<ConsumerRecord<byte[], byte[]>> tombstones = Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> topics.records(topic).stream().filter(r -> r.value() == null).toList(), l -> l.size() >= 2);
        List<String> removed = tombstones.stream().map(TestKafka::key).sorted().toList();
        assertEquals(List.of(ids.get(3), ids.get(77)).stream().sorted().toList(), removed);
        testApp.stop();
        assertTrue(testApp.sandbox().calls("/template/list").size() >= 4, "at least two full syncs of two pages");
    }
}
