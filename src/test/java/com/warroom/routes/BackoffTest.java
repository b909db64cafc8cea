package com.warroom.routes;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000));

    @Test
    void doublesFromTheInitialWaitUpToTheMaximum() {
        assertEquals(100, backoff.millis(1));
        assertEquals(200, backoff.millis(2));
        assertEquals(800, backoff.millis(4));
        assertEquals(1000, backoff.millis(5));
        assertEquals(1000, backoff.millis(10_000), "no overflow after many failures");
        assertEquals(100, backoff.millis(0), "no failure yet waits the initial wait");
        assertEquals(400, backoff.after(200));
        assertEquals(1000, backoff.after(600));
    }

    @Test
    void jitterStaysWithinTwentyPercent() {
        for (int i = 0; i < 1000; i++) {
            long w = backoff.jitteredMillis(3);
            assertTrue(w >= 320 && w <= 480, "400 ms ±20%: " + w);
        }
        assertEquals(1, new Backoff(Duration.ZERO, Duration.ZERO).jitteredMillis(1), "never 0 ms");
    }
}
