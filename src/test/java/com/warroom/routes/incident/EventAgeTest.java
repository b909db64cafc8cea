package com.warroom.routes.incident;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import com.warroom.routes.kafka.BrokerClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stale rule with every clock it reads made wrong in turn. */
class EventAgeTest {

    static final long NOW = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    static final long HOUR = 3_600_000L;
    static final long MINUTE = 60_000L;

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final BrokerClock broker = new BrokerClock(nanos::get);

    EventAge age(long hostNow) {
        return new EventAge(Duration.ofHours(1), Duration.ofMinutes(5), Clock.fixed(Instant.ofEpochMilli(hostNow), ZoneOffset.UTC),
                broker, registry);
    }

    double skews(String kind) {
        return registry.counter("war.room.incident.clock.skew", "kind", kind).count();
    }

    @Test
    void freshAndOldEventsOnHealthyClocks() {
        EventAge age = age(NOW);
        assertFalse(age.isStale(NOW - 59 * MINUTE, NOW));
        assertTrue(age.isStale(NOW - 61 * MINUTE, NOW));
        assertTrue(age.isStale(null, NOW), "no event_time: nothing says it is fresh");
        assertEquals(0, skews(EventAge.EVENT_TIME_AHEAD) + skews(EventAge.HOST_CLOCK_OFF));
    }

    @Test
    void extremeEventTimesNeitherOverflowNorPassAsFresh() {
        EventAge age = age(NOW);
        assertTrue(age.isStale(Long.MIN_VALUE, NOW), "Long.MIN_VALUE is the oldest time there is");
        assertTrue(age.isStale(0L, NOW));
        assertTrue(age.isStale(-1L, NOW));
        // Long.MAX_VALUE is far ahead: judged by the record's (old) timestamp
        assertTrue(age.isStale(Long.MAX_VALUE, NOW - 2 * HOUR));
        assertFalse(age.isStale(Long.MAX_VALUE, NOW - MINUTE));
        // a host clock at the end of time does not overflow either
        assertTrue(age(Long.MAX_VALUE).isStale(Long.MIN_VALUE, null));
    }

    @Test
    void anEventTimeInTheFutureIsJudgedByItsRecordAndCounted() {
        EventAge age = age(NOW);
        assertTrue(age.isStale(NOW + 24 * HOUR, NOW - 2 * HOUR), "a record two hours old is stale whatever its event_time says");
        assertFalse(age.isStale(NOW + 24 * HOUR, NOW - MINUTE), "a fresh record with a future event_time is fresh");
        assertFalse(age.isStale(NOW + 24 * HOUR, NOW + 24 * HOUR), "both ahead: nothing says it is old");
        assertFalse(age.isStale(NOW + 24 * HOUR, null));
        assertEquals(4, skews(EventAge.EVENT_TIME_AHEAD));
        assertFalse(age.isStale(NOW + 4 * MINUTE, NOW), "within the tolerance: an ordinary clock difference");
        assertEquals(4, skews(EventAge.EVENT_TIME_AHEAD));
    }

    @Test
    void aHostClockAnHourAheadOfTheBrokerDoesNotMakeEveryEventStale() {
        broker.observe(NOW);
        EventAge age = age(NOW + HOUR + 10 * MINUTE);
        assertFalse(age.isStale(NOW - MINUTE, NOW - MINUTE), "a minute old by the broker's clock");
        assertTrue(age.isStale(NOW - 2 * HOUR, NOW - 2 * HOUR), "two hours old by the broker's clock");
        assertEquals(2, skews(EventAge.HOST_CLOCK_OFF));

        // the broker's clock is carried forward on the monotonic clock: 30 minutes later it reads NOW + 30 min
        nanos.addAndGet(Duration.ofMinutes(30).toNanos());
        assertTrue(age.isStale(NOW - 31 * MINUTE, null), "61 minutes old by the broker's clock");
        assertFalse(age.isStale(NOW - 29 * MINUTE, null), "59 minutes old by the broker's clock");
    }

    /** What the latency histograms read: the same clock, without counting a skew once more. */
    @Test
    void theClockAgesAreJudgedByIsReadWithoutCountingASkew() {
        broker.observe(NOW);
        assertEquals(NOW, age(NOW + HOUR).clockMillis(), "the broker's, the host's being an hour off");
        assertEquals(NOW + MINUTE, age(NOW + MINUTE).clockMillis(), "the host's, within the tolerance");
        assertEquals(0, skews(EventAge.HOST_CLOCK_OFF));
    }

    @Test
    void aHostClockWithinTheToleranceOfTheBrokersIsUsedAsItIs() {
        broker.observe(NOW - 2 * MINUTE);
        EventAge age = age(NOW);
        assertTrue(age.isStale(NOW - 61 * MINUTE, null));
        assertEquals(0, skews(EventAge.HOST_CLOCK_OFF));
    }
}
