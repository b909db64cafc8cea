package com.warroom.routes.observe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pure parts of the module's metrics: clamped times, bounded labels, the decided bucket lists. */
class WarRoomMetricsTest {

    @Test
    void aTimeAheadOfTheClockIsZeroNeverNegative() {
        assertEquals(1500, WarRoomMetrics.clampedMillis(1_000, 2_500));
        assertEquals(0, WarRoomMetrics.clampedMillis(2_500, 1_000), "an event_time ahead (a skewed producer clock)");
        assertEquals(0, WarRoomMetrics.clampedMillis(Long.MAX_VALUE, 1_000));
        assertEquals(Long.MAX_VALUE, WarRoomMetrics.clampedMillis(Long.MIN_VALUE, 1_000), "saturated, not overflowed to negative");
    }

    @Test
    void anAttemptsOutcomeIsOneOfFourClasses() {
        assertEquals("success", WarRoomMetrics.outcome(null));
        assertEquals("rate_limited", WarRoomMetrics.outcome("RequestTooFrequently"));
        for (String transport : new String[] {"timeout", "connection_error", "no_response", "invalid_response", "outcome_unknown",
                "answer_too_large"}) {
            assertEquals("transport_error", WarRoomMetrics.outcome(transport), transport);
        }
        assertEquals("error", WarRoomMetrics.outcome("InvalidParameter"));
        assertEquals("error", WarRoomMetrics.outcome("SomethingFlashdutyInventsTomorrow\n{x=\"y\"}"), "never the code itself");
    }

    @Test
    void labelsOutsideTheirSetAreOther() {
        assertEquals("InternalError", WarRoomMetrics.bounded("InternalError", WarRoomMetrics.CODES));
        assertEquals("other", WarRoomMetrics.bounded("internalerror", WarRoomMetrics.CODES));
        assertEquals("other", WarRoomMetrics.bounded(null, WarRoomMetrics.STATUSES));
        assertEquals("other", WarRoomMetrics.bounded("/incident/war-room/create?app_key=x", WarRoomMetrics.ENDPOINTS));
    }

    /** The buckets decided for issue 26 (alert rules and the dashboard query these le values). */
    @Test
    void theBucketsAreTheDecidedOnes() {
        assertArrayEquals(new double[] {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}, WarRoomMetrics.TO_RESULT);
        assertArrayEquals(new double[] {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, WarRoomMetrics.CALL);
        assertArrayEquals(new double[] {0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, WarRoomMetrics.BUDGET_WAIT);
    }
}
