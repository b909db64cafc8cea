package com.warroom.routes.warroom;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs created, failed, retried and dead-lettered events, a template lookup and the IM catalog
 * (Rocket.Chat included) with the Camel and HTTP client loggers at DEBUG, then looks for every secret
 * value of the sandbox (app_key, integration keys, Rocket.Chat credentials and webhook tokens) wherever
 * one could leak: every captured log line, the health and metrics pages, the key, value and headers of
 * every record of every topic, and every request the sandbox received, unmasked (target with its query,
 * every header, body). A secret may show in a request only where the contract puts it: the app_key as
 * the {@code app_key} query parameter of a Flashduty call, the Rocket.Chat credentials as the
 * {@code X-User-Id} and {@code X-Auth-Token} headers of a Rocket.Chat call.
 */
class SecretLeakIT {

    static final Duration WAIT = Duration.ofSeconds(30);

    /** A Kafka password (unused with PLAINTEXT, but on every Kafka client), from a client properties file. */
    static final String KAFKA_PASSWORD = "kafka-" + Events.randomHex(16);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().rocketChat().collect("template.topic", "integration.topic")
            .setting("kafka.client-properties-file", TestKafka.clientPropertiesFile("secret-leak-it.properties", "ssl.keystore.password=" + KAFKA_PASSWORD))
            .startedByTest(); // the log capture starts before the app

    @Test
    void secretsShowOnlyWhereTheContractPutsThem() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        FlashdutySandbox.Config config = sandbox.config();
        Map<String, String> settings = testApp.settings();
        KafkaTestClient kafka = testApp.kafka(); // also reads every topic of the broker to its end, not only the collected ones
        TopicCollector topics = testApp.topics();
        List<String> lines;
        List<String> pages = new ArrayList<>();
        sandbox.seedRocketChatIntegrations(3);
        String results = settings.get("result.topic");
        String templates = settings.get("template.topic");
        String catalog = settings.get("integration.topic");
        ObjectNode ok = Events.fresh();
        ObjectNode notFound = Events.fresh();
        sandbox.failIncident(Events.incidentId(notFound), 400, "ResourceNotFound");
        ObjectNode retried = Events.fresh();
        // a record carrying the key in its own value: only it and its dead-letter copy may hold it
        byte[] poison = TestKafka.utf8("{\"event_id\": \"" + config.appKey() + "\"");
        try (LogCapture logs = LogCapture.capture("com.warroom", "war-room", "org.apache.camel", "org.apache.hc.client5.http")) {
            testApp.start();
            for (ObjectNode e : List.of(ok, notFound)) {
                kafka.send(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
            }
            kafka.send(settings.get("incident.topic"), null, poison, List.of());
            topics.awaitCount(results, r -> true, 2, WAIT);
            sandbox.failNext(1, 503, "ServiceUnavailable");
            kafka.send(settings.get("incident.topic"), Events.incidentId(retried), Events.json(retried));
            topics.await(results, r -> Events.incidentId(retried).equals(r.path("incident_id").asText()), WAIT);
            kafka.send(settings.get("template-request.topic"), null,
                    "{\"template_id\": \"" + FlashdutySandbox.PRESET_TEMPLATE + "\", \"lookup_id\": \"leak-1\"}");
            topics.await(templates, a -> "leak-1".equals(a.path("lookup_id").asText()), WAIT);
            topics.await(catalog, i -> "rocketchat".equals(i.path("provider").asText()), WAIT);
            for (String page : List.of("/observe/health?exposureLevel=full", "/observe/metrics")) {
                HttpResponse<String> r = testApp.management(page);
                assertEquals(200, r.statusCode(), page + ": " + r.body());
                assertFalse(r.body().isBlank(), page + " is empty");
                pages.add(r.body());
            }
            testApp.stop();
            lines = logs.lines();
        }
        List<String> secrets = new ArrayList<>(sandbox.secretValues());
        secrets.add(KAFKA_PASSWORD);
        assertTrue(secrets.containsAll(List.of(config.appKey(), config.rocketChatUserId(), config.rocketChatAuthToken())));
        assertTrue(secrets.size() > 6, "the Rocket.Chat webhook tokens and scripts too: " + secrets.size());

        // every request, unmasked: a secret only where the contract puts it
        int flashdutyCalls = 0;
        int rocketChatCalls = 0;
        List<FlashdutySandbox.RawRequest> requests = sandbox.rawRequests();
        for (FlashdutySandbox.RawRequest r : requests) {
            URI target = URI.create(r.target());
            boolean flashduty = FlashdutySandbox.FLASHDUTY_PATHS.contains(target.getRawPath());
            boolean rocketChat = FlashdutySandbox.ROCKETCHAT_PATH.equals(target.getRawPath());
            String where = r.method() + " " + target.getRawPath();
            List<String> query = target.getRawQuery() == null ? List.of() : List.of(target.getRawQuery().split("&"));
            String keyParameter = "app_key=" + config.appKey();
            if (flashduty) {
                flashdutyCalls++;
                assertEquals(1, query.stream().filter(keyParameter::equals).count(), "the app_key in the query of " + where);
                query = query.stream().filter(p -> !p.equals(keyParameter)).toList();
            } else {
                rocketChatCalls += rocketChat ? 1 : 0;
            }
            assertNoSecret(secrets, target.getRawPath() + "?" + String.join("&", query), "the target of " + where);
            assertNoSecret(secrets, r.body(), "the body of " + where);
            for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
                for (String value : h.getValue()) {
                    boolean credential = rocketChat && (h.getKey().equalsIgnoreCase("X-User-Id") && value.equals(config.rocketChatUserId())
                            || h.getKey().equalsIgnoreCase("X-Auth-Token") && value.equals(config.rocketChatAuthToken()));
                    if (!credential) {
                        assertNoSecret(secrets, h.getKey() + ": " + value, "header " + h.getKey() + " of " + where);
                    }
                }
            }
        }
        assertTrue(flashdutyCalls >= 6, "Flashduty calls seen: " + flashdutyCalls); // list, 2 creates, 503 + retry, template
        assertTrue(rocketChatCalls >= 1, "Rocket.Chat calls seen: " + rocketChatCalls);
        assertEquals(requests.size(), flashdutyCalls + rocketChatCalls, "no request to another path: "
                + requests.stream().map(r -> r.method() + " " + URI.create(r.target()).getRawPath()).collect(Collectors.joining(", ")));

        // every record of every topic, read to its end
        String deadLetters = settings.get("dead-letter.topic");
        int poisonCopies = 0;
        for (String topic : kafka.listTopics()) {
            List<ConsumerRecord<byte[], byte[]>> records = kafka.readAll(topic);
            if (List.of(results, deadLetters, settings.get("ledger.topic"), templates, catalog).contains(topic)) {
                assertFalse(records.isEmpty(), "records on " + topic);
            }
            for (ConsumerRecord<byte[], byte[]> r : records) {
                String where = r.topic() + "@" + r.offset();
                boolean poisonItself = Arrays.equals(poison, r.value())
                        && (topic.equals(settings.get("incident.topic")) || topic.equals(deadLetters));
                if (poisonItself && topic.equals(deadLetters)) {
                    poisonCopies++;
                }
                if (!poisonItself) {
                    assertNoSecret(secrets, latin1(r.value()), "the value of record " + where);
                }
                assertNoSecret(secrets, latin1(r.key()), "the key of record " + where);
                for (Header h : r.headers()) {
                    assertNoSecret(secrets, h.key() + "=" + latin1(h.value()), "header " + h.key() + " of record " + where);
                }
            }
        }
        assertEquals(1, poisonCopies, "the poisoned record dead-lettered once, byte for byte");

        // logs (with the shipped pattern, whose masking is part of what is tested)
        assertTrue(lines.size() > 20, "the capture saw the run (" + lines.size() + " lines)");
        assertTrue(lines.stream().anyMatch(l -> l.contains("status=created")), "the capture saw the result log line");
        // the HTTP client's DEBUG log prints the request line with the query: the shipped pattern masks it
        assertTrue(lines.stream().anyMatch(l -> l.contains("app_key=******")), "the capture saw a masked request line");
        for (String line : lines) {
            assertNoSecret(secrets, line, "a log line");
        }
        for (String page : pages) {
            assertNoSecret(secrets, page, "a management page");
        }
    }

    /** Fails when the text shows a secret; the message shows where, with the secret itself replaced. */
    private static void assertNoSecret(List<String> secrets, String text, String where) {
        for (String secret : secrets) {
            if (text != null && text.contains(secret)) {
                throw new AssertionError(where + " shows a secret: " + text.replace(secret, "<SECRET>"));
            }
        }
    }

    /** Every byte as one character, so that a secret shows whatever else the record holds (not UTF-8 on purpose). */
    private static String latin1(byte[] data) {
        return data == null ? null : new String(data, StandardCharsets.ISO_8859_1);
    }
}
