package com.warroom.routes.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault scenarios 3, 14, 25: 429 storms (one longer than a record's deadline) and a template flood competing with a war-room
 * burst for the account budget.
 * The scenarios, their invariants and the reliability table: {@link FaultScenarios}.
 */
class RateLimitScenariosIT extends FaultScenarios {

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
}
