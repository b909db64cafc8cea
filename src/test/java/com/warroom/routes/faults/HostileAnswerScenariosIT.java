package com.warroom.routes.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault scenarios 8, 16, 17, 18, 19, 20, 21, 22: hostile answers: response headers, answers trickling past the deadline, a 2 MiB chat_name, gzip
 * bombs and 50 MB answers, lists that do not prove themselves, a catalog item of 1 MiB.
 * The scenarios, their invariants and the reliability table: {@link FaultScenarios}.
 */
class HostileAnswerScenariosIT extends FaultScenarios {

    @Test
    @Order(8)
    void hostileResponseHeadersFromTheSandbox() throws Exception {
        try (FaultRun run = new FaultRun("8. hostile HTTP response headers")) {
            String evilTopic = "evil-" + Events.randomHex(6);
            run.sandbox.extraResponseHeaders(Map.of("kafka.OVERRIDE_TOPIC", evilTopic, "CamelKafkaOverrideTopic", evilTopic,
                    "CamelKafkaKey", "evil-key", "kafka.KEY", "evil-key", "Set-Cookie", "session=stolen; Path=/",
                    "camelkafkaoverridetopic", evilTopic, "KAFKA.OVERRIDE_TOPIC", evilTopic));
            run.sendGood(100);
            askTemplates(run, 30, List.of());
            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT);
                checkTemplates(run, 30);
            }
            for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("integration"))) {
                assertEquals(0, r.headers().toArray().length, "catalog record without headers");
                assertTrue(TestKafka.key(r).startsWith("flashduty:"), TestKafka.key(r));
            }
            assertFalse(run.kafka.listTopics().contains(evilTopic));
            assertInvariants(run);
        }
    }

    /**
     * Create answers that trickle a byte a second: every read is well within the read time-out, so only
     * the whole-exchange deadline (FLASHDUTY_CALL_TIMEOUT_MS 2 s here) ends them. Each such create is
     * failed / timeout after one attempt (its room is open: never sent again), no record is handled
     * twice, every event has a result.
     */
    @Test
    @Order(16)
    void createAnswersTricklingPastTheCallsDeadline() throws Exception {
        try (FaultRun run = new FaultRun("16. create answers trickling a byte a second")) {
            run.settings.put("flashduty.call-timeout-ms", "2000");
            run.sendGood(60);
            try (RunningApp app = run.start()) {
                run.awaitResults(10, WAIT);
                run.sandbox.trickleCreates(3, 1_000);
                run.awaitAllHandled(WAIT);
                List<JsonNode> timedOut = run.latestResults().stream().filter(r -> "timeout".equals(r.path("reason").asText())).toList();
                assertEquals(3, timedOut.size(), "each trickling answer ends as a time-out");
                for (JsonNode r : timedOut) {
                    assertEquals("failed", r.path("status").asText());
                    assertEquals(1, r.path("attempts").asInt(), "not repeated: " + r);
                }
                assertEquals(0, run.retries(), "no record was handled twice");
            }
            assertInvariants(run);
        }
    }

    /**
     * Creates answered with a 2 MiB chat_name: the room is recorded with the name clipped (the entry
     * fits the ledger topic), the result is created, and a second event of each such incident finds it.
     */
    @Test
    @Order(17)
    void createsAnsweredWithA2MiBChatName() throws Exception {
        try (FaultRun run = new FaultRun("17. creates answered with a 2 MiB chat_name")) {
            run.sendGood(40);
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                run.sandbox.hugeChatNames(3, 2 * 1024 * 1024);
                run.awaitAllHandled(WAIT);
                List<JsonNode> huge = run.latestResults().stream()
                        .filter(r -> r.path("chat_name").asText().endsWith(com.warroom.routes.flashduty.AnswerFields.CLIPPED)).toList();
                assertEquals(3, huge.size(), "three rooms with a clipped name");
                for (JsonNode r : huge) {
                    assertEquals("created", r.path("status").asText());
                    run.sendGood(Events.fresh(r.path("incident_id").asText()), List.of());
                }
                run.awaitAllHandled(WAIT);
                assertEquals(3, run.latestResults().stream().filter(r -> "already_exists".equals(r.path("status").asText())).count(),
                        "the next event of each finds the room in the ledger");
            }
            assertInvariants(run);
        }
    }

    @Test
    @Order(18)
    void gzipBombAnswers() throws Exception {
        hostileAnswers("18. gzip bombs: some 260 KB inflating to 256 MiB", FlashdutySandbox.HostileBody.GZIP_BOMB);
    }

    @Test
    @Order(19)
    void hugePlainAnswers() throws Exception {
        hostileAnswers("19. plain answers of 50 MB", FlashdutySandbox.HostileBody.HUGE_PLAIN);
    }

    /**
     * The war-room-enabled list answered {@code {"data":{}}} three times, then {@code {"data":{"items":[]}}}
     * once (CATALOG_REFRESH 1 s), while incidents arrive. Neither proves itself (no list; an empty list
     * not yet confirmed by the next refresh): the catalog keeps its last good list, every incident gets
     * its room (before issue 22: skipped / no_war_room_integration), no tombstone reaches the catalog
     * topic, and one line says each answer was not taken.
     */
    @Test
    @Order(20)
    void warRoomListAnsweredWithoutAList() throws Exception {
        try (FaultRun run = new FaultRun("20. war-room-enabled list answered {\"data\":{}} 3 times, {\"data\":{\"items\":[]}} once")) {
            run.settings.put("catalog.refresh", "1s");
            run.sendGood(20);
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                run.sandbox.emptyDataNext(3, WAR_ROOM_LIST);
                awaitEmptyAnswers(run, WAR_ROOM_LIST, 2); // the first {"data":{}} was answered
                run.sendGood(20); // arrive while a catalog that took it would be empty
                awaitEmptyAnswers(run, WAR_ROOM_LIST, 0);
                run.sandbox.emptyListNext(1, WAR_ROOM_LIST);
                awaitEmptyAnswers(run, WAR_ROOM_LIST, 0);
                run.sendGood(20);
                int lists = run.sandbox.calls(WAR_ROOM_LIST).size();
                run.awaitAllHandled(WAIT);
                Awaitility.await("a list after the empty ones").atMost(WAIT).until(() -> run.sandbox.calls(WAR_ROOM_LIST).size() > lists);
                List<String> broken = new ArrayList<>(notCreated(run));
                long tombstones = run.kafka.readAll(run.topic("integration")).stream().filter(r -> r.value() == null).count();
                if (tombstones > 0) {
                    broken.add(tombstones + " tombstones on the catalog topic");
                }
                long noList = run.logLines().stream().filter(l -> l.contains("IM catalog answer not taken (invalid_list)")).count();
                long empty = run.logLines().stream().filter(l -> l.contains("IM catalog answer not taken (empty_list_unconfirmed)")).count();
                if (noList != 3 || empty != 1) {
                    broken.add("lines saying the list was not taken: " + noList + " without a list (3 expected), " + empty
                            + " empty (1 expected)");
                }
                assertTrue(broken.isEmpty(), String.join("; ", broken));
            }
            assertInvariants(run);
        }
    }

    /**
     * A template sync (TEMPLATE_SYNC_INTERVAL 2 s) of 250 templates, three pages; after the first complete
     * one, the next two syncs get a first page that holds nothing but says {@code has_next_page: true}.
     * Neither is the end of the list (before issue 22 it was: the sync tombstoned every template); two
     * complete syncs follow. No template is removed: no tombstone on the template topic.
     */
    @Test
    @Order(21)
    void templateSyncGetsAnEmptyPageThatSaysMoreFollow() throws Exception {
        try (FaultRun run = new FaultRun("21. template sync: 2 pages of nothing that say has_next_page=true")) {
            run.settings.put("template.sync-interval", "2s");
            List<String> ids = run.sandbox.seedTemplates(250);
            run.sendGood(20);
            try (RunningApp app = run.start()) {
                Awaitility.await("the first sync lists every template").atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
                    Set<String> listed = new HashSet<>();
                    for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("template"))) {
                        listed.add(TestKafka.key(r));
                    }
                    return listed.containsAll(ids);
                });
                int completeBefore = lastPages(run);
                run.sandbox.emptyPageWithNextNext(2);
                Awaitility.await("two syncs cut short, two complete after them").atMost(WAIT)
                        .until(() -> run.sandbox.emptyPagesWithNextLeft() == 0 && lastPages(run) >= completeBefore + 2);
                run.awaitAllHandled(WAIT);
                List<String> broken = new ArrayList<>();
                Set<String> removed = new java.util.TreeSet<>();
                for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("template"))) {
                    if (r.value() == null) {
                        removed.add(TestKafka.key(r));
                    }
                }
                if (!removed.isEmpty()) {
                    broken.add(removed.size() + " of " + ids.size() + " templates tombstoned, e.g. " + removed.iterator().next());
                }
                long cut = run.logLines().stream().filter(l -> l.contains("holds no template but says a next page follows")).count();
                long kept = run.logLines().stream().filter(l -> l.contains("template sync did not list every page; no template is removed")).count();
                if (cut != 2 || kept != 2) {
                    broken.add("lines: " + cut + " saying a page of nothing cut the list short, " + kept
                            + " saying nothing is removed (2 and 2 expected)");
                }
                assertTrue(broken.isEmpty(), String.join("; ", broken));
                run.note = " (250 templates, 3 pages)";
            }
            assertInvariants(run);
        }
    }

    /**
     * Mid-backlog both lists gain an integration named with 1 MiB (Flashduty's war-room-enabled list and
     * Rocket.Chat's, that one with 10,000 channels; CATALOG_REFRESH and ROCKETCHAT_REFRESH 1 s). Its
     * catalog entry is published bounded (name clipped to 256 characters, 100 channels) beside the others
     * (before issue 22 every catalog publish after it came failed with RecordTooLargeException, while the
     * freshness said success), and the freshness says success only with the entries on the topic.
     */
    @Test
    @Order(22)
    void anOversizedCatalogItem() throws Exception {
        try (FaultRun run = new FaultRun("22. an IM integration named with 1 MiB, 10,000 channels")) {
            FlashdutySandbox.Config c = run.sandbox.config();
            run.settings.put("catalog.refresh", "1s");
            run.settings.put("rocketchat.url", run.sandbox.baseUrl());
            run.settings.put("rocketchat.user-id-file", RunningApp.secretFile(c.rocketChatUserId()).toString());
            run.settings.put("rocketchat.auth-token-file", RunningApp.secretFile(c.rocketChatAuthToken()).toString());
            run.settings.put("rocketchat.refresh", "1s");
            run.sandbox.seedRocketChatIntegrations(3);
            run.sendGood(40);
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                long addedAt = System.currentTimeMillis();
                run.sandbox.hugeIntegration(1 << 20, 10_000);
                String flashdutyKey = "flashduty:" + FlashdutySandbox.HUGE_INTEGRATION_ID;
                String rocketChatKey = "rocketchat:" + FlashdutySandbox.HUGE_ROCKETCHAT_ID;
                // both sources refreshed successfully (as the freshness says) at least three times since
                Awaitility.await("three refreshes of each source after the oversized integration came").atMost(WAIT)
                        .until(() -> refreshedSince(app, addedAt + 3_000));
                run.awaitAllHandled(WAIT);
                List<String> broken = new ArrayList<>();
                Map<String, byte[]> entries = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("integration"))) {
                    entries.put(TestKafka.key(r), r.value());
                }
                for (String key : List.of(flashdutyKey, rocketChatKey)) {
                    byte[] v = entries.get(key);
                    if (v == null) {
                        broken.add("no entry for " + key + " on the catalog topic");
                        continue;
                    }
                    JsonNode e = TestKafka.json(v);
                    String name = e.path("name").asText();
                    if (name.length() > MAX_CATALOG_FIELD_CHARS || !name.endsWith(CLIPPED) || e.path("channels").size() > MAX_CATALOG_CHANNELS
                            || v.length > 64 * 1024) {
                        broken.add(key + " published unbounded: " + v.length + " bytes, a name of " + name.length() + " characters, "
                                + e.path("channels").size() + " channels");
                    }
                }
                if (entries.get(rocketChatKey) != null && TestKafka.json(entries.get(rocketChatKey)).path("channels").size() != MAX_CATALOG_CHANNELS) {
                    broken.add("the oversized Rocket.Chat entry lists " + TestKafka.json(entries.get(rocketChatKey)).path("channels").size()
                            + " channels, not the first " + MAX_CATALOG_CHANNELS);
                }
                for (String key : List.of("flashduty:362", "rocketchat:RcIntegration0000", "rocketchat:RcIntegration0001",
                        "rocketchat:RcIntegration0002")) {
                    if (entries.get(key) == null) {
                        broken.add("no entry for " + key);
                    }
                }
                assertTrue(broken.isEmpty(), String.join("; ", broken) + ", while the freshness says " + freshness(app));
                assertEquals(0.0, metric(app, "war_room_im_catalog_stale"), "no source stale: " + freshness(app));
                run.note = " (a Flashduty and a Rocket.Chat entry)";
            }
            assertInvariants(run);
        }
    }
}
