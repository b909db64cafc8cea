package com.warroom.routes.faults;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.support.RunningApp;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault scenarios 1, 2, 13: Flashduty unreachable for a minute, bursts of 500/503 and answers slower than the time-out, creates
 * answered by a gateway after the room opened.
 * The scenarios, their invariants and the reliability table: {@link FaultScenarios}.
 */
class FlashdutyDownScenariosIT extends FaultScenarios {

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
}
