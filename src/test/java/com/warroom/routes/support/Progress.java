package com.warroom.routes.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.awaitility.Awaitility;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A wait for work that moves on its own (a backlog drained, calls made): done when {@code done} holds,
 * failed once {@code progress} has not grown for {@code stalled}. A deadline for the whole of the work
 * would be a floor on throughput, which a loaded machine (parallel test forks, other builds) misses
 * though nothing is wrong; the tests assert what happened, never how fast.
 */
public final class Progress {

    /** The hard cap, whatever the progress: a wait that keeps moving for an hour is a fault too. */
    private static final Duration CAP = Duration.ofHours(1);

    private Progress() {
    }

    public static void await(String what, Duration poll, Duration stalled, LongSupplier progress, BooleanSupplier done) {
        long[] last = {Long.MIN_VALUE, System.nanoTime()};
        Awaitility.await(what).atMost(CAP).pollInterval(poll).until(() -> {
            long now = progress.getAsLong();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
            }
            if (done.getAsBoolean()) {
                return true;
            }
            assertTrue(System.nanoTime() - last[1] < stalled.toNanos(), what + ": no progress for " + stalled.toSeconds() + " s, at " + now);
            return false;
        });
    }

    /** Until {@code count} reaches {@code target}, failing once it has not grown for {@code stalled}. */
    public static void await(String what, Duration poll, Duration stalled, LongSupplier count, long target) {
        await(what, poll, stalled, count, () -> count.getAsLong() >= target);
    }
}
