package com.warroom.routes.flashduty;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the last answers say of Flashduty, for the retry policy and readiness:
 * <ul>
 * <li><b>down</b>: a call ran out of retries on a transient error. Later calls get one attempt each
 * until one succeeds, so a long outage turns a backlog into {@code failed} results (replayable)
 * instead of stalling the consumer past {@code max.poll.interval.ms};</li>
 * <li><b>a run of RequestTooFrequently</b> that outlasted a call's rate-limited attempts: the same,
 * until an answer other than 429 comes;</li>
 * <li><b>Unauthorized</b>: readiness {@code flashduty-auth} is down until a call succeeds.</li>
 * </ul>
 * Down and the 429 run are kept per class of caller: war-room creation and the rest (template
 * lookups, the sync, the catalog). A war-room call sets both; any other only the others', so failing
 * template lookups never cut war-room creation to one attempt. Any success clears both.
 */
public final class FlashdutyHealth {

    private static final Logger LOG = LoggerFactory.getLogger(FlashdutyHealth.class);

    private final AtomicBoolean downForWarRooms = new AtomicBoolean();
    private final AtomicBoolean downForOthers = new AtomicBoolean();
    private final AtomicBoolean rateLimitedForWarRooms = new AtomicBoolean();
    private final AtomicBoolean rateLimitedForOthers = new AtomicBoolean();
    private final AtomicBoolean unauthorized = new AtomicBoolean();
    private final AtomicLong rateLimitedAnswers = new AtomicLong();

    /** Whether Flashduty is taken as down for war-room creation (only a war-room call's own failures set it), or for the rest. */
    boolean isDown(boolean warRoom) {
        return (warRoom ? downForWarRooms : downForOthers).get();
    }

    boolean inRateLimitedRun(boolean warRoom) {
        return (warRoom ? rateLimitedForWarRooms : rateLimitedForOthers).get();
    }

    /** A call succeeded: Flashduty answers. */
    void succeeded() {
        rateLimitedRunEnds();
        unauthorized.set(false);
        if (downForWarRooms.getAndSet(false) | downForOthers.getAndSet(false)) {
            LOG.info("Flashduty answers again");
        }
    }

    /** An attempt failed with this code (an error answer, or none). */
    void failed(String code) {
        if ("Unauthorized".equals(code)) {
            unauthorized.set(true);
        }
        if (FlashdutyResponses.RATE_LIMITED.equals(code)) {
            rateLimitedAnswers.incrementAndGet();
        } else {
            rateLimitedRunEnds();
        }
    }

    /** A call ran out of retries on a transient error. */
    void gaveUp(boolean warRoom, String path, String code, int attempts) {
        if (set(downForWarRooms, downForOthers, warRoom)) {
            LOG.error("Flashduty {} still failing with {} after {} attempts; until a call succeeds, later calls {}try once each",
                    path, code, attempts, warRoom ? "" : "other than war-room creation ");
        }
    }

    /** A call gave up while Flashduty answered RequestTooFrequently: taken like an outage until another answer comes. */
    void gaveUpRateLimited(boolean warRoom, String path, int attempts) {
        if (set(rateLimitedForWarRooms, rateLimitedForOthers, warRoom)) {
            LOG.error("Flashduty {} still answering {} after {} attempts; until another answer comes, later calls {}try once each",
                    path, FlashdutyResponses.RATE_LIMITED, attempts, warRoom ? "" : "other than war-room creation ");
        }
    }

    private void rateLimitedRunEnds() {
        if (rateLimitedForWarRooms.getAndSet(false) | rateLimitedForOthers.getAndSet(false)) {
            LOG.info("Flashduty answers other than {} again", FlashdutyResponses.RATE_LIMITED);
        }
    }

    /** What holds for war-room creation holds for the rest; true when the caller's own state was not set before. */
    private static boolean set(AtomicBoolean forWarRooms, AtomicBoolean forOthers, boolean warRoom) {
        boolean changed = !(warRoom ? forWarRooms : forOthers).getAndSet(true);
        forOthers.set(true);
        return changed;
    }

    /** True while the last answer was {@code Unauthorized} (readiness {@code flashduty-auth}). */
    public boolean isUnauthorized() {
        return unauthorized.get();
    }

    public long rateLimitedAnswers() {
        return rateLimitedAnswers.get();
    }
}
