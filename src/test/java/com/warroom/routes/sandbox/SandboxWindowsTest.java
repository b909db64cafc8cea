package com.warroom.routes.sandbox;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The window arithmetic the fault scenarios judge the account budget with. */
class SandboxWindowsTest {

    static long ms(long millis) {
        return millis * 1_000_000L;
    }

    @Test
    void countsTheArrivalsThatFoundTheWindowFull() {
        // 3 per 100 ms: the 4th arrival inside 100 ms is over, one exactly 100 ms later is not
        List<Long> arrivals = List.of(ms(0), ms(10), ms(20), ms(30), ms(100), ms(130), ms(135));
        assertEquals(4, FlashdutySandbox.maxIn(arrivals, 100));
        assertEquals(2, FlashdutySandbox.overLimit(arrivals, 100, 3)); // at 30 and at 100 (10, 20, 30 still inside)
        assertEquals(3, FlashdutySandbox.overLimit(arrivals, 200, 4)); // at 100, 130, 135
        assertEquals(0, FlashdutySandbox.overLimit(arrivals, 100, 4));
        assertEquals(0, FlashdutySandbox.overLimit(List.of(), 100, 1));
    }
}
