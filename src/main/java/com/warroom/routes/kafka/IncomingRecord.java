package com.warroom.routes.kafka;

import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.common.header.Headers;

/**
 * The boundary on the way in: keeps what the route needs of the consumed record (where it came
 * from, its raw key and headers for a byte-for-byte dead-letter copy, the offset commit) as
 * exchange properties, then drops every message header, so nothing a producer of the incident
 * topic wrote into a header can steer a later HTTP call or Kafka write.
 */
public final class IncomingRecord {

    public static final String TOPIC = "sourceTopic";
    public static final String PARTITION = "sourcePartition";
    public static final String OFFSET = "sourceOffset";
    public static final String TIMESTAMP = "sourceTimestamp";
    public static final String KEY = "recordKey";
    public static final String VALUE = "recordValue";
    public static final String HEADERS = "recordHeaders";
    static final String COMMIT = "recordCommit";

    private final long deadlineNanos;
    private final long ledgerWriteNanos;

    /**
     * @param deadlineMillis how long each record may wait for Flashduty ({@link RecordDeadline}); 0: no deadline
     * @param ledgerWriteMillis how long after its poll returned a record's ledger write may be tried again
     *                          in place ({@link RecordDeadline#ledgerWriteMillis})
     */
    public IncomingRecord(long deadlineMillis, long ledgerWriteMillis) {
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
        this.ledgerWriteNanos = TimeUnit.MILLISECONDS.toNanos(ledgerWriteMillis);
    }

    public void capture(Exchange exchange) {
        Message in = exchange.getMessage();
        exchange.setProperty(TOPIC, in.getHeader(KafkaConstants.TOPIC, String.class));
        exchange.setProperty(PARTITION, in.getHeader(KafkaConstants.PARTITION, Integer.class));
        exchange.setProperty(OFFSET, in.getHeader(KafkaConstants.OFFSET, Long.class));
        exchange.setProperty(TIMESTAMP, in.getHeader(KafkaConstants.TIMESTAMP, Long.class));
        exchange.setProperty(KEY, in.getHeader(KafkaConstants.KEY));
        exchange.setProperty(HEADERS, in.getHeader(KafkaConstants.HEADERS, Headers.class));
        exchange.setProperty(COMMIT, in.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class));
        exchange.setProperty(VALUE, in.getBody());
        if (deadlineNanos > 0) {
            exchange.setProperty(RecordDeadline.PROPERTY, System.nanoTime() + deadlineNanos);
        }
        Long polled = PollReturned.nanos();
        if (polled != null) {
            exchange.setProperty(RecordDeadline.LEDGER_WRITE_UNTIL, polled + ledgerWriteNanos);
        }
        in.getHeaders().clear();
    }

    /** Commits this record's offset; called only once its result or dead-letter copy is acknowledged. */
    public void commit(Exchange exchange) {
        KafkaManualCommit commit = exchange.getProperty(COMMIT, KafkaManualCommit.class);
        if (commit != null) {
            commit.commit();
        }
    }
}
