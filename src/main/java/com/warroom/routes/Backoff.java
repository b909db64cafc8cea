package com.warroom.routes;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one backoff rule of the module: the initial wait, doubling with each failure in a row, capped
 * at the maximum; with ±20% jitter where replicas could otherwise retry in step. Used by the
 * Flashduty retries, the Kafka record and poll retries and the restart of background clients.
 * Four lines of arithmetic: no library's retry policy fits the places it is used (a Camel loop, a
 * poll-exception strategy and two hand-run threads).
 */
public record Backoff(Duration initial, Duration max) {

    /** The wait after this many failures in a row (1: the initial wait). */
    public long millis(long failures) {
        long base = initial.toMillis() << Math.min(20, Math.max(0, failures - 1));
        return Math.min(max.toMillis(), base);
    }

    /** {@link #millis} ±20%, at least 1 ms. */
    public long jitteredMillis(long failures) {
        double jitter = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
        return Math.max(1, Math.round(millis(failures) * jitter));
    }

    /** The wait after one more failure than the one that waited {@code previousMillis}. */
    public long after(long previousMillis) {
        return Math.min(max.toMillis(), previousMillis * 2);
    }
}
