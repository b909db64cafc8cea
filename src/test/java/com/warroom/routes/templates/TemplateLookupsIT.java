package com.warroom.routes.templates;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Template lookups through the shipped routes, the real broker and the sandbox: what needs the broker,
 * the consumer moving past requests it set aside. Every kind of answer, paging, filters and keys:
 * routetest/TemplateLookupRouteTest; the answers' keys on a compacted topic: kafka/CompactedTopicKeysIT.
 */
class TemplateLookupsIT {

    static final Duration WAIT = Duration.ofSeconds(30);
    static List<String> seeded;

    @RegisterExtension
    static WarRoomTestApp app = WarRoomTestApp.withDefaults().collect("template.topic")
            .beforeStart(t -> seeded = t.sandbox().seedTemplates(3));

    static String topic(String key) {
        return app.setting(key);
    }

    static void request(String json) {
        app.kafka().send(topic("template-request.topic"), null, json);
    }

    static JsonNode answer(String lookupId) {
        return app.topics().await(topic("template.topic"), a -> lookupId.equals(a.path("lookup_id").asText()), WAIT);
    }

    @Test
    void malformedRequestsAreDeadLettered() {
        request("{ not json");
        request("{\"template_id\": 5}");
        request("{\"list\": {\"colour\": \"red\"}}");
        request("{\"template_id\": \"" + seeded.get(1) + "\", \"lookup_id\": \"after-poison\"}");
        assertEquals("found", answer("after-poison").path("lookup_status").asText(), "the requests after the bad ones are answered");
        List<ConsumerRecord<byte[], byte[]>> dead = Awaitility.await().atMost(WAIT)
                .until(() -> app.topics().records(topic("dead-letter.topic")), l -> l.size() >= 3);
        List<String> reasons = dead.stream().map(r -> TestKafka.header(r, "dlq-reason")).toList();
        assertTrue(reasons.containsAll(List.of("malformed_json", "wrong_type", "unknown_field")), reasons.toString());
        assertEquals("{ not json", TestKafka.value(dead.get(0)));
        assertEquals(topic("template-request.topic"), TestKafka.header(dead.get(0), "dlq-source-topic"));
    }
}
