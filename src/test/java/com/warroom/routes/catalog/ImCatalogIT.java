package com.warroom.routes.catalog;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.Records;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The IM-integration catalog: Flashduty + Rocket.Chat into INTEGRATION_TOPIC, secrets stripped. */
class ImCatalogIT {

    static final Duration WAIT = Duration.ofSeconds(30);

    static Map<String, String> settings(FlashdutySandbox sandbox) {
        Map<String, String> s = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
        s.put("rocketchat.url", sandbox.baseUrl());
        s.put("rocketchat.user-id-file", RunningApp.secretFile(sandbox.config().rocketChatUserId()).toString());
        s.put("rocketchat.auth-token-file", RunningApp.secretFile(sandbox.config().rocketChatAuthToken()).toString());
        s.put("rocketchat.page-size", "3");
        return s;
    }

    static Set<String> liveKeys(TopicCollector topics, String topic) {
        Map<String, byte[]> latest = new java.util.HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : topics.records(topic)) {
            latest.put(new String(r.key(), StandardCharsets.UTF_8), r.value());
        }
        return latest.entrySet().stream().filter(e -> e.getValue() != null).map(Map.Entry::getKey).collect(Collectors.toSet());
    }

    @Test
    void pagesThroughRocketChatPublishesBothProvidersAndTombstonesWhatVanished() throws Exception {
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config().rocketChatMaxCount(3))) {
            sandbox.seedRocketChatIntegrations(8);
            Map<String, String> settings = settings(sandbox);
            settings.put("catalog.refresh", "1s");
            String topic = settings.get("integration.topic");
            try (TopicCollector topics = new TopicCollector(KafkaBroker.shared().bootstrapServers(), List.of(topic));
                 RunningApp app = RunningApp.start(settings)) {
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
                        assertFalse(r.value() != null && new String(r.value(), StandardCharsets.UTF_8).contains(secret), "secret in " + r.offset());
                    }
                }
            }
        }
    }

    @Test
    void unauthorizedKeepsTheLastGoodCatalogAndRateLimitWaitsForTheReset() throws Exception {
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config().rocketChatMaxCount(3))) {
            sandbox.seedRocketChatIntegrations(5);
            Map<String, String> settings = settings(sandbox);
            settings.put("catalog.refresh", "1s");
            String topic = settings.get("integration.topic");
            try (TopicCollector topics = new TopicCollector(KafkaBroker.shared().bootstrapServers(), List.of(topic));
                 LogCapture logs = LogCapture.capture();
                 RunningApp app = RunningApp.start(settings)) {
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
    }

    @Test
    void oneFetchServesTheWarRoomCacheAndTheCatalog() throws Exception {
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             Records records = new Records(KafkaBroker.shared().bootstrapServers())) {
            Map<String, String> settings = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
            String results = settings.get("result.topic");
            String topic = settings.get("integration.topic");
            try (TopicCollector topics = new TopicCollector(KafkaBroker.shared().bootstrapServers(), List.of(results, topic));
                 RunningApp app = RunningApp.start(settings)) {
                for (int i = 0; i < 5; i++) {
                    var e = Events.fresh();
                    records.send(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
                }
                topics.awaitCount(results, r -> "created".equals(r.path("status").asText()), 5, WAIT);
                Awaitility.await().atMost(WAIT).until(() -> liveKeys(topics, topic).contains("flashduty:362"));
                assertEquals(1, sandbox.calls("/datasource/im/war-room-enabled/list").size(),
                        "one list call at start served both the cache and the catalog, none per event");
            }
        }
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
