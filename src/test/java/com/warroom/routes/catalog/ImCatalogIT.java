package com.warroom.routes.catalog;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.*;

/** The IM-integration catalog: Flashduty + Rocket.Chat into INTEGRATION_TOPIC, secrets stripped. */
class ImCatalogIT {

    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().perTest().startedByTest().collect("integration.topic");

    /** Rocket.Chat in the sandbox at most 3 a page, the app pointed at it asking 3 a page, both catalogs refreshed every second. */
    static FlashdutySandbox withRocketChat() {
        FlashdutySandbox sandbox = testApp.sandbox();
        sandbox.config().rocketChatMaxCount(3);
        WarRoomTestApp.rocketChatSettings(sandbox, testApp.settings());
        testApp.settings().put("rocketchat.page-size", "3");
        testApp.settings().put("catalog.refresh", "1s");
        return sandbox;
    }

    static Set<String> liveKeys(TopicCollector topics, String topic) {
        Map<String, byte[]> latest = new java.util.HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : topics.records(topic)) {
            latest.put(TestKafka.key(r), r.value());
        }
        return latest.entrySet().stream().filter(e -> e.getValue() != null).map(Map.Entry::getKey).collect(Collectors.toSet());
    }

    @Test
    void pagesThroughRocketChatPublishesBothProvidersAndTombstonesWhatVanished() throws Exception {
        FlashdutySandbox sandbox = withRocketChat();
        sandbox.seedRocketChatIntegrations(8);
        Map<String, String> settings = testApp.settings();
        String topic = settings.get("integration.topic");
        TopicCollector topics = testApp.topics();
        RunningApp app = testApp.start();
        Awaitility.await().atMost(WAIT).until(() -> liveKeys(topics, topic).size() == 9);
        Set<String> keys = liveKeys(topics, topic);
        assertTrue(keys.contains("flashduty:362"));
        assertTrue(keys.contains("rocketchat:RcIntegration0007"));
        List<FlashdutySandbox.Call> pages = sandbox.calls("/api/v1/integrations.list");
        assertTrue(pages.size() >= 3, "8 integrations at most 3 a page: " + pages.size());
        assertTrue(pages.stream().anyMatch(c -> c.query().contains("offset=6")));

        JsonNode rc = topics.json(topic, j -> "RcIntegration0002".equals(j.path("id").asText())).get(0);
        assertEquals(Set.of("provider", "id", "name", "type", "enabled", "channels"), fieldNames(rc));
        assertEquals("rocketchat", rc.path("provider").asText());
        assertEquals("#ops-2", rc.path("channels").get(0).asText());
        JsonNode fd = topics.json(topic, j -> "flashduty".equals(j.path("provider").asText())).get(0);
        assertEquals(Set.of("provider", "id", "name", "type", "enabled", "channels"), fieldNames(fd));
        assertEquals("feishu", fd.path("type").asText());

        // one Rocket.Chat integration and the Flashduty one vanish
        List<Map<String, Object>> fewer = new java.util.ArrayList<>(sandbox.rocketChatIntegrations());
        fewer.remove(4);
        sandbox.setRocketChatIntegrations(fewer);
        sandbox.setWarRoomIntegrations(List.of());
        Awaitility.await().atMost(WAIT).until(() -> !liveKeys(topics, topic).contains("rocketchat:RcIntegration0004")
                && !liveKeys(topics, topic).contains("flashduty:362"));
        assertEquals(7, liveKeys(topics, topic).size());
        for (ConsumerRecord<byte[], byte[]> r : topics.records(topic)) {
            for (String secret : sandbox.secretValues()) {
                assertFalse(r.value() != null && TestKafka.value(r).contains(secret), "secret in " + r.offset());
            }
        }
    }

    @Test
    void unauthorizedKeepsTheLastGoodCatalogAndRateLimitWaitsForTheReset() throws Exception {
        FlashdutySandbox sandbox = withRocketChat();
        sandbox.seedRocketChatIntegrations(5);
        Map<String, String> settings = testApp.settings();
        String topic = settings.get("integration.topic");
        TopicCollector topics = testApp.topics();
        try (LogCapture logs = LogCapture.capture()) {
            RunningApp app = testApp.start();
            Awaitility.await().atMost(WAIT).until(() -> liveKeys(topics, topic).size() == 6);

            sandbox.rocketChatUnauthorized(true);
            int before = sandbox.calls("/api/v1/integrations.list").size();
            Awaitility.await().atMost(WAIT).until(() -> sandbox.calls("/api/v1/integrations.list").stream().skip(before)
                    .filter(c -> c.status() == 401).count() >= 2);
            List<String> errors = logs.lines().stream().filter(l -> l.contains("Rocket.Chat refused the credentials (401)")).toList();
            assertFalse(errors.isEmpty());
            long refreshesWith401 = sandbox.calls("/api/v1/integrations.list").stream().filter(c -> c.status() == 401).count();
            assertTrue(errors.size() <= refreshesWith401, "one line per refresh, not per retry");
            assertEquals(6, liveKeys(topics, topic).size(), "the last good catalog stays");

            sandbox.rocketChatUnauthorized(false);
            sandbox.rocketChatRateLimitNext(1, 1500);
            int start429 = sandbox.calls("/api/v1/integrations.list").size();
            Awaitility.await().atMost(WAIT).until(() -> sandbox.calls("/api/v1/integrations.list").stream().skip(start429)
                    .anyMatch(c -> c.status() == 200));
            assertTrue(sandbox.calls("/api/v1/integrations.list").stream().skip(start429).anyMatch(c -> c.status() == 429));
            assertEquals(0, sandbox.rocketChatCallsBeforeReset(), "no call before X-RateLimit-Reset");
            assertEquals(6, liveKeys(topics, topic).size());
        }
    }

    @Test
    void anEndlessPagerAndAGrowingTotalEndAsFailedRefreshesThatKeepTheLastGoodCatalog() throws Exception {
        FlashdutySandbox sandbox = withRocketChat();
        sandbox.seedRocketChatIntegrations(8);
        Map<String, String> settings = testApp.settings();
        // every check with its note: the stale catalog is visible, the module stays ready
        settings.put("health.exposure-level", "full");
        String topic = settings.get("integration.topic");
        TopicCollector topics = testApp.topics();
        try (LogCapture logs = LogCapture.capture()) {
            RunningApp app = testApp.start();
            Awaitility.await().atMost(WAIT).until(() -> liveKeys(topics, topic).size() == 9);
            int recordsBefore = topics.records(topic).size();
            int callsBefore = sandbox.calls(FlashdutySandbox.ROCKETCHAT_PATH).size();

            // every page answers offset 0: the old pager asked for the same page for ever
            sandbox.rocketChatOffsetStuck(true);
            Awaitility.await().atMost(WAIT).until(() -> failedRefreshes(logs, "does not advance") >= 2);
            long failed = failedRefreshes(logs, "does not advance");
            int calls = sandbox.calls(FlashdutySandbox.ROCKETCHAT_PATH).size() - callsBefore;
            // 8 integrations at 3 a page: 3 pages + 2 of slack a refresh, and one refresh may be under way
            assertTrue(calls <= (failed + 1) * 5, calls + " calls for " + failed + " failed refreshes");
            Awaitility.await().atMost(WAIT).until(() -> metric(app, "im_catalog_stale", "provider=\"rocketchat\"") == 1.0);
            assertEquals(0.0, metric(app, "im_catalog_stale", "provider=\"flashduty\""));
            assertTrue(metric(app, "im_catalog_last_success_seconds", "provider=\"rocketchat\"") > 0, "it was loaded once");
            HttpResponse<String> health = app.management("/observe/health");
            assertEquals(200, health.statusCode(), "a stale Rocket.Chat catalog does not make the module unready: " + health.body());
            String full = app.management("/observe/health").body();
            assertTrue(full.contains("\"name\":\"im-catalog\"") && full.contains("rocketchat"), full);
            assertEquals(9, liveKeys(topics, topic).size(), "the last good catalog stays");

            // the total grows by a page with every page: never reached, ended at the page bound
            sandbox.rocketChatOffsetStuck(false);
            sandbox.rocketChatTotalGrows(true);
            Awaitility.await().atMost(WAIT).until(() -> failedRefreshes(logs, "total grew") >= 1);
            assertEquals(9, liveKeys(topics, topic).size(), "nothing of a failed refresh is published");
            assertEquals(1.0, metric(app, "im_catalog_stale", "provider=\"rocketchat\""));
            List<ConsumerRecord<byte[], byte[]>> during = topics.records(topic);
            assertTrue(during.subList(recordsBefore, during.size()).stream().allMatch(r -> r.value() != null),
                    "no tombstone for a failed refresh");
            assertTrue(logs.lines().stream().filter(l -> l.contains("Rocket.Chat catalog refresh failed"))
                    .allMatch(l -> l.contains("WARN")), "one WARN line per failed refresh");

            // a good refresh clears the staleness
            sandbox.rocketChatTotalGrows(false);
            sandbox.seedRocketChatIntegrations(8);
            Awaitility.await().atMost(WAIT).until(() -> metric(app, "im_catalog_stale", "provider=\"rocketchat\"") == 0.0);
            Awaitility.await().atMost(WAIT).until(() -> app.management("/observe/health").body()
                    .contains("{\"name\":\"im-catalog\",\"status\":\"UP\"}"));
            assertEquals(9, liveKeys(topics, topic).size());
            for (ConsumerRecord<byte[], byte[]> r : topics.records(topic)) {
                for (String secret : sandbox.secretValues()) {
                    assertFalse(r.value() != null && TestKafka.value(r).contains(secret), "secret in " + r.offset());
                }
            }
            logs.lines().forEach(l -> sandbox.secretValues().forEach(secret -> assertFalse(l.contains(secret), l)));
        }
    }

    @Test
    void flashdutyKeepsRefreshingWhileRocketChatWaitsOutALongRateLimit() throws Exception {
        FlashdutySandbox sandbox = withRocketChat();
        sandbox.seedRocketChatIntegrations(5);
        Map<String, String> settings = testApp.settings();
        settings.put("rocketchat.refresh", "60s"); // the 429 wait of one refresh may take up to 60 s
        String topic = settings.get("integration.topic");
        sandbox.rocketChatRateLimitNext(1, 25_000);
        TopicCollector topics = testApp.topics();
        RunningApp app = testApp.start();
        Awaitility.await().atMost(WAIT).until(() -> sandbox.calls("/datasource/im/war-room-enabled/list").size() >= 6);
        List<FlashdutySandbox.Call> rc = sandbox.calls(FlashdutySandbox.ROCKETCHAT_PATH);
        assertFalse(rc.isEmpty());
        assertTrue(rc.stream().allMatch(c -> c.status() == 429), "Rocket.Chat still waits for X-RateLimit-Reset: " + rc);
        assertTrue(liveKeys(topics, topic).contains("flashduty:362"));

        Awaitility.await().atMost(Duration.ofSeconds(45)).until(() -> liveKeys(topics, topic).size() == 6);
        assertEquals(0, sandbox.rocketChatCallsBeforeReset(), "no call before X-RateLimit-Reset");
        assertEquals(0.0, metric(app, "im_catalog_stale", "provider=\"rocketchat\""));
    }

    /** WARN lines of failed Rocket.Chat refreshes that say this. */
    /**
     * Rocket.Chat answers a gzip bomb (256 MiB inflated), then 50 MB of plain JSON, then a page that
     * trickles a byte every half second: each read stops at ROCKETCHAT_MAX_ANSWER_BYTES or
     * ROCKETCHAT_CALL_TIMEOUT_MS (2 s here), each refresh fails with one line naming that setting, the
     * catalog keeps its last good list, and the next good answer refreshes it.
     */
    @Test
    void rocketChatAnswersPastTheCapOrTricklingFailTheRefreshAndKeepTheLastGoodCatalog() throws Exception {
        FlashdutySandbox sandbox = withRocketChat();
        sandbox.seedRocketChatIntegrations(5);
        Map<String, String> settings = testApp.settings();
        settings.put("rocketchat.call-timeout-ms", "2000");
        String topic = settings.get("integration.topic");
        TopicCollector topics = testApp.topics();
        try (LogCapture logs = LogCapture.capture()) {
            RunningApp app = testApp.start();
            Awaitility.await().atMost(WAIT).until(() -> liveKeys(topics, topic).size() == 6);
            int recordsBefore = topics.records(topic).size();

            sandbox.hostileAnswers(FlashdutySandbox.HostileBody.GZIP_BOMB, 1, FlashdutySandbox.ROCKETCHAT_PATH);
            Awaitility.await().atMost(WAIT).until(() -> failedRefreshes(logs, "larger than ROCKETCHAT_MAX_ANSWER_BYTES") >= 1);
            sandbox.hostileAnswers(FlashdutySandbox.HostileBody.HUGE_PLAIN, 1, FlashdutySandbox.ROCKETCHAT_PATH);
            Awaitility.await().atMost(WAIT).until(() -> failedRefreshes(logs, "larger than ROCKETCHAT_MAX_ANSWER_BYTES") >= 2);
            assertEquals(2.0, metric(app, "http_answers_too_large_total", "service=\"rocketchat\""));
            sandbox.trickleRocketChat(1, 500);
            Awaitility.await().atMost(WAIT).until(() -> failedRefreshes(logs, "no whole answer within ROCKETCHAT_CALL_TIMEOUT_MS") >= 1);

            assertEquals(6, liveKeys(topics, topic).size(), "the last good catalog stays");
            List<ConsumerRecord<byte[], byte[]>> during = topics.records(topic);
            assertTrue(during.subList(recordsBefore, during.size()).stream().allMatch(r -> r.value() != null),
                    "no tombstone for a failed refresh");
            // the next good answer refreshes it: no longer stale
            Awaitility.await().atMost(WAIT).until(() -> metric(app, "im_catalog_stale", "provider=\"rocketchat\"") == 0.0);
            assertEquals(6, liveKeys(topics, topic).size());
        }
    }

    static long failedRefreshes(LogCapture logs, String why) {
        return logs.lines().stream().filter(l -> l.contains("Rocket.Chat catalog refresh failed") && l.contains(why)).count();
    }

    /** The sum of a metric's samples whose labels include this one, -1 when there is none. */
    static double metric(RunningApp app, String name, String label) throws Exception {
        double sum = 0;
        boolean found = false;
        for (String line : app.management("/observe/metrics").body().split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    @Test
    void oneFetchServesTheWarRoomCacheAndTheCatalog() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        KafkaTestClient kafka = testApp.kafka();
        Map<String, String> settings = testApp.settings();
        String results = settings.get("result.topic");
        String topic = settings.get("integration.topic");
        TopicCollector topics = testApp.topics();
        testApp.start();
        for (int i = 0; i < 5; i++) {
            var e = Events.fresh();
            kafka.send(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
        }
        topics.awaitCount(results, r -> "created".equals(r.path("status").asText()), 5, WAIT);
        Awaitility.await().atMost(WAIT).until(() -> liveKeys(topics, topic).contains("flashduty:362"));
        assertEquals(1, sandbox.calls("/datasource/im/war-room-enabled/list").size(),
                "one list call at start served both the cache and the catalog, none per event");
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
