package com.warroom.routes.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.incident.EchoedFields;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RandomInputs;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tries hard to break each promise of the README's "Guarantees": the shipped routes against the real broker and
 * the sandbox, a backlog of incidents, and one fault per scenario (issue #4). Each scenario ends
 * with {@link FaultRun#verify()} (the same invariants for all) and adds a row to the reliability
 * table printed at the end ({@code target/reliability-table.md}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultScenariosIT {

    /** Scenario 1's outage, as long as the issue asks: far longer than the retry budget (10 attempts, 50-400 ms backoff). */
    static final Duration OUTAGE = Duration.ofSeconds(60);
    /** Scenario 4: longer than the producers' delivery time-out, so writes really fail while the broker is down. */
    static final Duration BROKER_DOWN = Duration.ofSeconds(40);
    static final String DELIVERY_TIMEOUT_MS = "30000";
    static final Duration WAIT = Duration.ofMinutes(3);
    static final List<String> HOSTILE_NAMES = List.of("CamelHttpUri", "camelhttpquery", "CAMELHTTPMETHOD", "CamelHttpPath",
            "Authorization", "kafka.OVERRIDE_TOPIC", "CamelKafkaOverrideTopic", "kafka.KEY", "CamelKafkaKey");

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterAll
    static void printTable() {
        ReliabilityTable.publish();
    }

    static void assertInvariants(FaultRun run) {
        List<String> problems = run.verify();
        assertTrue(problems.isEmpty(), run.name + ": " + problems.size() + " problems\n"
                + problems.stream().limit(40).collect(Collectors.joining("\n")));
    }

    // ---- 1 ----------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void flashdutyUnreachableMidBacklogThenBack() throws Exception {
        try (FaultRun run = new FaultRun("1. Flashduty unreachable " + OUTAGE.toSeconds() + " s (connection refused)")) {
            run.sendGood(120);
            try (RunningApp app = run.start()) {
                run.awaitResults(30, WAIT);
                run.sandbox.outage(true);
                ScheduledFuture<?> back = scheduler.schedule(() -> {
                    run.sandbox.outage(false);
                    return null;
                }, OUTAGE.toMillis(), TimeUnit.MILLISECONDS);
                try {
                    run.sendGood(40); // arrive while Flashduty is down
                    // the consumer is not stalled by the outage: every event so far gets its result
                    run.awaitResults(run.good.size(), OUTAGE.plus(WAIT));
                    Awaitility.await("Flashduty back").atMost(OUTAGE.plus(WAIT)).until(back::isDone);
                } finally {
                    back.cancel(false);
                    run.sandbox.outage(false);
                }
                run.sendGood(40);
                run.awaitAllHandled(WAIT);
                assertTrue(replayFailed(run) > 0, "the outage really failed some creates");
            }
            assertInvariants(run);
        }
    }

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

    // ---- 2 ----------------------------------------------------------------------------------------

    @Test
    @Order(2)
    void bursts500And503AndAnswersSlowerThanTheTimeout() throws Exception {
        try (FaultRun run = new FaultRun("2. bursts of 500/503, answers slower than the time-out")) {
            run.settings.put("flashduty.response-timeout-ms", "1000");
            run.sendGood(200);
            run.sandbox.failRandomly(0.1, 503, "ServiceUnavailable");
            try (RunningApp app = run.start()) {
                run.awaitResults(40, WAIT);
                run.sandbox.failNext(6, 500, "InternalError");
                run.awaitResults(80, WAIT);
                run.sandbox.slowNext(3, 2500);
                run.awaitResults(120, WAIT);
                run.sandbox.failNext(6, 503, "ServiceUnavailable");
                run.awaitAllHandled(WAIT);
                run.sandbox.clearFaults();
                assertTrue(run.latestResults().stream().anyMatch(r -> "timeout".equals(r.path("reason").asText())), "a create timed out");
                // a create that timed out is not repeated (its room may be open); its result says timeout
                for (JsonNode r : run.latestResults()) {
                    if (!"created".equals(r.path("status").asText())) {
                        assertEquals("timeout", r.path("reason").asText(), r.toString());
                    }
                }
                // a slow answer may also have been an injected 503, so the room of a timed-out create is not
                // always open: the operator's replay sends those again, once
                replayFailed(run);
            }
            assertTrue(run.sandbox.calls().stream().filter(c -> c.status() >= 500).count() >= 12, "the bursts really happened");
            assertInvariants(run);
        }
    }

    // ---- 3 ----------------------------------------------------------------------------------------

    @Test
    @Order(3)
    void stormOf429WithAndWithoutRetryAfter() throws Exception {
        try (FaultRun run = new FaultRun("3. 429 storm, with and without Retry-After")) {
            run.sendGood(150);
            try (RunningApp app = run.start()) {
                run.awaitResults(20, WAIT);
                run.sandbox.rateLimitStorm(8, 1);
                Awaitility.await().atMost(WAIT).until(() -> run.sandbox.count429() >= 8);
                run.sandbox.rateLimitStorm(25, null);
                Awaitility.await().atMost(WAIT).until(() -> run.sandbox.count429() >= 33);
                run.awaitAllHandled(WAIT);
                // the two storms back to back can exhaust one call's 30 rate-limited attempts: that event
                // fails as RequestTooFrequently (a replayable outcome) and the replay opens its room once
                for (JsonNode r : run.latestResults()) {
                    if (!"created".equals(r.path("status").asText())) {
                        assertEquals("RequestTooFrequently", r.path("reason").asText(), r.toString());
                    }
                }
                replayRange(run);
            }
            assertInvariants(run);
        }
    }

    // ---- 4 ----------------------------------------------------------------------------------------

    @Test
    @Order(4)
    void kafkaBrokerStoppedAndRestartedMidBacklog() throws Exception {
        KafkaBroker broker = KafkaBroker.dedicated(); // not the shared one: later tests of the JVM keep a broker never restarted
        try (FaultRun run = new FaultRun("4. Kafka broker stopped " + BROKER_DOWN.toSeconds() + " s, restarted", broker)) {
            run.settings.put("kafka.delivery-timeout-ms", DELIVERY_TIMEOUT_MS);
            run.sendGood(200);
            try (RunningApp app = run.start()) {
                run.awaitResults(40, WAIT);
                broker.stop();
                ScheduledFuture<?> up = scheduler.schedule(() -> {
                    broker.start();
                    return null;
                }, BROKER_DOWN.toMillis(), TimeUnit.MILLISECONDS);
                try {
                    Awaitility.await("broker back").atMost(BROKER_DOWN.plus(WAIT)).until(up::isDone);
                    up.get();
                } finally {
                    broker.start(); // a no-op when running
                }
                run.awaitAllHandled(WAIT);
            }
            System.out.printf("broker restart: %d war rooms opened while the ledger write failed, recovered without a second create%n",
                    run.logLines().stream().filter(l -> l.contains("the ledger write failed")).count());
            assertInvariants(run);
        } finally {
            broker.close();
        }
    }

    // ---- 5 ----------------------------------------------------------------------------------------

    @Test
    @Order(5)
    void applicationKilledHardMidBacklogThenStartedAgain() throws Exception {
        try (FaultRun run = new FaultRun("5. application SIGKILLed, started again")) {
            run.sendGood(150);
            run.sandbox.slow(150); // creates take a while, so some are in flight at the kill
            Process first = spawn(run, "first");
            int inFlight;
            try {
                run.awaitResults(40, WAIT);
                Awaitility.await("a create in flight").atMost(WAIT).pollInterval(Duration.ofMillis(5))
                        .until(() -> run.sandbox.createCounts().size() > run.withResult());
                first.destroyForcibly(); // SIGKILL
                first.waitFor();
            } finally {
                first.destroyForcibly();
            }
            // in flight at the kill: creates the sandbox took that never reached the ledger
            Set<String> recorded = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("ledger"))) {
                recorded.add(TestKafka.key(r));
            }
            for (String incident : run.sandbox.createCounts().keySet()) {
                if (!recorded.contains(incident)) {
                    run.mayRepeat.add(incident);
                }
            }
            inFlight = run.mayRepeat.size();
            Process second = spawn(run, "second");
            try {
                run.awaitAllHandled(WAIT);
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
                second.destroyForcibly();
            }
            readLog(run, "first");
            readLog(run, "second");
            long repeated = run.sandbox.createCounts().values().stream().filter(n -> n > 1).count();
            System.out.printf("SIGKILL: %d creates in flight at the kill, %d incidents got a second create%n", inFlight, repeated);
            run.note = " (" + inFlight + " create in flight at the kill)";
            assertTrue(repeated <= inFlight);
            assertInvariants(run);
        }
    }

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

    // ---- 6 ----------------------------------------------------------------------------------------

    @Test
    @Order(6)
    void thousandPoisonRecordsInterleavedWithThousandGoodOnes() throws Exception {
        try (FaultRun run = new FaultRun("6. 1,000 poison records among 1,000 good ones")) {
            for (int i = 0; i < 1000; i++) {
                ObjectNode e = Events.fresh();
                if (i % 100 == 7) {
                    e.put("event_id", INJECTIONS.get(i / 100 % INJECTIONS.size()) + "-" + i); // free text: still a good event
                }
                run.sendGood(e, List.of());
                Poison p = poison(i);
                run.sendPoison(p.key, p.value, p.headers);
            }
            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT.multipliedBy(2));
            }
            // records after the poison kept flowing, in their order
            List<String> order = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (JsonNode r : run.topics.json(run.topic("result"))) {
                if (seen.add(r.path("event_id").asText())) {
                    order.add(r.path("event_id").asText());
                }
            }
            assertEquals(run.good.stream().map(e -> e.path("event_id").asText()).toList(), order, "results in the order of the events");
            assertInvariants(run);
        }
    }

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

    // ---- 7, 8 -------------------------------------------------------------------------------------

    @Test
    @Order(7)
    void hostileRecordHeadersOnIncidentsAndTemplateRequests() throws Exception {
        try (FaultRun run = new FaultRun("7. hostile record headers (mixed case)")) {
            FlashdutySandbox trap = FlashdutySandbox.start(new FlashdutySandbox.Config());
            run.traps.add(trap);
            String evilTopic = "evil-" + Events.randomHex(6);
            List<Header> hostile = new ArrayList<>();
            for (String name : HOSTILE_NAMES) {
                String value = switch (name.toLowerCase(Locale.ROOT)) {
                    case "camelhttpuri" -> trap.baseUrl() + "/steal";
                    case "camelhttpquery" -> "app_key=stolen&x=1";
                    case "camelhttpmethod" -> "DELETE";
                    case "camelhttppath" -> "/steal";
                    case "authorization" -> "Bearer stolen";
                    case "kafka.key", "camelkafkakey" -> "evil-key";
                    default -> evilTopic;
                };
                for (String variant : List.of(name, name.toLowerCase(Locale.ROOT), name.toUpperCase(Locale.ROOT), mixedCase(name))) {
                    hostile.add(new RecordHeader(variant, TestKafka.utf8(value)));
                }
            }
            for (int i = 0; i < 100; i++) {
                run.sendGood(Events.fresh(), hostile);
            }
            askTemplates(run, 30, hostile);
            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT);
                checkTemplates(run, 30);
            }
            assertFalse(run.kafka.listTopics().contains(evilTopic));
            assertInvariants(run);
        }
    }

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

    // ---- 9, 10: records larger than Kafka's defaults ----------------------------------------------

    /** Many production clusters raise max.message.bytes: the topics of scenarios 9, 10 and 12 take 5 MiB. */
    static final int LARGE_TOPIC_BYTES = 5 * 1024 * 1024;

    @Test
    @Order(9)
    void recordsUpTo4_5MiBOnTopicsThatTake5MiB() throws Exception {
        largeRecords("9. records up to 4.5 MiB on topics that take 5 MiB", false);
    }

    @Test
    @Order(10)
    void aDeadLetterTopicSmallerThanItsSources() throws Exception {
        largeRecords("10. a dead-letter topic of 1 MiB under sources of 5 MiB", true);
    }

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

    // ---- 11 ---------------------------------------------------------------------------------------

    /**
     * An ordinary event whose result Kafka refuses for good (the result topic's max.message.bytes is
     * lowered under it while the app runs: RecordTooLargeException from the broker, non-retriable).
     * The war room was opened once and is in the ledger; the record is set aside as output_rejected,
     * committed, and the partition goes on. No retry, no second create.
     */
    @Test
    @Order(11)
    void aResultKafkaRefusesForGoodIsSetAside() throws Exception {
        try (FaultRun run = new FaultRun("11. a result the result topic refuses (non-retriable)")) {
            KafkaBroker.shared().createTopic(run.topic("result"), 1);
            run.sendGood(5);
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                int largest = run.kafka.readAll(run.topic("result")).stream()
                        .mapToInt(r -> DeadLetterPublisher.size(r.key(), r.value(), r.headers())).max().orElseThrow();
                // results are about the same size; one whose event_id is 224 characters longer no longer fits
                String limit = String.valueOf(largest + 100);
                run.kafka.admin().incrementalAlterConfigs(Map.of(topicResource(run.topic("result")), List.of(new AlterConfigOp(
                        new ConfigEntry("max.message.bytes", limit), AlterConfigOp.OpType.SET)))).all().get();
                Awaitility.await("the lower limit applies").atMost(WAIT).until(() -> limit.equals(run.kafka.admin()
                        .describeConfigs(List.of(topicResource(run.topic("result")))).all().get()
                        .get(topicResource(run.topic("result"))).get("max.message.bytes").value()));
                run.sendGood(3);
                ObjectNode refused = Events.fresh();
                refused.put("event_id", "r".repeat(EchoedFields.MAX_CHARS));
                String incident = Events.incidentId(refused);
                run.sendPoison(TestKafka.utf8(incident), TestKafka.utf8(Events.json(refused)), List.of());
                run.openedThenSetAside.add(incident);
                run.sendGood(3);
                run.awaitAllHandled(WAIT);
                ConsumerRecord<byte[], byte[]> d = run.topics.records(run.topic("dead-letter")).get(0);
                assertEquals("output_rejected", TestKafka.header(d, "dlq-reason"));
                assertEquals("RecordTooLargeException", TestKafka.header(d, "dlq-detail"));
                assertEquals(1, run.sandbox.createCount(incident), "its war room was opened once");
                assertTrue(run.kafka.readAll(run.topic("ledger")).stream().anyMatch(r -> incident.equals(TestKafka.key(r))),
                        "and is in the ledger, so a replay finds it");
                assertTrue(app.management("/observe/metrics").body().lines()
                        .anyMatch(l -> l.startsWith("dead_lettered_total{reason=\"output_rejected\"") && l.endsWith(" 1.0")));
            }
            assertEquals(0, run.retries(), "set aside, not retried");
            assertInvariants(run);
        }
    }

    // ---- 12 ---------------------------------------------------------------------------------------

    /**
     * Generative: random incident records and template requests (valid, valid with one field mutated,
     * random JSON, random bytes, truncated JSON, now and then one close to the 5 MiB limit), seeded
     * (-Dfault.seed=N repeats a run). Each input ends as exactly one result (or template answer) or
     * exactly one dead-letter record; no exception escapes a route (that would show as a retry or a
     * stalled partition) and no record is tried a second time.
     */
    @Test
    @Order(12)
    void randomInputsEachEndAsExactlyOneResultOrDeadLetter() throws Exception {
        long seed = Long.getLong("fault.seed", System.nanoTime());
        Random random = new Random(seed);
        int incidents = 400;
        int requests = 80;
        try (FaultRun run = new FaultRun("12. " + incidents + " random incident records, " + requests + " random template requests",
                KafkaBroker.shared(), LARGE_TOPIC_BYTES)) {
            run.note = " (seed " + seed + ")";
            record Input(FaultRun.Sent sent, String id) {
            }
            List<Input> incidentInputs = new ArrayList<>();
            for (int i = 0; i < incidents; i++) {
                byte[] value = RandomInputs.incident(random, i, LARGE_TOPIC_BYTES - 1_024);
                RecordMetadata m = run.kafka.send(run.topic("incident"), TestKafka.utf8("k" + i), value, List.of());
                incidentInputs.add(new Input(new FaultRun.Sent(m.topic(), m.partition(), m.offset(), TestKafka.utf8("k" + i), value, List.of()),
                        RandomInputs.idOf(value, "event_id")));
            }
            List<Input> requestInputs = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                byte[] value = RandomInputs.templateRequest(random, i, FlashdutySandbox.PRESET_TEMPLATE);
                RecordMetadata m = run.kafka.send(run.topic("template-request"), TestKafka.utf8("q" + i), value, List.of());
                requestInputs.add(new Input(new FaultRun.Sent(m.topic(), m.partition(), m.offset(), TestKafka.utf8("q" + i), value, List.of()),
                        RandomInputs.idOf(value, "lookup_id")));
            }
            Map<String, List<JsonNode>> results;
            Map<String, Integer> answers;
            Map<String, Integer> deadLetters;
            try (RunningApp app = run.start()) {
                Awaitility.await(run.name + ": every input committed").atMost(WAIT).pollInterval(Duration.ofMillis(250))
                        .until(() -> run.kafka.lag(run.settings.get("consumer.group"), run.topic("incident")) == 0
                                && run.kafka.lag(run.settings.get("consumer.group") + "-templates", run.topic("template-request")) == 0);
                results = run.resultsByEvent();
                answers = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> a : run.kafka.readAll(run.topic("template"))) {
                    if (a.value() == null) {
                        continue; // the tombstone after a not_found answer
                    }
                    answers.merge(TestKafka.json(a).path("lookup_id").asText(), 1, Integer::sum);
                }
                deadLetters = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> d : run.topics.records(run.topic("dead-letter"))) {
                    deadLetters.merge(TestKafka.header(d, "dlq-source-topic") + "@" + TestKafka.header(d, "dlq-source-offset"),
                            1, Integer::sum);
                }
            }
            List<String> problems = new ArrayList<>();
            for (Input in : incidentInputs) {
                int outcomes = deadLetters.getOrDefault(in.sent().topic() + "@" + in.sent().offset(), 0)
                        + (in.id() == null ? 0 : results.getOrDefault(in.id(), List.of()).size());
                if (outcomes != 1) {
                    problems.add("incident input at offset " + in.sent().offset() + " ended " + outcomes + " times: "
                            + new String(in.sent().value(), 0, Math.min(300, in.sent().value().length), StandardCharsets.UTF_8));
                } else if (deadLetters.containsKey(in.sent().topic() + "@" + in.sent().offset())) {
                    run.poison.add(in.sent());
                } else {
                    ObjectNode event = (ObjectNode) TestKafka.json(in.sent().value());
                    run.good.add(event);
                    if ("created".equals(results.get(in.id()).get(0).path("status").asText())) {
                        run.shouldOpen.add(Events.incidentId(event).toLowerCase(Locale.ROOT));
                    }
                }
            }
            for (Input in : requestInputs) {
                int outcomes = deadLetters.getOrDefault(in.sent().topic() + "@" + in.sent().offset(), 0)
                        + (in.id() == null ? 0 : answers.getOrDefault(in.id(), 0));
                if (outcomes != 1) {
                    problems.add("template request at offset " + in.sent().offset() + " ended " + outcomes + " times: "
                            + new String(in.sent().value(), 0, Math.min(300, in.sent().value().length), StandardCharsets.UTF_8));
                } else if (deadLetters.containsKey(in.sent().topic() + "@" + in.sent().offset())) {
                    run.poison.add(in.sent());
                }
            }
            System.out.printf("random inputs (seed %d): %d results, %d template answers, %d dead letters%n", seed,
                    results.values().stream().mapToInt(List::size).sum(), answers.values().stream().mapToInt(Integer::intValue).sum(),
                    deadLetters.size());
            assertTrue(problems.isEmpty(), "seed " + seed + ": " + String.join("\n", problems));
            assertTrue(run.good.size() > incidents / 5 && run.poison.size() > incidents / 5, "both outcomes happened: " + run.good.size()
                    + " results, " + run.poison.size() + " dead letters");
            assertEquals(0, run.retries(), "seed " + seed + ": no record was tried a second time");
            assertInvariants(run);
        }
    }

    // ---- 13 ---------------------------------------------------------------------------------------

    /**
     * A gateway in front of Flashduty answers 502 or 504 with its own page after the backend opened the
     * room. Such a create is not repeated: its result is failed / outcome_unknown, and the operator's
     * replay (which checks the IM first) sends none of them again. No incident gets a second room.
     */
    @Test
    @Order(13)
    void createsAnsweredByAGatewayAfterTheRoomOpened() throws Exception {
        try (FaultRun run = new FaultRun("13. creates answered 502/504 by a gateway after the room opened")) {
            run.sendGood(100);
            try (RunningApp app = run.start()) {
                run.awaitResults(10, WAIT);
                run.sandbox.gatewayErrorAfterCreate(5, 502);
                Awaitility.await().atMost(WAIT).until(() -> run.sandbox.calls("/incident/war-room/create").stream()
                        .filter(c -> c.status() == 502).count() == 5);
                run.sandbox.gatewayErrorAfterCreate(5, 504);
                run.awaitAllHandled(WAIT);
                List<JsonNode> unknown = run.latestResults().stream().filter(r -> "outcome_unknown".equals(r.path("reason").asText())).toList();
                assertEquals(10, unknown.size(), "each gateway answer is a failed / outcome_unknown result");
                for (JsonNode r : unknown) {
                    assertEquals("failed", r.path("status").asText());
                    assertEquals(1, r.path("attempts").asInt(), "not repeated: " + r);
                }
                assertEquals(0, replayFailed(run), "the replay finds every such room in the IM and sends none again");
            }
            assertInvariants(run);
        }
    }

    // ---- 14 ---------------------------------------------------------------------------------------

    /**
     * A 429 storm far longer than a record's deadline: max.poll.interval.ms 15 s over 2 records a poll
     * leaves each record 3 s (80% of the interval per record, less the 3 s response time-out). Each call
     * stops at its record's deadline, the run of 429 is taken like an outage (one attempt per record
     * until it ends), the group never takes the partition away (no record is handled twice), every event
     * has a result, and the operator's replay opens every missing room once.
     */
    @Test
    @Order(14)
    void aStormOf429LongerThanARecordsDeadline() throws Exception {
        try (FaultRun run = new FaultRun("14. 429 storm of 40 s, longer than a record's deadline")) {
            run.settings.put("kafka.max-poll-interval-ms", "15000");
            run.settings.put("kafka.max-poll-records", "2");
            run.sendGood(80);
            try (RunningApp app = run.start()) {
                run.awaitResults(10, WAIT);
                run.sandbox.rateLimitStorm(40, 1); // 40 answers 429, each with Retry-After: 1
                Awaitility.await("the storm").atMost(WAIT).until(() -> run.sandbox.count429() >= 40);
                run.awaitAllHandled(WAIT);
                List<JsonNode> limited = run.latestResults().stream()
                        .filter(r -> "RequestTooFrequently".equals(r.path("reason").asText())).toList();
                assertTrue(limited.size() >= 10, "the storm failed records at their deadline: " + limited.size());
                for (JsonNode r : run.latestResults()) {
                    assertTrue(Set.of("created", "failed").contains(r.path("status").asText()), r.toString());
                }
                assertEquals(0, run.retries(), "no record was handled twice: the group never took the partition away");
                replayRange(run);
            }
            assertInvariants(run);
        }
    }

    // ---- 15 ---------------------------------------------------------------------------------------

    /**
     * The operator runs {@code replay} from before the backlog while the app is still working through it
     * and new events of the same incidents arrive (issue 20: a replay process beside the live service
     * once decided to create at the same moment as the live one). The replay only re-publishes; the app
     * handles every copy after the original, on the same partition: one room per incident, every copy
     * answered {@code already_exists}.
     */
    @Test
    @Order(15)
    void replayBesideTheLiveService() throws Exception {
        try (FaultRun run = new FaultRun("15. replay beside the live service, new events of the same incidents arriving")) {
            java.time.Instant from = java.time.Instant.now().minusSeconds(1);
            run.sendGood(120);
            List<ObjectNode> first = List.copyOf(run.good);
            try (RunningApp app = run.start()) {
                run.awaitResults(20, WAIT);
                ScheduledFuture<?> more = scheduler.schedule(() -> {
                    for (ObjectNode e : first.subList(0, 40)) {
                        ObjectNode next = Events.fresh(Events.incidentId(e));
                        next.put("event_type", "i_assign");
                        run.sendGood(next, List.of());
                    }
                    return null;
                }, 0, TimeUnit.MILLISECONDS);
                FaultRun.ReplayRun replay = run.replay(from);
                more.get(1, TimeUnit.MINUTES);
                assertEquals(0, replay.code(), replay.output());
                assertTrue(replay.republished() >= first.size(), replay.output());
                run.awaitAllHandled(WAIT);
                run.awaitResultRecords(run.good.size() + replay.republished(), WAIT);
                Map<String, List<JsonNode>> results = run.resultsByEvent();
                for (ObjectNode e : first) {
                    List<JsonNode> rs = results.get(e.path("event_id").asText());
                    assertEquals("created", rs.get(0).path("status").asText(), rs.toString());
                    assertTrue(rs.stream().skip(1).allMatch(r -> "already_exists".equals(r.path("status").asText())), rs.toString());
                }
                run.note = " (" + replay.republished() + " records re-published)";
            }
            assertInvariants(run);
        }
    }

    // ---- 16 ---------------------------------------------------------------------------------------

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

    // ---- 17 ---------------------------------------------------------------------------------------

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

    // ---- 18, 19: answers no honest server sends ---------------------------------------------------

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
                assertEquals(3.0, metric(app, "flashduty_calls_total", "code=\"answer_too_large\"", "endpoint=\"" + list + "\""),
                        "each hostile list counted as answer_too_large");
                assertEquals(6.0, metric(app, "http_answers_too_large_total", "service=\"flashduty\""), "every hostile read cut at the cap");
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

    // ---- 20-25: answers and settings that must prove themselves (issue 22) -------------------------

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

    /** /template/list calls for a third page (with 250 templates: the last page of a complete sync). */
    static int lastPages(FaultRun run) {
        return (int) run.sandbox.calls(TEMPLATE_LIST).stream().filter(c -> c.status() == 200 && c.body().contains("\"p\":3")).count();
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
                assertEquals(0.0, metric(app, "im_catalog_stale"), "no source stale: " + freshness(app));
                run.note = " (a Flashduty and a Rocket.Chat entry)";
            }
            assertInvariants(run);
        }
    }

    /** Whether each catalog source's last successful refresh (im_catalog_last_success_seconds) is after this time. */
    static boolean refreshedSince(RunningApp app, long epochMillis) throws Exception {
        return metric(app, "im_catalog_last_success_seconds", "provider=\"flashduty\"") * 1000 > epochMillis
                && metric(app, "im_catalog_last_success_seconds", "provider=\"rocketchat\"") * 1000 > epochMillis;
    }

    static String freshness(RunningApp app) throws Exception {
        long now = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder();
        for (String p : List.of("flashduty", "rocketchat")) {
            double last = metric(app, "im_catalog_last_success_seconds", "provider=\"" + p + "\"");
            sb.append(sb.length() == 0 ? "" : ", ").append(p).append(" stale=").append((int) metric(app, "im_catalog_stale", "provider=\"" + p + "\""))
                    .append(" last success ").append(last == 0 ? "never" : (now - (long) (last * 1000)) + " ms ago");
        }
        return sb.toString();
    }

    /** A line as this module's pattern would print it, smuggled into a value: it must never start a line of the log. */
    static final String FORGED = "2026-12-03T00:00:00,000 INFO  [main] c.w.r.Forged - forged line";

    /**
     * Line breaks where a hostile party chooses the text: a template request whose filter name holds CR/LF
     * and a forged log line (set aside as unknown_field), and 3 creates and 2 template lookups answered
     * with an {@code error.code} of "InternalError", CR/LF, the forged line and 200 more characters. No
     * line of the log starts with the forged text (before issue 22 the console pattern printed both as
     * they came); the results' reason and the answers' error_code are escaped and clipped to 128
     * characters; the failed creates are replayed and get their rooms.
     */
    @Test
    @Order(23)
    void lineBreaksInAFieldNameAndAnErrorCode() throws Exception {
        String code = "InternalError\r\n" + FORGED + " " + "x".repeat(200);
        try (FaultRun run = new FaultRun("23. CR/LF and a forged line in a template request's field name and in error.code")) {
            run.sendGood(40);
            run.sendPoison("template-request", TestKafka.utf8("forged-field"),
                    TestKafka.utf8("{\"list\": {\"query\\r\\n" + FORGED + "\": \"x\"}, \"lookup_id\": \"F1\"}"), List.of());
            List<String> broken = new ArrayList<>();
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                run.sandbox.forgedErrorCodeNext(3, code);
                run.awaitAllHandled(WAIT);
                List<JsonNode> failed = run.latestResults().stream().filter(r -> "failed".equals(r.path("status").asText())).toList();
                assertEquals(3, failed.size(), "three creates answered with the forged code: " + failed);
                List<String> reasons = failed.stream().map(r -> r.path("reason").asText()).filter(r -> !boundedCode(r)).toList();
                if (!reasons.isEmpty()) {
                    broken.add(reasons.size() + " of 3 results' reason not escaped and clipped: " + printable(reasons.get(0)));
                }
                replayFailed(run);
                run.sandbox.forgedErrorCodeNext(2, code);
                askTemplates(run, 0, 2, List.of());
                List<String> codes = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> a : run.kafka.awaitRecords(run.topic("template"), 2, WAIT)) {
                    JsonNode j = TestKafka.json(a);
                    if (!"failed".equals(j.path("lookup_status").asText()) || !boundedCode(j.path("error_code").asText())) {
                        codes.add(j.path("lookup_status").asText() + " " + printable(j.path("error_code").asText()));
                    }
                }
                if (!codes.isEmpty()) {
                    broken.add(codes.size() + " of 2 template answers' error_code not escaped and clipped: " + codes.get(0));
                }
            }
            List<String> forged = run.physicalLogLines().stream().filter(l -> l.startsWith(FORGED)).toList();
            if (!forged.isEmpty()) {
                broken.add(forged.size() + " log lines start with the forged text");
            }
            // the dead-letter copy names the field in its dlq-detail header: escaped and clipped, whatever logs it next
            for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("dead-letter"))) {
                org.apache.kafka.common.header.Header h = r.headers().lastHeader(com.warroom.routes.kafka.DeadLetterPublisher.DETAIL);
                String detail = h == null ? "" : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
                if (detail.chars().anyMatch(Character::isISOControl) || detail.length() > 200) {
                    broken.add("a dead-letter copy's dlq-detail not escaped and clipped (" + detail.length() + " characters)");
                }
            }
            assertTrue(run.logLines().stream().anyMatch(l -> l.contains("dead-lettered") && l.contains("unknown_field")),
                    "the request with the forged field name is set aside as unknown_field");
            assertTrue(broken.isEmpty(), String.join("; ", broken));
            run.note = " (3 creates, 2 lookups, 1 request)";
            assertInvariants(run);
        }
    }

    /** Escaped (no line break or other control character), at most 128 characters, clipped as the module clips. */
    static boolean boundedCode(String code) {
        return code.chars().noneMatch(Character::isISOControl) && code.length() <= MAX_CODE_CHARS && code.startsWith("InternalError\\r\\n")
                && code.endsWith(CLIPPED);
    }

    static String printable(String s) {
        String p = s.replace("\r", "<CR>").replace("\n", "<LF>");
        return p.length() > 80 ? p.substring(0, 80) + "... (" + s.length() + " characters)" : p;
    }

    /**
     * ROCKETCHAT_URL set to the sandbox's address followed by {@code ${env:FLASHDUTY_APP_KEY}}, then by
     * {@code {{env:FLASHDUTY_APP_KEY}}}, the key given as FLASHDUTY_APP_KEY (the app in a JVM of its own,
     * configured by its environment as in production). Each start is refused at once: exit code 2, one line
     * naming the setting, never its value or the key; the sandbox gets no request at all (before issue 22
     * the app started and sent the key in the Rocket.Chat URL's path), no incident record is consumed.
     * Then the app, started with plain settings, handles every incident queued meanwhile.
     */
    @Test
    @Order(24)
    void anExpressionInAUrlSettingStopsTheStart() throws Exception {
        try (FaultRun run = new FaultRun("24. ${env:FLASHDUTY_APP_KEY}, {{env:FLASHDUTY_APP_KEY}} in ROCKETCHAT_URL")) {
            FlashdutySandbox.Config c = run.sandbox.config();
            String key = c.appKey();
            run.sendGood(20);
            Map<String, String> settings = new java.util.LinkedHashMap<>(run.settings);
            settings.put("rocketchat.user-id-file", RunningApp.secretFile(c.rocketChatUserId()).toString());
            settings.put("rocketchat.auth-token-file", RunningApp.secretFile(c.rocketChatAuthToken()).toString());
            List<String> broken = new ArrayList<>();
            int n = 0;
            for (String expression : List.of("${env:FLASHDUTY_APP_KEY}", "{{env:FLASHDUTY_APP_KEY}}")) {
                String which = "expression-" + ++n;
                long start = System.nanoTime();
                int from = run.sandbox.rawRequests().size();
                Process p = SeparateJvmApp.spawn(settings, Map.of("FLASHDUTY_APP_KEY", key, "ROCKETCHAT_URL",
                        run.sandbox.baseUrl() + "/" + expression), logFile(run, which));
                Integer exit = null;
                try {
                    // refused at once; or (the code before) running: until the key reaches the sandbox
                    Awaitility.await(which + ": the start refused, or the key sent").atMost(Duration.ofSeconds(90))
                            .pollInterval(Duration.ofMillis(100)).until(() -> !p.isAlive() || !keyLeaks(run, key, from).isEmpty());
                    if (p.waitFor(2, TimeUnit.SECONDS)) {
                        exit = p.exitValue();
                    }
                } finally {
                    p.destroy();
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor();
                    }
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                readLog(run, which);
                List<String> lines = Files.readAllLines(logFile(run, which), StandardCharsets.ISO_8859_1);
                List<String> leaks = keyLeaks(run, key, from);
                if (!leaks.isEmpty()) {
                    broken.add(expression + ": the key reached the sandbox in " + leaks.size() + " requests, e.g. "
                            + leaks.get(0).replace(key, "<KEY>"));
                }
                if (exit == null || exit != 2) {
                    broken.add(expression + ": the start was not refused (" + (exit == null ? "still running after " + millis + " ms"
                            : "exit code " + exit) + ")");
                }
                List<String> naming = lines.stream().filter(l -> l.contains("ROCKETCHAT_URL (rocketchat.url)")).toList();
                if (naming.size() != 1 || !naming.get(0).startsWith("war-room-routes: ROCKETCHAT_URL (rocketchat.url) holds an expression")) {
                    broken.add(expression + ": " + naming.size() + " lines name the setting, not one saying it holds an expression");
                }
                if (lines.stream().anyMatch(l -> l.contains(key) || l.contains(expression))) {
                    broken.add(expression + ": the log repeats the value or the key");
                }
                System.out.printf("%s in ROCKETCHAT_URL: exit %s after %d ms%n", expression, exit, millis);
            }
            if (!run.sandbox.rawRequests().isEmpty()) {
                broken.add("the refused starts sent " + run.sandbox.rawRequests().size() + " requests");
            }
            if (run.kafka.lag(run.settings.get("consumer.group"), run.topic("incident")) != 20) {
                broken.add("the refused starts consumed incident records");
            }
            assertTrue(broken.isEmpty(), String.join("; ", broken));
            // the same settings as plain data: the app starts and handles what was queued
            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT);
            }
            run.note = " (2 refused starts, then a good one)";
            assertInvariants(run);
        }
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

    /**
     * A flood of 200 template requests with random ids (134 well-formed ids no template has, 66 that are
     * not ids; four consumers) during a burst of 120 incidents, FLASHDUTY_OTHER_MAX_SHARE 50. Before it, a
     * lookup met 10 InternalErrors and ran out of retries (Flashduty taken as down, for lookups); the
     * burst's first two creates meet an InternalError too. From the sandbox's call log: template calls
     * never held more than 50% of any window (5 of 10 per 200 ms, 20 of 40 per 1,000 ms), so the war-room
     * path kept the rest of each; every war room opened, the failed creates retried (the lookups' failures
     * did not cut war rooms to one attempt); and the template topic keeps no answer under an id a requester
     * chose: only templates and the two fixed keys hold a value.
     */
    @Test
    @Order(25)
    void aTemplateFloodDuringAWarRoomBurst() throws Exception {
        int share = 50;
        try (FaultRun run = new FaultRun("25. 200 template requests with random ids during a burst of 120 incidents")) {
            run.settings.put("flashduty.other-max-share", String.valueOf(share));
            run.settings.put("template.consumers-count", "4");
            run.kafka.admin().createPartitions(Map.of(run.topic("template-request"),
                    org.apache.kafka.clients.admin.NewPartitions.increaseTo(4))).all().get();
            int requests = 1;
            List<String> broken = new ArrayList<>();
            long floodFrom;
            long floodTo;
            try (RunningApp app = run.start()) {
                // the catalog's first list succeeded (a success ends a "Flashduty down" state), then lookups fail
                Awaitility.await("the catalog loaded").atMost(WAIT).until(() -> run.sandbox.calls(WAR_ROOM_LIST).stream()
                        .anyMatch(x -> x.status() == 200));
                run.sandbox.failNextOn(10, TEMPLATE_INFO, 500, "InternalError");
                askTemplate(run, "D0", Events.randomObjectId());
                Awaitility.await("a lookup out of retries").atMost(WAIT).until(() -> run.sandbox.calls(TEMPLATE_INFO).stream()
                        .filter(x -> x.status() == 500).count() == 10 && answered(run) >= 1);
                assertTrue(run.logLines().stream().anyMatch(l -> l.contains("Flashduty /template/info still failing with InternalError after 10")),
                        "the lookup ran out of its 10 attempts: Flashduty is taken as down (for lookups)");
                run.sandbox.failNextOn(2, CREATE, 500, "InternalError");
                floodFrom = System.nanoTime();
                for (int i = 0; i < 200; i++) {
                    askTemplate(run, "F" + i, i % 3 == 2 ? "not-an-id-" + Events.randomHex(8) : Events.randomObjectId());
                    if (i % 5 == 4) {
                        run.sendGood(3);
                    }
                }
                requests += 200;
                run.awaitAllHandled(WAIT);
                int all = requests;
                Awaitility.await("every template request answered").atMost(WAIT).pollInterval(Duration.ofMillis(250))
                        .until(() -> answered(run) >= all);
                floodTo = System.nanoTime();
                broken.addAll(notCreated(run));
                if (run.sandbox.calls(CREATE).stream().filter(x -> x.status() == 500).count() != 2) {
                    broken.add("the two InternalErrors on creates did not happen");
                }
                if (run.latestResults().stream().noneMatch(r -> r.path("attempts").asInt() >= 2)) {
                    broken.add("no create was retried after its InternalError");
                }
            }
            // the budget: template calls against their ceiling, creates where both competed
            List<FlashdutySandbox.Call> calls = run.sandbox.calls();
            List<Long> templates = calls.stream().filter(x -> x.path().startsWith("/template/")).map(FlashdutySandbox.Call::arrivalNanos)
                    .sorted().toList();
            int[][] windows = {{FaultRun.PER_SECOND, (int) FaultRun.SECOND_WINDOW}, {FaultRun.PER_MINUTE, (int) FaultRun.MINUTE_WINDOW}};
            List<String> held = new ArrayList<>();
            List<String> kept = new ArrayList<>();
            for (int[] w : windows) {
                int ceiling = w[0] * share / 100;
                int most = FlashdutySandbox.maxIn(templates, w[1]);
                held.add(most + "/" + w[0] + " per " + w[1] + " ms");
                if (most > ceiling) {
                    broken.add("template calls held " + most + " of " + w[0] + " in a window of " + w[1] + " ms, above their " + share
                            + "% (" + ceiling + ")");
                }
                double[] c = warRoomShareWhileCompeting(calls, floodFrom, floodTo, w[0], w[1]);
                kept.add(c[1] == 0 ? "no full " + w[1] + " ms window" : "at least " + Math.round(c[0] * 100) + "% of each full " + w[1] + " ms window");
                if (c[1] > 0 && c[0] * 100 < 100 - share) {
                    broken.add("creates had only " + Math.round(c[0] * 100) + "% of a full " + w[1] + " ms window while both competed ("
                            + (int) c[1] + " such windows)");
                }
            }
            String note = "template calls at most " + String.join(", ", held) + "; creates " + String.join(", ", kept)
                    + " while both competed";
            System.out.println("flood: " + note);
            // the template topic: values only under real templates and the fixed keys
            Map<String, Boolean> live = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("template"))) {
                live.put(TestKafka.key(r), r.value() != null);
            }
            Set<String> chosen = live.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey)
                    .filter(k -> !FIXED_ANSWER_KEYS.contains(k) && !run.sandbox.templates().containsKey(k)).collect(Collectors.toSet());
            if (!chosen.isEmpty()) {
                broken.add(chosen.size() + " keys a requester chose hold a value on the template topic");
            }
            assertTrue(broken.isEmpty(), String.join("; ", broken));
            run.note = " (" + note + ")";
            assertInvariants(run);
        }
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
