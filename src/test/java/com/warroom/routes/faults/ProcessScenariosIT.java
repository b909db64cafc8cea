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
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault scenarios 5, 15, 24, 26, 27: the process: SIGKILLed mid-backlog and started again, the operator's replay beside the live
 * service, an expression in a URL setting that stops the start, SIGTERM during a Flashduty outage and during a burst.
 * The scenarios, their invariants and the reliability table: {@link FaultScenarios}.
 */
class ProcessScenariosIT extends FaultScenarios {

    @Test
    @Order(5)
    void applicationKilledHardMidBacklogThenStartedAgain() throws Exception {
        try (FaultRun run = new FaultRun("5. application SIGKILLed, started again")) {
            run.sendGood(150);
            run.sandbox.slow(150); // creates take a while, so some are in flight at the kill
            // the killed member holds its partition until its session times out (Kafka's default 45 s): a short
            // session lets the second process start on it at once, the scenario's outcome does not depend on it
            run.settings.put("camel.component.kafka.session-timeout-ms", "6000");
            run.settings.put("camel.component.kafka.heartbeat-interval-ms", "1000");
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

    /**
     * SIGTERM while Flashduty is unreachable (issue 25: the stop waited on the retry loop and was killed). The
     * retry backoff is longer than the shutdown time-out, so a record waiting in it would hold the stop: the stop
     * ends that wait at once, the process exits 0 within SHUTDOWN_TIMEOUT_SECONDS without forcing a route, and
     * the record is neither failed nor committed. Started again with Flashduty back, every incident gets exactly
     * one room.
     */
    @Test
    @Order(26)
    void sigtermDuringAFlashdutyOutage() throws Exception {
        try (FaultRun run = new FaultRun("26. SIGTERM during a Flashduty outage, a create in its retry backoff")) {
            run.settings.remove("camel.main.shutdown-timeout"); // the shipped SHUTDOWN_TIMEOUT_SECONDS
            run.settings.put("flashduty.retry.initial-backoff", "30s");
            run.settings.put("flashduty.retry.max-backoff", "30s");
            run.sendGood(40);
            Process first = spawn(run, "first");
            try {
                run.awaitResults(5, WAIT);
                run.sandbox.outage(true);
                Awaitility.await("a create waiting in its retry backoff").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                        .until(() -> Files.readString(logFile(run, "first"), StandardCharsets.ISO_8859_1)
                                .contains("/incident/war-room/create answered connection_error (attempt 1), retrying in"));
                stopBySigterm(run, first, "first");
            } finally {
                first.destroyForcibly();
                run.sandbox.outage(false);
            }
            // the outage itself may cut a create that was in flight as it began (no_response: its outcome unknown, not
            // repeated); the create waiting in its backoff has no result: the stop failed nothing
            assertTrue(run.latestResults().stream().allMatch(r -> "created".equals(r.path("status").asText())
                    || UNKNOWN_OUTCOMES.contains(r.path("reason").asText())), "the stop failed no record: " + run.latestResults());
            assertTrue(run.withResult() < run.good.size(), "records were left for the restart");
            Process second = spawn(run, "second");
            try {
                run.awaitAllHandled(WAIT);
                replayFailed(run); // the operator's replay of a create the outage cut, when the IM shows no room for it
                stopBySigterm(run, second, "second");
            } finally {
                second.destroyForcibly();
            }
            assertInvariants(run);
        }
    }

    /**
     * SIGTERM in the middle of a burst of slow creates (the ScaleOutIT flake: a replica closed after Flashduty
     * answered a create but before its ledger entry). The stop lets every create in flight finish: exit 0 within
     * SHUTDOWN_TIMEOUT_SECONDS, no route forced, and every create the sandbox took has its ledger entry and its
     * {@code created} result. Started again, every incident has exactly one room (no create is repeated).
     */
    @Test
    @Order(27)
    void sigtermDuringABurstOfSlowCreates() throws Exception {
        try (FaultRun run = new FaultRun("27. SIGTERM mid-burst, creates in flight")) {
            run.settings.remove("camel.main.shutdown-timeout"); // the shipped SHUTDOWN_TIMEOUT_SECONDS
            run.sendGood(150);
            run.sandbox.slow(1000); // every answer takes a second: a create is in flight at the SIGTERM
            Process first = spawn(run, "first");
            try {
                run.awaitResults(5, WAIT);
                Awaitility.await("a create in flight").atMost(WAIT).pollInterval(Duration.ofMillis(5))
                        .until(() -> run.sandbox.createCounts().size() > run.withResult());
                stopBySigterm(run, first, "first");
            } finally {
                first.destroyForcibly();
            }
            Set<String> recorded = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("ledger"))) {
                recorded.add(TestKafka.key(r));
            }
            Set<String> created = new HashSet<>();
            run.latestResults().stream().filter(r -> "created".equals(r.path("status").asText()))
                    .forEach(r -> created.add(r.path("incident_id").asText().toLowerCase()));
            for (String incident : run.sandbox.createCounts().keySet()) {
                assertTrue(recorded.contains(incident), "the create of " + incident + " was answered, its ledger entry not written");
                assertTrue(created.contains(incident), "the create of " + incident + " was answered, its result not written");
            }
            assertTrue(run.withResult() < run.good.size(), "records were left for the restart");
            run.sandbox.slow(0);
            Process second = spawn(run, "second");
            try {
                run.awaitAllHandled(WAIT);
                stopBySigterm(run, second, "second");
            } finally {
                second.destroyForcibly();
            }
            assertInvariants(run); // one room per incident: no create was repeated
        }
    }

    /** The hard bound of a stop: SHUTDOWN_TIMEOUT_SECONDS's default in the shipped config/application.properties. */
    static long shutdownTimeoutSeconds() throws IOException {
        Matcher m = Pattern.compile("(?m)^camel\\.main\\.shutdown-timeout = \\{\\{env:SHUTDOWN_TIMEOUT_SECONDS:(\\d+)}}$")
                .matcher(Files.readString(Path.of("config/application.properties")));
        assertTrue(m.find(), "config/application.properties sets camel.main.shutdown-timeout from SHUTDOWN_TIMEOUT_SECONDS");
        return Long.parseLong(m.group(1));
    }

    /** SIGTERM: the process is gone within the shutdown time-out, with exit code 0, and no route was forced to stop. */
    static void stopBySigterm(FaultRun run, Process p, String which) throws IOException, InterruptedException {
        long timeout = shutdownTimeoutSeconds();
        p.destroy();
        assertTrue(p.waitFor(timeout, TimeUnit.SECONDS), which + " still running " + timeout + " s after SIGTERM");
        assertEquals(0, p.exitValue(), which + ": exit code after SIGTERM");
        readLog(run, which);
        List<String> forced = Files.readAllLines(logFile(run, which), StandardCharsets.ISO_8859_1).stream()
                .filter(l -> l.contains("Timeout occurred during graceful shutdown") || l.contains("Forcing the routes to be shutdown")).toList();
        assertTrue(forced.isEmpty(), which + ": the graceful stop was forced: " + forced);
    }
}
