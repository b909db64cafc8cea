package com.warroom.routes.ledger;

import java.time.Clock;
import java.time.Duration;

import com.warroom.routes.StartupProblem;
import com.warroom.routes.incident.IncidentEventParser;
import org.apache.camel.Exchange;

/**
 * How long the ledger remembers a war room ({@code LEDGER_RETENTION}), and the decision that keeps a
 * forgotten entry from opening a second room: an event whose incident started longer ago than the
 * retention is skipped ({@code beyond_ledger_retention}, routes/20-war-room.yaml), whether or not its
 * entry is still held.
 * <p>
 * An entry is kept for the retention plus {@link #CLOCK_MARGIN} after its record's timestamp (the
 * room was opened after the incident started, so the entry of an incident still within the
 * retention is always kept; the margin absorbs a difference between Flashduty's clock, which gives
 * the incident's start, and the clocks that stamp and judge the ledger record). The ledger topic
 * created here deletes after the same time ({@link #keepMillis}).
 * <p>
 * An incident whose start is unknown (no positive {@code start_time} or {@code created_at}) or
 * more than the margin in the future cannot be shown to be within the retention: it is skipped
 * too, since a create for it could be a second room.
 */
public final class LedgerRetention {

    /** how much longer than the retention an entry is kept, and how far in the future a start may lie */
    public static final Duration CLOCK_MARGIN = Duration.ofDays(1);

    private final long retentionMillis;
    private final Clock clock;

    public LedgerRetention(Duration retention, Clock clock) {
        this.retentionMillis = retention.toMillis();
        this.clock = clock;
    }

    /** The retention from the settings; it must be longer than the stale limit, or the start stops with one line. */
    public static LedgerRetention checked(long retentionMillis, long maxEventAgeMillis, Clock clock) {
        if (retentionMillis <= maxEventAgeMillis) {
            throw new StartupProblem("LEDGER_RETENTION (" + Duration.ofMillis(retentionMillis) + ") must be longer than "
                    + "WAR_ROOM_MAX_EVENT_AGE (" + Duration.ofMillis(maxEventAgeMillis) + ")");
        }
        return new LedgerRetention(Duration.ofMillis(retentionMillis), clock);
    }

    /** Route predicate: the incident started longer ago than the retention, or its start is unknown or far ahead. */
    public boolean isBeyond(Exchange exchange) {
        Long start = exchange.getProperty(IncidentEventParser.INCIDENT_START, Long.class);
        return isBeyond(start == null ? 0 : start);
    }

    /** @param startMillis the incident's start in epoch milliseconds; 0 or less when unknown */
    boolean isBeyond(long startMillis) {
        long now = clock.millis();
        // start and now both non-negative (the parser bounds the start): neither difference overflows
        if (startMillis <= 0 || now < 0 || startMillis - now > CLOCK_MARGIN.toMillis()) {
            return true;
        }
        return now - startMillis > retentionMillis;
    }

    /** How long after its record's timestamp an entry is kept (in memory, and by a ledger topic created here). */
    public long keepMillis() {
        return retentionMillis > Long.MAX_VALUE - CLOCK_MARGIN.toMillis() ? Long.MAX_VALUE : retentionMillis + CLOCK_MARGIN.toMillis();
    }

    public Clock clock() {
        return clock;
    }
}
