package com.warroom.routes.warroom;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The war-room pipeline end to end: the shipped routes and configuration, a real Kafka broker and
 * the Flashduty sandbox. Each test uses its own incidents, so tests share one running app.
 */
class WarRoomPipelineIT {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final String CREATE = "/incident/war-room/create";

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().collect("ledger.topic");

    static FlashdutySandbox sandbox() {
        return testApp.sandbox();
    }

    static TopicCollector topics() {
        return testApp.topics();
    }

    static String setting(String key) {
        return testApp.setting(key);
    }

    static void send(ObjectNode event) throws Exception {
        send(Events.incidentId(event).getBytes(StandardCharsets.UTF_8), Events.json(event).getBytes(StandardCharsets.UTF_8), List.of());
    }

    static org.apache.kafka.clients.producer.RecordMetadata send(byte[] key, byte[] value, List<Header> headers) throws Exception {
        return testApp.kafka().send(setting("incident.topic"), key, value, headers);
    }

    /** The sandbox's one create call for this incident (its log; incidents here are lower-case hex). */
    static FlashdutySandbox.Call createCall(String incidentId) {
        List<FlashdutySandbox.Call> calls = sandbox().calls(CREATE).stream().filter(c -> incidentId.equalsIgnoreCase(c.incidentId())).toList();
        assertEquals(1, calls.size(), "create calls for " + incidentId);
        return calls.get(0);
    }

    static JsonNode resultFor(String eventId) {
        return topics().await(setting("result.topic"), r -> eventId.equals(r.path("event_id").asText()), WAIT);
    }

    static JsonNode resultFor(ObjectNode event) {
        return resultFor(event.path("event_id").asText());
    }

    @Test
    void documentedExampleOpensExactlyOneWarRoomAndTheSameEventAgainFindsIt() throws Exception {
        // the documented example, made current (its 2023 event_time would be stale, its 2023 start beyond LEDGER_RETENTION)
        ObjectNode event = Events.example();
        event.put("event_time", System.currentTimeMillis());
        Events.started(event, System.currentTimeMillis());
        String incidentId = Events.incidentId(event);
        send(event);

        JsonNode created = resultFor(event);
        assertEquals("created", created.path("status").asText());
        assertEquals(incidentId, created.path("incident_id").asText());
        assertEquals(362, created.path("integration_id").asLong());
        assertEquals("feishu", created.path("plugin_type").asText());
        // the chat the sandbox opened for this incident, and the request id of its answer
        assertEquals("oc_" + incidentId.toLowerCase(java.util.Locale.ROOT), created.path("chat_id").asText());
        assertEquals(createCall(incidentId).requestId(), created.path("request_id").asText());
        assertEquals(1, sandbox().createCount(incidentId));

        JsonNode ledger = topics().await(setting("ledger.topic"), r -> incidentId.equals(r.path("incident_id").asText()), WAIT);
        assertEquals(created.path("chat_id").asText(), ledger.path("chat_id").asText());

        send(event); // redelivered
        List<JsonNode> both = topics().awaitCount(setting("result.topic"),
                r -> incidentId.equals(r.path("incident_id").asText()), 2, WAIT);
        JsonNode again = both.get(1);
        assertEquals("already_exists", again.path("status").asText());
        assertEquals(created.path("chat_id").asText(), again.path("chat_id").asText());
        assertEquals(1, sandbox().createCount(incidentId), "no second create call");

        JsonNode body = TestKafka.MAPPER.readTree(createCall(incidentId).body());
        assertEquals(362, body.path("integration_id").asLong());
        assertTrue(body.path("integration_id").isIntegralNumber());
        assertTrue(body.path("add_observers").asBoolean());
    }

    @Test
    void malformedRecordIsDeadLetteredByteForByteAndTheNextRecordIsHandled() throws Exception {
        byte[] key = {0, 1, 2, (byte) 0xFF};
        byte[] value = "{\"event_id\": \"abc\", \"incident\": {".getBytes(StandardCharsets.UTF_8);
        List<Header> headers = List.of(new RecordHeader("trace", new byte[] {1, 2, 3}),
                new RecordHeader("trace", new byte[] {4}), new RecordHeader("CamelHttpUri", "http://evil".getBytes()));
        var sent = send(key, value, headers);
        ObjectNode next = Events.fresh();
        send(next);

        assertEquals("created", resultFor(next).path("status").asText());
        ConsumerRecord<byte[], byte[]> dead = org.awaitility.Awaitility.await().atMost(WAIT).until(
                () -> topics().records(setting("dead-letter.topic")).stream()
                        .filter(r -> Arrays.equals(key, r.key())).findFirst().orElse(null), java.util.Objects::nonNull);
        assertArrayEquals(value, dead.value());
        List<Header> copied = new ArrayList<>();
        dead.headers().forEach(copied::add);
        assertEquals("trace", copied.get(0).key());
        assertArrayEquals(new byte[] {1, 2, 3}, copied.get(0).value());
        assertEquals("trace", copied.get(1).key());
        assertArrayEquals(new byte[] {4}, copied.get(1).value());
        assertEquals("CamelHttpUri", copied.get(2).key());
        assertEquals("malformed_json", TestKafka.header(dead, "dlq-reason"));
        assertEquals(setting("incident.topic"), TestKafka.header(dead, "dlq-source-topic"));
        assertEquals(String.valueOf(sent.offset()), TestKafka.header(dead, "dlq-source-offset"));
        assertEquals(String.valueOf(sent.partition()), TestKafka.header(dead, "dlq-source-partition"));
    }

    @Test
    void recordHeadersNeverSteerTheCallAndResponseHeadersNeverSteerTheProducer() throws Exception {
        String evilTopic = "evil-" + Events.randomHex(6);
        // a second server that records any request: a followed CamelHttpUri would reach it (with the app_key the client adds)
        try (FlashdutySandbox trap = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            List<Header> hostile = new ArrayList<>();
            for (String[] h : new String[][] {{"CamelHttpUri", trap.baseUrl() + "/steal"}, {"CamelHttpBaseUri", trap.baseUrl()},
                    {"camelhttpquery", "app_key=stolen&steal=1"}, {"CamelHttpRawQuery", "app_key=stolen&steal=1"},
                    {"CAMELHTTPMETHOD", "DELETE"}, {"CamelHttpPath", "/steal"}, {"Authorization", "Bearer stolen"},
                    {"Cookie", "session=stolen"}, {"X-Auth-Token", "stolen"},
                    {"kafka.OVERRIDE_TOPIC", evilTopic}, {"CamelKafkaOverrideTopic", evilTopic}, {"kafka.KEY", "evil-key"}}) {
                hostile.add(new RecordHeader(h[0], h[1].getBytes(StandardCharsets.UTF_8)));
            }
            sandbox().extraResponseHeaders(Map.of("kafka.OVERRIDE_TOPIC", evilTopic, "CamelKafkaOverrideTopic", evilTopic,
                    "CamelKafkaKey", "evil-key", "Set-Cookie", "session=stolen"));
            try {
                ObjectNode event = Events.fresh();
                String incidentId = Events.incidentId(event);
                send(incidentId.getBytes(StandardCharsets.UTF_8), Events.json(event).getBytes(StandardCharsets.UTF_8), hostile);
                JsonNode outcome = resultFor(event); // written only after the create call returned
                assertEquals(List.of(), trap.calls().stream().map(c -> c.method() + " " + c.path() + "?" + c.query()).toList(),
                        "the server named only by record headers got no call");
                assertEquals("created", outcome.path("status").asText());

                ConsumerRecord<byte[], byte[]> result = topics().records(setting("result.topic")).stream()
                        .filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains(incidentId)).findFirst().orElseThrow();
                assertEquals(incidentId, new String(result.key(), StandardCharsets.UTF_8), "the key is the incident id");
                assertFalse(result.headers().iterator().hasNext(), "no header reaches the result record");
                var call = sandbox().calls(CREATE).stream().filter(c -> incidentId.equals(c.incidentId())).findFirst().orElseThrow();
                assertEquals("POST", call.method());
                for (String h : List.of("Authorization", "Cookie", "X-Auth-Token")) {
                    assertFalse(call.headers().containsKey(h), h + " of a record header reached Flashduty");
                }
                assertEquals("app_key=***", call.query(), "only the app_key in the query");
                assertTrue(sandbox().calls().stream().noneMatch(c -> c.path().contains("/steal")));
                try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", KafkaBroker.shared().bootstrapServers()))) {
                    assertFalse(admin.listTopics().names().get().contains(evilTopic), "no record went to a topic named by a header");
                }
            } finally {
                sandbox().extraResponseHeaders(Map.of());
            }
        }
    }
}
