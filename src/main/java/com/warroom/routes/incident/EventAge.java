package com.warroom.routes.incident;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

import com.warroom.routes.kafka.BrokerClock;
import com.warroom.routes.kafka.IncomingRecord;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether an event is too old to open a war room for, judged by its {@code event_time}, so a new
 * consumer group reading from the earliest offset or an old backlog never opens war rooms for
 * long-gone incidents.
 * <p>
 * Clocks are inputs like any other, so none is trusted alone:
 * <ul>
 * <li>the comparison saturates instead of overflowing (an {@code event_time} of {@code Long.MIN_VALUE}
 * is ancient, not fresh);</li>
 * <li>an {@code event_time} further in the future than the tolerance says nothing about the event's
 * age: the record's own timestamp judges it instead (fresh when that is in the future too), and the
 * skew is counted and logged;</li>
 * <li>when this host's clock is further than the tolerance from the broker's ({@link BrokerClock}),
 * ages are judged against the broker's, and the skew is counted and logged: a host clock an hour
 * ahead must not skip, and commit, every event as stale.</li>
 * </ul>
 * Skews are counted in {@code war_room_incident_clock_skew_total{kind}} and logged at most once a minute per
 * kind, so a wrong clock is seen, never a silent reason to skip a whole topic.
 */
public final class EventAge {

    private static final Logger LOG = LoggerFactory.getLogger(EventAge.class);
    static final String EVENT_TIME_AHEAD = "event_time_ahead";
    static final String HOST_CLOCK_OFF = "host_clock_off";
    private static final long LOG_EVERY_MILLIS = 60_000;

    private final long maxAgeMillis;
    private final long toleranceMillis;
    private final Clock clock;
    private final BrokerClock broker;
    private final MeterRegistry registry;
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();

    public EventAge(Duration maxAge, Duration skewTolerance, Clock clock, BrokerClock broker, MeterRegistry registry) {
        this.maxAgeMillis = maxAge.toMillis();
        this.toleranceMillis = skewTolerance.toMillis();
        this.clock = clock;
        this.broker = broker;
        this.registry = registry;
        for (String kind : new String[] {EVENT_TIME_AHEAD, HOST_CLOCK_OFF}) {
            registry.counter("war.room.incident.clock.skew", "kind", kind); // at 0 from the start: the series exists before a skew
        }
    }

    /**
     * @param eventTime  the event's {@code event_time} (ms since the epoch), as parsed
     * @param recordTime the Kafka record's timestamp, when it has one
     */
    public boolean isStale(@ExchangeProperty(IncidentEventParser.EVENT_TIME) Long eventTime,
                           @ExchangeProperty(IncomingRecord.TIMESTAMP) Long recordTime) {
        if (eventTime == null) {
            return true;
        }
        long now = now();
        if (eventTime > minus(now, -toleranceMillis)) {
            skew(EVENT_TIME_AHEAD, "an event_time is " + (eventTime - now) + " ms ahead of the clock ages are judged by;"
                    + " such events are judged by their record's timestamp");
            return recordTime != null && recordTime > 0 && recordTime <= minus(now, -toleranceMillis)
                    && olderThanLimit(recordTime, now);
        }
        return olderThanLimit(eventTime, now);
    }

    private boolean olderThanLimit(long time, long now) {
        return time < minus(now, maxAgeMillis);
    }

    /** This host's clock, or the broker's when this host's is further from it than the tolerance (counted and logged). */
    long now() {
        long host = clock.millis();
        long judged = judged(host);
        if (judged != host) {
            skew(HOST_CLOCK_OFF, "this host's clock is " + minus(host, judged)
                    + " ms off the Kafka broker's; event ages are judged by the broker's clock");
        }
        return judged;
    }

    /** The clock ages are judged by, without counting a skew: what war_room_event_to_result_seconds is measured by too. */
    public long clockMillis() {
        return judged(clock.millis());
    }

    private long judged(long host) {
        OptionalLong brokerNow = broker.now();
        return brokerNow.isPresent() && Math.abs(minus(host, brokerNow.getAsLong())) > toleranceMillis ? brokerNow.getAsLong() : host;
    }

    private void skew(String kind, String message) {
        registry.counter("war.room.incident.clock.skew", "kind", kind).increment();
        long now = System.nanoTime() / 1_000_000L;
        Long last = lastLogged.get(kind);
        boolean due = last == null ? lastLogged.putIfAbsent(kind, now) == null
                : now - last >= LOG_EVERY_MILLIS && lastLogged.replace(kind, last, now);
        if (due) {
            LOG.warn("clock skew ({}): {}", kind, message);
        }
    }

    /** {@code a - b}, saturated instead of overflowing (also {@code a + t} as {@code minus(a, -t)}, t >= 0). */
    public static long minus(long a, long b) {
        try {
            return Math.subtractExact(a, b);
        } catch (ArithmeticException overflow) {
            return b > 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
