package com.warroom.routes.sandbox;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The account's two rate windows as the sandbox enforces them (a Flashduty call is accepted only
 * while fewer than {@code perSecond} accepted calls lie in the last second and fewer than
 * {@code perMinute} in the last minute, both half-open), and the window arithmetic tests judge a
 * run with.
 */
final class RateWindows {

    private final FlashdutySandbox.Config config;
    private final List<Long> accepted = new ArrayList<>(); // arrival nanos of accepted calls, guarded by this

    RateWindows(FlashdutySandbox.Config config) {
        this.config = config;
    }

    /** Counts the call as accepted unless either window is full; false means answer 429. */
    synchronized boolean tryAccept(long arrivalNanos) {
        long second = config.secondWindowMillis() * 1_000_000L;
        long minute = config.minuteWindowMillis() * 1_000_000L;
        int inSecond = 0;
        int inMinute = 0;
        for (int i = accepted.size() - 1; i >= 0; i--) {
            long age = arrivalNanos - accepted.get(i);
            if (age >= minute) {
                break;
            }
            inMinute++;
            if (age < second) {
                inSecond++;
            }
        }
        if (inSecond >= config.perSecond() || inMinute >= config.perMinute()) {
            return false;
        }
        accepted.add(arrivalNanos);
        return true;
    }

    synchronized int maxAcceptedInAnyWindow(long windowMillis) {
        return maxIn(accepted.stream().sorted().toList(), windowMillis);
    }

    synchronized void clear() {
        accepted.clear();
    }

    /** The most timestamps (nanos, sorted) inside any half-open window of this length. */
    static int maxIn(List<Long> sorted, long windowMillis) {
        return Arrays.stream(inWindowEndingAt(sorted, windowMillis)).max().orElse(0);
    }

    /** How many timestamps (nanos, sorted) arrived while {@code limit} others were already inside the window before them. */
    static int overLimit(List<Long> sorted, long windowMillis, int limit) {
        return (int) Arrays.stream(inWindowEndingAt(sorted, windowMillis)).filter(n -> n > limit).count();
    }

    /** For each timestamp, how many (itself included) lie in the half-open window of this length ending at it. */
    private static int[] inWindowEndingAt(List<Long> sorted, long windowMillis) {
        long w = windowMillis * 1_000_000L;
        int[] counts = new int[sorted.size()];
        int lo = 0;
        for (int hi = 0; hi < sorted.size(); hi++) {
            while (sorted.get(hi) - sorted.get(lo) >= w) {
                lo++;
            }
            counts[hi] = hi - lo + 1;
        }
        return counts;
    }
}
