package com.warroom.routes.ledger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import com.warroom.routes.StartupProblem;
import com.warroom.routes.incident.IncidentEventParser;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LEDGER_RETENTION: the decision that keeps a forgotten ledger entry from opening a second room. */
class LedgerRetentionTest {

    static final long NOW = Instant.parse("2026-12-02T12:00:00Z").toEpochMilli();
    static final long DAY = Duration.ofDays(1).toMillis();
    final LedgerRetention retention = new LedgerRetention(Duration.ofDays(30), Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    @Test
    void anIncidentThatStartedBeforeTheRetentionIsBeyondItOneWithinIsNot() {
        assertTrue(retention.isBeyond(NOW - 30 * DAY - 1));
        assertTrue(retention.isBeyond(NOW - 400 * DAY));
        assertFalse(retention.isBeyond(NOW - 30 * DAY));
        assertFalse(retention.isBeyond(NOW - 3_600_000));
        assertFalse(retention.isBeyond(NOW));
    }

    @Test
    void anUnknownStartOrOneFarAheadIsBeyondItWithoutOverflow() {
        assertTrue(retention.isBeyond(0), "unknown");
        assertTrue(retention.isBeyond(-5), "negative");
        assertTrue(retention.isBeyond(Long.MIN_VALUE));
        assertTrue(retention.isBeyond(Long.MAX_VALUE), "far ahead, no overflow to 'recent'");
        assertTrue(retention.isBeyond(NOW + DAY + 1), "more than the clock margin ahead");
        assertFalse(retention.isBeyond(NOW + DAY), "within the clock margin");
    }

    @Test
    void theExchangeWithoutAStartIsBeyond() {
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        assertTrue(retention.isBeyond(ex));
        ex.setProperty(IncidentEventParser.INCIDENT_START, NOW - DAY);
        assertFalse(retention.isBeyond(ex));
    }

    @Test
    void entriesAreKeptADayLongerThanTheRetention() {
        assertEquals(31 * DAY, retention.keepMillis());
        assertEquals(Long.MAX_VALUE, new LedgerRetention(Duration.ofMillis(Long.MAX_VALUE), Clock.systemUTC()).keepMillis());
    }

    @Test
    void aRetentionNotLongerThanTheStaleLimitStopsTheStartNamingBoth() {
        StartupProblem p = assertThrows(StartupProblem.class, () -> LedgerRetention.checked(3_600_000, 3_600_000, Clock.systemUTC()));
        assertTrue(p.getMessage().contains("LEDGER_RETENTION") && p.getMessage().contains("WAR_ROOM_MAX_EVENT_AGE"), p.getMessage());
        assertEquals(31 * DAY, LedgerRetention.checked(30 * DAY, 3_600_000, Clock.systemUTC()).keepMillis());
    }
}
