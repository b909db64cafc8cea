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
    /**
     * exchange property: {@link System#nanoTime()} after which no ledger write of this record is tried
     * again in place (by the ledger write's redelivery, {@link KafkaFailures#writeLedgerAgain}); set only on a record that came from a poll
     */
    public static final String LEDGER_WRITE_UNTIL = "ledgerWriteUntil";
    /** the share of max.poll.interval.ms, from the poll's return, by which the last ledger write attempt has ended */
    static final int LEDGER_PERCENT = 90;
    /** Kafka's max.block.ms (not set here: its default): how long a send may wait for metadata */
    static final long PRODUCER_MAX_BLOCK_MILLIS = 60_000;

    private RecordDeadline() {
    }

    /** The time each record may wait, in milliseconds. */
    public static long perRecordMillis(long maxPollIntervalMillis, int maxPollRecords, long responseTimeoutMillis) {
        return maxPollIntervalMillis * USABLE_PERCENT / 100 / Math.max(1, maxPollRecords) - responseTimeoutMillis;
    }

    /**
     * How long after its poll returned a record's ledger write may still be started again: by
     * {@value #LEDGER_PERCENT}% of the interval, less the longest one attempt can take (delivery time-out
     * plus the producer's metadata wait), the last attempt has ended, before the group would give the
     * partition to another consumer. Zero or less: a failed ledger write is never retried in place.
     */
    public static long ledgerWriteMillis(long maxPollIntervalMillis, long deliveryTimeoutMillis) {
        return maxPollIntervalMillis * LEDGER_PERCENT / 100 - deliveryTimeoutMillis - PRODUCER_MAX_BLOCK_MILLIS;
    }

    /** Nanoseconds left to start a ledger write again; {@link Long#MAX_VALUE} when the record came from no poll (replay). */
    public static long ledgerWriteNanosLeft(Exchange exchange) {
        Long until = exchange.getProperty(LEDGER_WRITE_UNTIL, Long.class);
        return until == null ? Long.MAX_VALUE : until - System.nanoTime();
    }
}
