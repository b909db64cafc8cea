package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.budget.ReplicaBudgetShare;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three replicas in one consumer group against one sandbox that enforces the account's two windows
 * (short ones here): together they stay inside the one budget, also while partitions move (one
 * replica stopped mid-backlog and started again later). Each replica alone may use the whole budget,
 * so without the sharing the sandbox would answer 429.
 */
class ScaleOutIT {

    static final int PER_SECOND = 6;
    static final long SECOND_WINDOW = 300;
    static final int PER_MINUTE = 24;
    static final long MINUTE_WINDOW = 1500;
    static final int BATCH = 60;

    /** The extension's one app is never started: the test starts and stops three replicas of its own on copies of the settings. */
    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().budget(PER_SECOND, SECOND_WINDOW, PER_MINUTE, MINUTE_WINDOW)
            .setting("kafka.max-poll-records", "5")
            .startedByTest();

    @Test
    void replicasTogetherStayInsideTheAccountBudgetThroughARebalance() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        Map<String, String> settings = testApp.settings();
        String incidents = settings.get("incident.topic");
        String results = settings.get("result.topic");
        testApp.broker().createTopic(incidents, 6);
        KafkaTestClient kafka = testApp.kafka();
        TopicCollector topics = testApp.topics();

        List<String> ids = new ArrayList<>(send(kafka, incidents, BATCH));
        List<RunningApp> replicas = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                replicas.add(RunningApp.start(new LinkedHashMap<>(settings)));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> replicas.stream().allMatch(r -> members(r) == 3));

            topics.awaitCount(results, r -> true, BATCH / 3, Duration.ofSeconds(60));
            replicas.remove(2).close(); // its partitions move to the other two
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> replicas.stream().allMatch(r -> members(r) == 2));
            topics.awaitCount(results, r -> true, BATCH * 2 / 3, Duration.ofSeconds(60));
            ids.addAll(send(kafka, incidents, BATCH));
            replicas.add(RunningApp.start(new LinkedHashMap<>(settings))); // and back
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> replicas.stream().allMatch(r -> members(r) == 3));

            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> handled(topics.json(results)).containsAll(ids));
            Map<String, Long> created = topics.json(results).stream()
                    .filter(r -> "created".equals(r.path("status").asText()))
                    .collect(Collectors.groupingBy(r -> r.path("incident_id").asText(), Collectors.counting()));
            assertEquals(Set.copyOf(ids), created.keySet(), () -> "every incident got its war room; other results: "
                    + topics.json(results).stream().filter(r -> !"created".equals(r.path("status").asText())).toList());
            assertTrue(created.values().stream().allMatch(n -> n == 1), "one created result each: " + created);
        } finally {
            for (RunningApp r : replicas) {
                r.close();
            }
        }
        Map<String, Integer> creates = new HashMap<>(sandbox.createCounts());
        assertEquals(ids.size(), creates.size());
        assertTrue(creates.values().stream().allMatch(n -> n == 1), "exactly one create call per incident: " + creates);
        assertEquals(0, sandbox.count429(), "no call refused");
        assertTrue(sandbox.maxInAnyWindow(SECOND_WINDOW) <= PER_SECOND, "short window: " + sandbox.maxInAnyWindow(SECOND_WINDOW));
        assertTrue(sandbox.maxInAnyWindow(MINUTE_WINDOW) <= PER_MINUTE, "long window: " + sandbox.maxInAnyWindow(MINUTE_WINDOW));
    }

    private static List<String> send(KafkaTestClient kafka, String topic, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectNode e = Events.fresh();
            ids.add(Events.incidentId(e));
            kafka.send(topic, Events.incidentId(e), Events.json(e)); // keyed by incident: one partition each
        }
        return ids;
    }

    private static int members(RunningApp app) {
        return app.bean("replicaBudgetShare", ReplicaBudgetShare.class).members();
    }

    private static Set<String> handled(List<JsonNode> results) {
        return results.stream().map(r -> r.path("incident_id").asText()).collect(Collectors.toSet());
    }
}
