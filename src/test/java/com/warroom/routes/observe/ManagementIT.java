package com.warroom.routes.observe;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.LocalAddresses;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * /observe/health and /observe/metrics of the shipped routes and configuration, against the real
 * broker and the sandbox: readiness follows the Kafka consumer, the IM catalog and Flashduty's
 * Unauthorized answers; the metrics count results, calls, 429s and dead letters; neither page
 * ever shows a secret.
 */
class ManagementIT {

    static final Duration WAIT = Duration.ofSeconds(30);
    /** What a caller may add to ask Camel's own health page for more: error texts, stack traces, the checks' data. */
    static final List<String> MORE_DETAIL = List.of("?exposureLevel=full", "?stackTrace=true", "?exposureLevel=full&stackTrace=true",
            "?data=true", "?exposureLevel=full&stackTrace=true&data=true");

    static final List<String> secrets = new ArrayList<>();
    /** Kafka credentials are secrets too (unused with PLAINTEXT, but configured on every client, from a client properties file). */
    static final String KAFKA_PASSWORD = "kafka-" + Events.randomHex(16);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults()
            .setting("catalog.refresh", "500ms")
            .setting("kafka.client-properties-file", TestKafka.clientPropertiesFile("management-it.properties", "ssl.truststore.password=" + KAFKA_PASSWORD))
            .beforeStart(t -> {
                secrets.addAll(t.sandbox().secretValues());
                secrets.add(KAFKA_PASSWORD);
            });

    static RunningApp app() {
        return testApp.app();
    }

    static FlashdutySandbox sandbox() {
        return testApp.sandbox();
    }

    static String setting(String key) {
        return testApp.setting(key);
    }

    static void send(String topic, String key, String value) {
        testApp.kafka().send(topic, key, value);
    }

    @Test
    void readyOnlyWhileFlashdutyAcceptsTheKeyAndNoSecretOnEitherPage() throws Exception {
        HttpResponse<String> ready = await().atMost(WAIT).until(() -> app().management("/observe/health"),
                r -> r.statusCode() == 200);
        assertTrue(ready.body().contains("UP"), ready.body());
        assertTrue(app().bean("imIntegrationCatalog", com.warroom.routes.warroom.ImIntegrationCatalog.class).isLoaded());
        assertNoSecret(ready.body());
        assertEquals(0, probe(), "the container's health probe sees it ready");
        // what readiness is made of: the Kafka consumer, the IM catalog, Flashduty's answers
        Map<String, String> states = new java.util.TreeMap<>();
        org.apache.camel.health.HealthCheckHelper.invokeReadiness(app().context(), "full")
                .forEach(r -> states.put(r.getCheck().getId(), r.getState().name()));
        for (String check : List.of("consumer:incidents", "im-catalog", "flashduty-auth")) {
            assertEquals("UP", states.get(check), check + " in " + states);
        }

        // the key is revoked on Flashduty's side: the next catalog refresh answers Unauthorized
        String rightKey = sandbox().config().appKey();
        sandbox().config().appKey("rotated-" + Events.randomHex(12));
        secrets.add(sandbox().config().appKey());
        try {
            HttpResponse<String> down = await().atMost(WAIT).until(() -> app().management("/observe/health"),
                    r -> r.statusCode() == 503);
            assertTrue(down.body().contains("DOWN"), down.body());
            assertTrue(down.body().contains("flashduty-auth"), down.body());
            assertNoSecret(down.body());
            assertEquals(1, probe(), "the container's health probe sees it not ready");
            assertNoSecret(app().management("/observe/health?exposureLevel=full").body());
            assertNoSecret(app().management("/observe/metrics").body());
        } finally {
            sandbox().config().appKey(rightKey);
        }
        await().atMost(WAIT).until(() -> app().management("/observe/health").statusCode() == 200);
    }

    @Test
    void notReadyWhileTheKafkaConsumerCannotRun() throws Exception {
        await().atMost(WAIT).until(() -> app().management("/observe/health").statusCode() == 200);
        KafkaBroker broker = KafkaBroker.shared();
        try {
            broker.stop();
            HttpResponse<String> down = await().atMost(Duration.ofSeconds(90)).until(() -> app().management("/observe/health"),
                    r -> r.statusCode() == 503);
            assertTrue(down.body().contains("consumer:incidents"), down.body());
            assertNoSecret(app().management("/observe/health?exposureLevel=full").body());
            // the consumer's check holds the Kafka error and the brokers, group and topic: none of it is shown
            for (String query : MORE_DETAIL) {
                assertNoMoreThanDefaultDetail(app().management("/observe/health" + query).body());
            }
        } finally {
            broker.start();
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> app().management("/observe/health").statusCode() == 200);
    }

    @Test
    void theCallerCannotAskForMoreDetailThanConfigured() throws Exception {
        await().atMost(WAIT).until(() -> app().management("/observe/health").statusCode() == 200);
        String rightKey = sandbox().config().appKey();
        sandbox().config().appKey("rotated-" + Events.randomHex(12));
        secrets.add(sandbox().config().appKey());
        try {
            await().atMost(WAIT).until(() -> app().management("/observe/health").statusCode() == 503);
            for (String page : List.of("/observe/health", "/observe/health/ready", "/observe/health/live")) {
                HttpResponse<String> plain = app().management(page);
                assertNoMoreThanDefaultDetail(plain.body());
                for (String query : MORE_DETAIL) {
                    HttpResponse<String> asked = app().management(page + query);
                    assertEquals(plain.statusCode(), asked.statusCode(), page + query);
                    assertEquals(TestKafka.MAPPER.readTree(plain.body()), TestKafka.MAPPER.readTree(asked.body()),
                            page + query + " answers what " + page + " does");
                }
            }
        } finally {
            sandbox().config().appKey(rightKey);
        }
        await().atMost(WAIT).until(() -> app().management("/observe/health").statusCode() == 200);
    }

    /** By default (MANAGEMENT_HOST 127.0.0.1) nothing but this machine reaches the management port. */
    @Test
    void theManagementPortListensOnLoopbackOnlyByDefault() throws Exception {
        InetAddress external = LocalAddresses.nonLoopbackIpv4().orElse(null);
        assumeTrue(external != null, "this machine has no non-loopback IPv4 address");
        int port = testApp.managementPort();
        assertTrue(LocalAddresses.accepts(InetAddress.getByName("127.0.0.1"), port), "reachable on 127.0.0.1");
        try (ServerSocket everywhere = new ServerSocket(0)) {
            assertTrue(LocalAddresses.accepts(external, everywhere.getLocalPort()), external + " is reachable from here");
        }
        assertFalse(LocalAddresses.accepts(external, port), "the management port is not reachable on " + external);
    }

    @Test
    void metricsCountResultsCallsRateLimitsAndDeadLetters() throws Exception {
        String incidents = setting("incident.topic");
        ObjectNode created = Events.fresh();
        ObjectNode filtered = Events.fresh();
        filtered.put("event_type", "i_ack");
        send(incidents, Events.incidentId(created), Events.json(created));
        send(incidents, Events.incidentId(filtered), Events.json(filtered));
        send(incidents, "bad", "{not json");
        awaitResult(created);
        awaitResult(filtered);

        sandbox().rateLimitStorm(2, 0);
        ObjectNode afterStorm = Events.fresh();
        send(incidents, Events.incidentId(afterStorm), Events.json(afterStorm));
        assertEquals("created", awaitResult(afterStorm));

        String metrics = await().atMost(WAIT).until(() -> app().management("/observe/metrics").body(),
                body -> value(body, "war_room_dead_lettered_total", "reason=\"malformed_json\"") >= 1);
        assertTrue(value(metrics, "war_room_results_total", "status=\"created\"", "reason=\"none\"") >= 2, metrics);
        assertTrue(value(metrics, "war_room_results_total", "status=\"skipped\"", "reason=\"event_type_filtered\"") >= 1);
        assertTrue(value(metrics, "war_room_flashduty_calls_total", "endpoint=\"/incident/war-room/create\"", "code=\"success\"") >= 2);
        assertTrue(value(metrics, "war_room_flashduty_calls_total", "code=\"RequestTooFrequently\"") >= 2);
        assertTrue(value(metrics, "war_room_flashduty_rate_limited_total") >= 2);
        assertTrue(value(metrics, "war_room_flashduty_budget_wait_seconds_count") >= 3);
        assertTrue(metrics.contains("war_room_flashduty_budget_wait_seconds_sum"), "budget wait time is exported");
        assertTrue(value(metrics, "war_room_ledger_size") >= 2);
        assertEquals(1000.0, value(metrics, "war_room_flashduty_budget_share_per_minute"), "a replica alone has the whole minute budget");
        assertTrue(value(metrics, "war_room_flashduty_budget_claims_total") >= 1, "every call is claimed in the budget journal first");
        assertEquals(0.0, value(metrics, "war_room_flashduty_budget_others_claimed"), "no other replica claimed anything");
        assertTrue(metrics.contains("war_room_flashduty_budget_calls_given_back_total"), "calls given back are exported");
        assertNoSecret(metrics);
    }

    @Test
    void oneLogLinePerHandledEventWithItsOutcomeAndNoSecret() throws Exception {
        String incidents = setting("incident.topic");
        ObjectNode created = Events.fresh();
        ObjectNode closed = Events.fresh();
        Events.incident(closed).put("progress", "Closed");
        try (LogCapture log = LogCapture.capture("war-room")) {
            send(incidents, Events.incidentId(created), Events.json(created));
            send(incidents, Events.incidentId(closed), Events.json(closed));
            awaitResult(created);
            awaitResult(closed);
            String createdLine = onlyLine(log, created);
            assertTrue(createdLine.contains("incident_id=" + Events.incidentId(created)), createdLine);
            assertTrue(createdLine.contains("status=created"), createdLine);
            assertTrue(createdLine.matches("(?s).*request_id=\\S+.*") && !createdLine.contains("request_id= "), createdLine);
            String closedLine = onlyLine(log, closed);
            assertTrue(closedLine.contains("status=skipped reason=incident_closed"), closedLine);
            log.lines().forEach(ManagementIT::assertNoSecret);
        }
    }

    /** The war-room logger's line of this event: exactly one. */
    static String onlyLine(LogCapture log, ObjectNode event) {
        String id = "event_id=" + event.path("event_id").asText() + " ";
        List<String> lines = await().atMost(WAIT).until(
                () -> log.lines().stream().filter(l -> l.contains(" war-room - ") && l.contains(id)).toList(), l -> !l.isEmpty());
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0);
    }

    static int probe() {
        return HealthProbe.probe(HealthProbe.host(), testApp.managementPort(), Duration.ofSeconds(10));
    }

    static String awaitResult(ObjectNode event) {
        String eventId = event.path("event_id").asText();
        return testApp.topics().await(setting("result.topic"), r -> eventId.equals(r.path("event_id").asText()), WAIT)
                .path("status").asText();
    }

    /** The sum of the samples of a metric whose labels include every given label (Prometheus text format). */
    static double value(String body, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : body.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                found = true;
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return found ? sum : -1;
    }

    /**
     * A health answer at the default level: its status and the checks that are down with their fixed
     * message; no error text, stack trace or check data, none of the brokers, group or topics.
     */
    static void assertNoMoreThanDefaultDetail(String body) throws Exception {
        JsonNode answer = TestKafka.MAPPER.readTree(body);
        for (JsonNode check : answer.path("checks")) {
            assertEquals("DOWN", check.path("status").asText(), "only checks that are down: " + body);
            check.fieldNames().forEachRemaining(f -> assertTrue(Set.of("name", "status", "message").contains(f), f + " in " + body));
        }
        for (String detail : List.of(setting("kafka.brokers"), setting("consumer.group"), setting("incident.topic"),
                "error-message", "error-stacktrace", "\"data\"")) {
            assertFalse(body.contains(detail), detail + " in " + body);
        }
        assertFalse(java.util.regex.Pattern.compile("\\bat [\\w.$]+\\(").matcher(body).find(), "a stack frame in " + body);
    }

    static void assertNoSecret(String body) {
        for (String secret : secrets) {
            assertFalse(body.contains(secret), "a secret shows on a management page");
        }
    }
}
