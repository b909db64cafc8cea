package com.warroom.routes.templates;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.*;

/** Template lookups through the shipped routes, the real broker and the sandbox. */
class TemplateLookupsIT {

    static final Duration WAIT = Duration.ofSeconds(30);
    static List<String> seeded;

    @RegisterExtension
    static WarRoomTestApp app = WarRoomTestApp.withDefaults().collect("template.topic")
            .beforeStart(t -> seeded = t.sandbox().seedTemplates(250));

    static FlashdutySandbox sandbox() {
        return app.sandbox();
    }

    static String topic(String key) {
        return app.setting(key);
    }

    static void request(String json) {
        app.kafka().send(topic("template-request.topic"), null, json);
    }

    static JsonNode answer(String lookupId) {
        return app.topics().await(topic("template.topic"), a -> lookupId.equals(a.path("lookup_id").asText()), WAIT);
    }

    /** The request id of the sandbox's one /template/info answer for this template. */
    static String infoRequestId(String templateId) {
        List<FlashdutySandbox.Call> calls = sandbox().calls("/template/info").stream().filter(c -> templateId.equals(c.templateId())).toList();
        assertEquals(1, calls.size(), "info calls for " + templateId);
        return calls.get(0).requestId();
    }

    @Test
    void infoAndThePreset() {
        String id = seeded.get(7);
        java.time.Instant asked = java.time.Instant.now();
        request("{\"template_id\": \"" + id + "\", \"lookup_id\": \"info-1\"}");
        request("{\"template_id\": \"000000000000000000000001\", \"lookup_id\": \"preset-1\"}");
        JsonNode a = answer("info-1");
        assertEquals(id, a.path("template_id").asText());
        assertEquals("found", a.path("lookup_status").asText());
        assertEquals("Template 7", a.path("template_name").asText());
        assertEquals("enabled", a.path("status").asText(), "the Template's own status is kept");
        assertEquals(infoRequestId(id), a.path("request_id").asText(), "the request id of Flashduty's answer");
        java.time.Instant lookedUp = java.time.Instant.parse(a.path("looked_up_at").asText());
        assertFalse(lookedUp.isBefore(asked) || lookedUp.isAfter(java.time.Instant.now()), "looked up while asked: " + lookedUp);
        JsonNode preset = answer("preset-1");
        assertEquals("found", preset.path("lookup_status").asText());
        assertEquals("000000000000000000000001", preset.path("template_id").asText());
        ConsumerRecord<byte[], byte[]> rec = app.topics().records(topic("template.topic")).stream()
                .filter(r -> r.value() != null && TestKafka.value(r).contains("\"info-1\"")).findFirst().orElseThrow();
        assertEquals(id, TestKafka.key(rec), "key template_id");
        assertFalse(rec.headers().iterator().hasNext());
    }

    @Test
    void listFetchesEveryPageWithTheFiltersPassedThrough() throws Exception {
        request("{\"list\": {\"orderby\": \"created_at\", \"asc\": true, \"team_ids\": [1, 2, 3], \"query\": \"Template\"}, \"lookup_id\": \"list-1\"}");
        List<JsonNode> answers = app.topics().awaitCount(topic("template.topic"), a -> "list-1".equals(a.path("lookup_id").asText()), 250, WAIT);
        Set<String> ids = answers.stream().map(a -> a.path("template_id").asText()).collect(Collectors.toSet());
        assertEquals(Set.copyOf(seeded), ids, "every seeded template, once per id");
        List<FlashdutySandbox.Call> pages = sandbox().calls("/template/list").stream().filter(c -> c.body().contains("\"query\":\"Template\"")).toList();
        assertEquals(3, pages.size(), "250 templates at 100 per page");
        for (int p = 1; p <= 3; p++) {
            JsonNode body = TestKafka.MAPPER.readTree(pages.get(p - 1).body());
            assertEquals(p, body.path("p").asInt());
            assertEquals(100, body.path("limit").asInt());
            assertEquals("created_at", body.path("orderby").asText());
            assertTrue(body.path("asc").asBoolean());
            assertEquals(3, body.path("team_ids").size());
        }
    }

    @Test
    void notFoundAndInvalidIdsAreAnswered() {
        int infoCallsBefore = sandbox().calls("/template/info").size();
        request("{\"template_id\": \"xyz\", \"lookup_id\": \"invalid-1\"}");
        JsonNode invalid = answer("invalid-1");
        assertEquals("invalid", invalid.path("lookup_status").asText());
        assertEquals("InvalidParameter", invalid.path("error_code").asText());
        assertEquals(infoCallsBefore, sandbox().calls("/template/info").size(), "no budget spent on an invalid id");

        String missing = Events.randomObjectId();
        request("{\"template_id\": \"" + missing + "\", \"lookup_id\": \"missing-1\"}");
        JsonNode notFound = answer("missing-1");
        assertEquals("not_found", notFound.path("lookup_status").asText());
        assertEquals("ResourceNotFound", notFound.path("error_code").asText());
        assertEquals(missing, notFound.path("template_id").asText());
        assertEquals(infoRequestId(missing), notFound.path("request_id").asText(), "the request id of Flashduty's answer");
        // keyed by the id, then its tombstone; the invalid id's answer under the fixed key: the topic stays bounded
        List<ConsumerRecord<byte[], byte[]>> missingRecords = Awaitility.await().atMost(WAIT).until(() -> app.topics()
                .records(topic("template.topic")).stream().filter(r -> missing.equals(TestKafka.key(r))).toList(), l -> l.size() == 2);
        assertNull(missingRecords.get(1).value(), "a tombstone after the not_found answer");
        assertTrue(app.topics().records(topic("template.topic")).stream().noneMatch(r -> "xyz".equals(TestKafka.key(r))),
                "no record keyed by the invalid id");
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
