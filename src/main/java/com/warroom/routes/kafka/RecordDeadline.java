package com.warroom.routes.kafka;

import org.apache.camel.Exchange;

/**
 * The time one consumed record may take waiting for Flashduty: its share of the consumer's
 * {@code max.poll.interval.ms}, so that the records of one poll, however long each waits for the
 * budget or retries, are done before the group takes the partition away (and another replica could
 * create the same incident while a create is in flight). A record past its deadline fails with its
 * last reason and the poll goes on.
 * <p>
 * Share: {@value #USABLE_PERCENT}% of the interval divided by {@code max.poll.records}, minus one
 * response time-out (the attempt that started just before the deadline). It must hold at least the
 * longest rate window (a record may have to wait out a full minute window), or the settings are
 * refused at start.
 */
public final class RecordDeadline {

    /** exchange property: {@link System#nanoTime()} by which the record must be done waiting */
    public static final String PROPERTY = "recordDeadline";
    static final int USABLE_PERCENT = 80;
    public static final String USABLE_PERCENT_TEXT = USABLE_PERCENT + "%";

    private RecordDeadline() {
    }

    /** The time each record may wait, in milliseconds. */
    public static long perRecordMillis(long maxPollIntervalMillis, int maxPollRecords, long responseTimeoutMillis) {
        return maxPollIntervalMillis * USABLE_PERCENT / 100 / Math.max(1, maxPollRecords) - responseTimeoutMillis;
    }

    /** Nanoseconds left before the exchange's record deadline; {@link Long#MAX_VALUE} when it has none (timers). */
    public static long nanosLeft(Exchange exchange) {
        Long deadline = exchange.getProperty(PROPERTY, Long.class);
        return deadline == null ? Long.MAX_VALUE : deadline - System.nanoTime();
    }
}
