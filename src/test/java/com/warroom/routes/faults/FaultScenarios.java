package com.warroom.routes.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault suite: tries hard to break each promise of the README's "Guarantees": the shipped routes against the real
 * broker and the sandbox, a backlog of incidents, and one fault per scenario (issue #4). Each scenario ends
 * with {@link FaultRun#verify()} (the same invariants for all) and adds a row to the reliability
 * table ({@link ReliabilityTable}: each class prints its rows when it ends, and {@code target/reliability-table.md}
 * holds every row of the run in scenario order).
 *
 * <p>The twenty-seven scenarios are split by theme into the {@code *ScenariosIT} classes that extend this one, each
 * in a JVM and broker of its own, so failsafe runs them in parallel (issue 23); this class holds what they share.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FaultScenarios {

    /** Scenario 1's outage, as long as the issue asks: far longer than the retry budget (10 attempts, 50-400 ms backoff). */
    static final Duration OUTAGE = Duration.ofSeconds(60);
    /** Scenario 4: longer than the producers' delivery time-out, so writes really fail while the broker is down. */
    static final Duration BROKER_DOWN = Duration.ofSeconds(40);
    static final String DELIVERY_TIMEOUT_MS = "30000";
    static final Duration WAIT = Duration.ofMinutes(3);
    static final List<String> HOSTILE_NAMES = List.of("CamelHttpUri", "camelhttpquery", "CAMELHTTPMETHOD", "CamelHttpPath",
            "Authorization", "kafka.OVERRIDE_TOPIC", "CamelKafkaOverrideTopic", "kafka.KEY", "CamelKafkaKey");

    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterAll
    static void printTable() {
        ReliabilityTable.publish();
    }

    static void assertInvariants(FaultRun run) {
        List<String> problems = run.verify();
        assertTrue(problems.isEmpty(), run.name + ": " + problems.size() + " problems\n"
                + problems.stream().limit(40).collect(Collectors.joining("\n")));
    }

    // ---- scenario 1 ---------------------------------------------------------------------------------

    /** A create that was sent but whose outcome the answer does not tell: the README's operator step checks the IM first. */
    static final Set<String> UNKNOWN_OUTCOMES = Set.of("timeout", "no_response", "outcome_unknown");

    /**
     * The operator's replay after failures: every event whose latest result is {@code failed} is sent again,
     * except that one whose create's outcome is unknown ({@code timeout}, {@code no_response}, {@code outcome_unknown})
     * is sent only when the IM (the sandbox) shows no room for it, as the README says. Waits for the new results and
     * checks that none failed again. Returns how many events were replayed.
     */
    static int replayFailed(FaultRun run) {
        List<JsonNode> failed = run.latestResults().stream().filter(r -> "failed".equals(r.path("status").asText())).toList();
        Set<String> again = failed.stream().filter(r -> {
            String reason = r.path("reason").asText();
            return !UNKNOWN_OUTCOMES.contains(reason) || run.sandbox.createCount(r.path("incident_id").asText()) == 0;
        }).map(r -> r.path("event_id").asText()).collect(Collectors.toSet());
        List<ObjectNode> replay = run.good.stream().filter(e -> again.contains(e.path("event_id").asText())).toList();
        for (ObjectNode e : replay) {
            run.kafka.send(run.topic("incident"), TestKafka.utf8(Events.incidentId(e)), TestKafka.utf8(Events.json(e)), List.of());
        }
        Awaitility.await(run.name + ": replayed events answered").atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
            Map<String, List<JsonNode>> results = run.resultsByEvent();
            return replay.stream().allMatch(e -> results.get(e.path("event_id").asText()).size() >= 2);
        });
        Map<String, List<JsonNode>> results = run.resultsByEvent();
        for (ObjectNode e : replay) {
            List<JsonNode> rs = results.get(e.path("event_id").asText());
            assertEquals("created", rs.get(rs.size() - 1).path("status").asText(), "replayed " + rs);
        }
        return replay.size();
    }

    /**
     * The operator's replay as the README gives it, with the {@code replay} command: every failed event
     * here may be sent again (none has an unknown outcome), so the range from the first failed event's
     * record on is re-published while the app runs; the app answers each copy (created for the failed
     * ones, already_exists for the rest). Returns how many events had failed.
     */
    static int replayRange(FaultRun run) {
        Set<String> failed = run.latestResults().stream().filter(r -> "failed".equals(r.path("status").asText()))
                .map(r -> r.path("event_id").asText()).collect(Collectors.toSet());
        if (failed.isEmpty()) {
            return 0;
        }
        int resultsBefore = run.resultsByEvent().values().stream().mapToInt(List::size).sum();
        FaultRun.ReplayRun replay = run.replay(run.firstRecordOf(failed));
        assertEquals(0, replay.code(), replay.output());
        assertTrue(replay.republished() >= failed.size(), replay.output());
        run.awaitResultRecords(resultsBefore + replay.republished(), WAIT);
        Map<String, List<JsonNode>> results = run.resultsByEvent();
        for (String eventId : failed) {
            List<JsonNode> rs = results.get(eventId);
            assertEquals("created", rs.get(rs.size() - 1).path("status").asText(), "replayed " + rs);
        }
        return failed.size();
    }

    // ---- scenario 5 ---------------------------------------------------------------------------------

    static Path logFile(FaultRun run, String which) {
        return Path.of("target", "faults-" + run.settings.get("consumer.group") + "-" + which + ".log");
    }

    static Process spawn(FaultRun run, String which) throws IOException {
        return SeparateJvmApp.spawn(run.settings, logFile(run, which));
    }

    static void readLog(FaultRun run, String which) throws IOException {
        List<String> lines = Files.readAllLines(logFile(run, which), StandardCharsets.ISO_8859_1);
        assertTrue(lines.stream().anyMatch(l -> l.contains("war-room-routes")), "the " + which + " JVM logged its start");
        run.extraLogLines.addAll(lines);
    }

    // ---- scenario 6 ---------------------------------------------------------------------------------

    static final List<String> INJECTIONS = List.of("' OR '1'='1", "../../../etc/passwd", "<script>alert(1)</script>",
            "${jndi:ldap://127.0.0.1:1389/x}", "{{env:FLASHDUTY_APP_KEY}}", "${header.CamelHttpUri}", "${sys:user.home}",
            "64b1352e376e32c85c56e25b\r\nX-Evil: 1", "64b1352e376e32c85c56e25b&app_key=stolen", "64b1352e376e32c85c56e25b'--");

    record Poison(byte[] key, byte[] value, List<Header> headers) {
    }

    /** The i-th poison record: ten kinds, taking turns. */
    static Poison poison(int i) {
        byte[] key = TestKafka.utf8("poison-" + i);
        List<Header> headers = i % 3 == 0 ? List.of(new RecordHeader("trace", new byte[] {(byte) i}), new RecordHeader("trace", null))
                : List.of();
        String good = Events.json(Events.fresh());
        byte[] value = switch (i % 10) {
            case 0 -> TestKafka.utf8(List.of("{\"event_id\": \"abc\", \"incident\": {", "not json", "{'a': 1}", "{\"a\":1,}", "{\"a\" 1}")
                    .get(i / 10 % 5));
            case 1 -> TestKafka.utf8(good.substring(0, 1 + (i * 37) % (good.length() - 2)));
            case 2 -> i < 30 ? oversized(good) : TestKafka.utf8(List.of("[1,2]", "42", "\"text\"", "null", "true").get(i / 10 % 5));
            case 3 -> nonUtf8(good, i);
            case 4 -> TestKafka.utf8(i % 20 == 4 ? "[".repeat(5000) + "]".repeat(5000) : nested(good));
            case 5 -> TestKafka.utf8(wrongType(i));
            case 6 -> TestKafka.utf8(missing(i));
            case 7 -> {
                ObjectNode e = Events.fresh();
                Events.incident(e).put("incident_id", INJECTIONS.get(i / 10 % INJECTIONS.size()));
                yield TestKafka.utf8(Events.json(e));
            }
            case 8 -> List.of(new byte[0], TestKafka.utf8("   "), TestKafka.utf8("{}"), TestKafka.utf8("\"\""), new byte[] {0})
                    .get(i / 10 % 5);
            default -> {
                ObjectNode e = Events.fresh();
                e.put("event_id", "");
                yield TestKafka.utf8(Events.json(e));
            }
        };
        if (i % 10 == 8 && i / 10 % 5 == 0 && i % 20 == 8) {
            value = null; // a tombstone
        }
        if (i % 10 == 9 || i % 10 == 3 && i % 20 == 3) {
            key = i % 10 == 9 ? null : new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF};
        }
        return new Poison(key, value, headers);
    }

    /** 1.1 MB, cut short: the incident topic takes 2 MiB (and so does the module), so only its form makes it poison. */
    static byte[] oversized(String good) {
        ObjectNode e = Events.fresh();
        Events.incident(e).put("title", "x".repeat(1_100_000));
        String json = Events.json(e);
        return TestKafka.utf8(json.substring(0, json.length() - 1));
    }

    static byte[] nonUtf8(String good, int i) {
        byte[] bytes = TestKafka.utf8(good);
        int at = good.indexOf("\"title\"") + 10;
        bytes[at] = (byte) (i % 2 == 0 ? 0xFF : 0xC3);
        bytes[at + 1] = (byte) (i % 2 == 0 ? 0xFE : 0x28);
        return bytes;
    }

    static String nested(String good) {
        ObjectNode e = Events.fresh();
        return Events.json(e).replace("\"labels\":{", "\"labels\":{\"deep\":" + "{\"a\":".repeat(200) + "1" + "}".repeat(200) + ",");
    }

    static String wrongType(int i) {
        ObjectNode e = Events.fresh();
        switch (i / 10 % 6) {
            case 0 -> e.put("event_time", "yesterday");
            case 1 -> e.putArray("incident");
            case 2 -> Events.incident(e).put("incident_id", 1234567890123L);
            case 3 -> Events.incident(e).putObject("responders");
            case 4 -> e.put("event_id", 42);
            default -> e.put("person", "someone");
        }
        return Events.json(e);
    }

    static String missing(int i) {
        ObjectNode e = Events.fresh();
        switch (i / 10 % 5) {
            case 0 -> e.remove("event_id");
            case 1 -> e.remove("event_type");
            case 2 -> e.remove("event_time");
            case 3 -> e.remove("incident");
            default -> Events.incident(e).remove("incident_id");
        }
        return Events.json(e);
    }

    // ---- scenarios 7, 8 -----------------------------------------------------------------------------

    static String mixedCase(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(i % 2 == 0 ? Character.toLowerCase(c) : Character.toUpperCase(c));
        }
        return sb.toString();
    }

    static void askTemplates(FaultRun run, int n, List<Header> headers) {
        askTemplates(run, 0, n, headers);
    }

    /** Asks for the preset template n times, lookup ids L{from} to L{from + n - 1}. */
    static void askTemplates(FaultRun run, int from, int n, List<Header> headers) {
        for (int i = from; i < from + n; i++) {
            run.kafka.send(run.topic("template-request"), TestKafka.utf8("lookup-" + i),
                    TestKafka.utf8("{\"template_id\": \"" + FlashdutySandbox.PRESET_TEMPLATE + "\", \"lookup_id\": \"L" + i + "\"}"), headers);
        }
    }

    static void checkTemplates(FaultRun run, int n) {
        List<ConsumerRecord<byte[], byte[]>> answers = run.kafka.awaitRecords(run.topic("template"), n, WAIT);
        Set<String> lookups = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : answers) {
            JsonNode j = TestKafka.json(r);
            assertEquals("found", j.path("lookup_status").asText(), j.toString());
            assertEquals(FlashdutySandbox.PRESET_TEMPLATE, TestKafka.key(r));
            assertEquals(0, r.headers().toArray().length, "template answer without headers");
            lookups.add(j.path("lookup_id").asText());
        }
        assertEquals(n, lookups.size(), "every lookup answered");
    }

    // ---- scenarios 9, 10: records larger than Kafka's defaults --------------------------------------

    /** Many production clusters raise max.message.bytes: the topics of scenarios 9, 10 and 12 take 5 MiB. */
    static final int LARGE_TOPIC_BYTES = 5 * 1024 * 1024;

    /**
     * The module configured only as the README says (no size setting), on topics that take 5 MiB:
     * poison records of 1.5 MiB and 4.5 MiB, an event whose event_id is 900 KB, template requests
     * with a 600 KB template_id or lookup_id, each followed on the same partition by good ones, and a
     * valid event of 3 MiB, which is not poison. Every good record gets its answer, every poison record
     * is in the dead-letter topic (whole, or truncated when that topic takes less), every offset is
     * committed, no record is tried twice and the sandbox saw no call for the poison.
     */
    void largeRecords(String name, boolean smallDeadLetterTopic) throws Exception {
        try (FaultRun run = new FaultRun(name, KafkaBroker.shared(), LARGE_TOPIC_BYTES)) {
            if (smallDeadLetterTopic) {
                KafkaBroker.shared().createTopic(run.topic("dead-letter"), 1, Map.of("max.message.bytes", "1048588"));
            }
            Random random = new Random(9);
            run.sendGood(3);
            String cut = Events.json(withDescription(1_572_864));
            run.sendPoison(TestKafka.utf8("poison-1.5MiB"), TestKafka.utf8(cut.substring(0, cut.length() - 2)),
                    List.of(new RecordHeader("trace", TestKafka.utf8("t-1"))));
            run.sendGood(3);
            byte[] noise = new byte[4_718_592];
            random.nextBytes(noise);
            run.sendPoison(TestKafka.utf8("poison-4.5MiB"), noise, List.of());
            run.sendGood(3);
            ObjectNode longEventId = Events.fresh();
            longEventId.put("event_id", "e".repeat(900_000));
            run.sendPoison(TestKafka.utf8(Events.incidentId(longEventId)), TestKafka.utf8(Events.json(longEventId)), List.of());
            run.sendGood(3);
            run.sendGood(withDescription(3_145_728), List.of()); // large, and valid: handled like any other
            run.sendGood(3);

            askTemplates(run, 0, 2, List.of());
            run.sendPoison("template-request", TestKafka.utf8("poison-template-id"),
                    TestKafka.utf8("{\"template_id\": \"" + "0".repeat(614_400) + "\", \"lookup_id\": \"P1\"}"), List.of());
            askTemplates(run, 2, 2, List.of());
            run.sendPoison("template-request", TestKafka.utf8("poison-lookup-id"), TestKafka.utf8("{\"template_id\": \""
                    + FlashdutySandbox.PRESET_TEMPLATE + "\", \"lookup_id\": \"" + "l".repeat(614_400) + "\"}"), List.of());
            askTemplates(run, 4, 2, List.of());

            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT);
                checkTemplates(run, 6);
            }
            assertEquals(6, run.sandbox.calls("/template/info").size(), "one /template/info call per good request, none for the poison");
            assertEquals(0, run.retries(), "no record was handled twice");
            int deadLetterBytes = Integer.parseInt(run.kafka.admin().describeConfigs(List.of(topicResource(run.topic("dead-letter"))))
                    .all().get().get(topicResource(run.topic("dead-letter"))).get("max.message.bytes").value());
            long truncated = run.topics.records(run.topic("dead-letter")).stream()
                    .filter(d -> "true".equals(TestKafka.header(d, "dlq-truncated"))).count();
            if (smallDeadLetterTopic) {
                assertEquals(1_048_588, deadLetterBytes, "an existing dead-letter topic is left as it is");
                assertEquals(2, truncated, "the 1.5 MiB and 4.5 MiB copies are truncated, the others fit whole");
            } else {
                assertTrue(deadLetterBytes >= LARGE_TOPIC_BYTES, "the dead-letter topic the module created takes what its sources take: "
                        + deadLetterBytes);
                assertEquals(0, truncated);
            }
            for (ConsumerRecord<byte[], byte[]> d : run.topics.records(run.topic("dead-letter"))) {
                String reason = TestKafka.header(d, "dlq-reason");
                String source = TestKafka.header(d, "dlq-source-topic") + "@" + TestKafka.header(d, "dlq-source-offset");
                assertTrue(Set.of("malformed_json", "field_too_long").contains(reason), source + ": " + reason);
            }
            assertTrue(run.logLines().stream().anyMatch(l -> l.contains("Kafka record limits") && l.contains(String.valueOf(LARGE_TOPIC_BYTES))),
                    "the limits read from the cluster are logged");
            assertInvariants(run);
        }
    }

    static ObjectNode withDescription(int bytes) {
        ObjectNode e = Events.fresh();
        Events.incident(e).put("description", "d".repeat(bytes));
        return e;
    }

    static org.apache.kafka.common.config.ConfigResource topicResource(String topic) {
        return new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
    }

    // ---- scenarios 18, 19: answers no honest server sends -------------------------------------------

    /**
     * After 5 results, the next 3 creates open the room and answer with the hostile body (the true answer
     * padded with JSON whitespace), and so do the next 3 catalog lists (CATALOG_REFRESH 1 s). Every read
     * stops at FLASHDUTY_MAX_ANSWER_BYTES: each such create is failed / outcome_unknown after one attempt
     * (its room exists: never sent again), each such list is answer_too_large and the catalog keeps its
     * last good list (no tombstone), and the service handles every later event.
     */
    void hostileAnswers(String name, FlashdutySandbox.HostileBody kind) throws Exception {
        String list = "/datasource/im/war-room-enabled/list";
        try (FaultRun run = new FaultRun(name)) {
            run.settings.put("catalog.refresh", "1s");
            run.sendGood(60);
            FlashdutySandbox.prepare(kind); // before the start: arming below must not give the burst time to finish
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                int listsBefore = run.sandbox.calls(list).size();
                run.sandbox.hostileAnswers(kind, 3, "/incident/war-room/create", list);
                run.awaitAllHandled(WAIT);
                // the three hostile lists, then a good one
                Awaitility.await(name + ": lists after the hostile ones").atMost(WAIT).until(() -> run.sandbox.calls(list).size() >= listsBefore + 4);
                List<JsonNode> unknown = run.latestResults().stream()
                        .filter(r -> "outcome_unknown".equals(r.path("reason").asText())).toList();
                assertEquals(3, unknown.size(), "each create answered with the hostile body: " + run.latestResults());
                for (JsonNode r : unknown) {
                    assertEquals("failed", r.path("status").asText());
                    assertEquals(1, r.path("attempts").asInt(), "not repeated: " + r);
                }
                assertEquals(0, run.retries(), "no record was handled twice");
                assertEquals(3.0, metric(app, "war_room_flashduty_calls_total", "code=\"answer_too_large\"", "endpoint=\"" + list + "\""),
                        "each hostile list counted as answer_too_large");
                assertEquals(6.0, metric(app, "war_room_http_answers_too_large_total", "service=\"flashduty\""), "every hostile read cut at the cap");
                for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("integration"))) {
                    assertTrue(r.value() != null, "no tombstone: the catalog kept its last good list");
                }
                run.note = " (3 creates, 3 catalog lists)";
            }
            assertInvariants(run);
        }
    }

    /** The sum of a metric's samples whose labels contain every fragment (Prometheus text on /observe/metrics). */
    static double metric(RunningApp app, String name, String... labels) throws Exception {
        double sum = 0;
        for (String line : app.management("/observe/metrics").body().split("\n")) {
            if (line.startsWith(name + "{") && java.util.Arrays.stream(labels).allMatch(line::contains)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    // ---- scenarios 20-25: answers and settings that must prove themselves (issue 22) ----------------

    static final String WAR_ROOM_LIST = "/datasource/im/war-room-enabled/list";
    static final String CREATE = "/incident/war-room/create";
    static final String TEMPLATE_INFO = "/template/info";
    static final String TEMPLATE_LIST = "/template/list";
    /** how a field the module bounds ends when clipped (AnswerFields.CLIPPED, spelled here so the code before compiles too) */
    static final String CLIPPED = "\u2026[clipped]";
    /** the most characters of an error code the module keeps (AnswerFields.MAX_ID_CHARS) */
    static final int MAX_CODE_CHARS = 128;
    /** the most characters of a catalog field, and channels of an entry (ImCatalogPublisher) */
    static final int MAX_CATALOG_FIELD_CHARS = 256;
    static final int MAX_CATALOG_CHANNELS = 100;
    /** the keys template answers that are not a template go under (TemplateLookups) */
    static final Set<String> FIXED_ANSWER_KEYS = Set.of("invalid-requests", "failed-lookups");

    /** The events whose latest result is not created, counted by status/reason and attempts. */
    static List<String> notCreated(FaultRun run) {
        Map<String, Long> counts = run.latestResults().stream().filter(r -> !"created".equals(r.path("status").asText()))
                .collect(Collectors.groupingBy(r -> r.path("status").asText() + "/" + r.path("reason").asText() + " after "
                        + r.path("attempts").asInt() + " attempt(s)", java.util.TreeMap::new, Collectors.counting()));
        List<String> out = new ArrayList<>();
        counts.forEach((what, n) -> out.add(n + " of " + run.good.size() + " events not created: " + what));
        return out;
    }

    static void awaitEmptyAnswers(FaultRun run, String path, int left) {
        Awaitility.await("empty answers on " + path).atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> run.sandbox.emptyAnswersLeft(path) <= left);
    }

    /** /template/list calls for a third page (with 250 templates: the last page of a complete sync). */
    static int lastPages(FaultRun run) {
        return (int) run.sandbox.calls(TEMPLATE_LIST).stream().filter(c -> c.status() == 200 && c.body().contains("\"p\":3")).count();
    }

    /** Whether each catalog source's last successful refresh (war_room_im_catalog_last_success_timestamp_seconds) is after this time. */
    static boolean refreshedSince(RunningApp app, long epochMillis) throws Exception {
        return metric(app, "war_room_im_catalog_last_success_timestamp_seconds", "provider=\"flashduty\"") * 1000 > epochMillis
                && metric(app, "war_room_im_catalog_last_success_timestamp_seconds", "provider=\"rocketchat\"") * 1000 > epochMillis;
    }

    static String freshness(RunningApp app) throws Exception {
        long now = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder();
        for (String p : List.of("flashduty", "rocketchat")) {
            double last = metric(app, "war_room_im_catalog_last_success_timestamp_seconds", "provider=\"" + p + "\"");
            sb.append(sb.length() == 0 ? "" : ", ").append(p).append(" stale=").append((int) metric(app, "war_room_im_catalog_stale", "provider=\"" + p + "\""))
                    .append(" last success ").append(last == 0 ? "never" : (now - (long) (last * 1000)) + " ms ago");
        }
        return sb.toString();
    }

    /** A line as this module's pattern would print it, smuggled into a value: it must never start a line of the log. */
    static final String FORGED = "2026-12-03T00:00:00,000 INFO  [main] c.w.r.Forged - forged line";

    /** Escaped (no line break or other control character), at most 128 characters, clipped as the module clips. */
    static boolean boundedCode(String code) {
        return code.chars().noneMatch(Character::isISOControl) && code.length() <= MAX_CODE_CHARS && code.startsWith("InternalError\\r\\n")
                && code.endsWith(CLIPPED);
    }

    static String printable(String s) {
        String p = s.replace("\r", "<CR>").replace("\n", "<LF>");
        return p.length() > 80 ? p.substring(0, 80) + "... (" + s.length() + " characters)" : p;
    }

    /** Requests (from the from-th on) that carry the key anywhere but in the app_key parameter of a Flashduty call (its one place). */
    static List<String> keyLeaks(FaultRun run, String key, int from) {
        List<String> leaks = new ArrayList<>();
        List<FlashdutySandbox.RawRequest> requests = run.sandbox.rawRequests();
        for (FlashdutySandbox.RawRequest r : requests.subList(Math.min(from, requests.size()), requests.size())) {
            String path = java.net.URI.create(r.target()).getRawPath();
            String target = FlashdutySandbox.FLASHDUTY_PATHS.contains(path) ? r.target().replace("app_key=" + key, "app_key=") : r.target();
            boolean inHeaders = r.headers().values().stream().flatMap(List::stream).anyMatch(v -> v.contains(key));
            if (target.contains(key) || inHeaders || r.body() != null && r.body().contains(key)) {
                leaks.add(r.method() + " " + target);
            }
        }
        return leaks;
    }

    static void askTemplate(FaultRun run, String lookupId, String templateId) {
        run.kafka.send(run.topic("template-request"), TestKafka.utf8("lookup-" + lookupId),
                TestKafka.utf8("{\"template_id\": \"" + templateId + "\", \"lookup_id\": \"" + lookupId + "\"}"), List.of());
    }

    /** Template requests answered so far (records with a lookup_id; tombstones skipped). */
    static int answered(FaultRun run) {
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("template"))) {
            if (r.value() != null) {
                ids.add(TestKafka.json(r).path("lookup_id").asText());
            }
        }
        return ids.size();
    }

    /**
     * Where the war-room path and template lookups both had calls waiting (from the flood's start until the
     * last create of the burst), the sliding windows of {@code windowMillis} (one starting at each call) that
     * were full: the least share of creates in one, and how many there were.
     */
    static double[] warRoomShareWhileCompeting(List<FlashdutySandbox.Call> calls, long from, long to, int limit, long windowMillis) {
        List<FlashdutySandbox.Call> accepted = calls.stream().filter(x -> x.status() != 429 && x.arrivalNanos() >= from
                && x.arrivalNanos() <= to && !x.path().equals(FlashdutySandbox.ROCKETCHAT_PATH))
                .sorted(java.util.Comparator.comparingLong(FlashdutySandbox.Call::arrivalNanos)).toList();
        long lastCreate = accepted.stream().filter(x -> x.path().equals(CREATE)).mapToLong(FlashdutySandbox.Call::arrivalNanos).max().orElse(from);
        long w = windowMillis * 1_000_000L;
        int full = 0;
        double least = 1;
        for (int i = 0; i < accepted.size(); i++) {
            long start = accepted.get(i).arrivalNanos();
            if (start + w > lastCreate) {
                break;
            }
            int creates = 0;
            int n = 0;
            for (int j = i; j < accepted.size() && accepted.get(j).arrivalNanos() < start + w; j++) {
                n++;
                creates += accepted.get(j).path().equals(CREATE) ? 1 : 0;
            }
            if (n >= limit) {
                full++;
                least = Math.min(least, creates / (double) n);
            }
        }
        return new double[] {least, full};
    }
}
