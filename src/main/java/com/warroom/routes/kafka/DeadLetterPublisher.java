package com.warroom.routes.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import com.warroom.routes.incident.InvalidRecordException;
import org.apache.camel.Exchange;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the original record, byte for byte, to the dead-letter topic: its key, value and every
 * header (duplicates and {@code Camel*}/{@code kafka.*} names included), plus headers naming the
 * reason and the source topic, partition and offset. A plain Kafka producer is used because
 * Camel's producer builds headers from a map (duplicate keys would collapse) and filters the
 * very header names a byte-for-byte copy must keep.
 */
public final class DeadLetterPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);
    public static final String REASON = "dlq-reason";
    public static final String DETAIL = "dlq-detail";
    public static final String SOURCE_TOPIC = "dlq-source-topic";
    public static final String SOURCE_PARTITION = "dlq-source-partition";
    public static final String SOURCE_OFFSET = "dlq-source-offset";
    /** exchange properties set by whoever decides a record is dead */
    public static final String REASON_PROPERTY = "deadLetterReason";
    public static final String DETAIL_PROPERTY = "deadLetterDetail";

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;

    public DeadLetterPublisher(KafkaClientSettings settings, String topic, int maxRequestBytes, int deliveryTimeoutMs) {
        this.topic = topic;
        Properties p = settings.common("war-room-routes-dead-letter");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestBytes);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(33_554_432L, 4L * maxRequestBytes));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Why the exchange's record is dead-lettered: the reason a bean set, else the one its exception carries. */
    public static String reasonOf(Exchange exchange) {
        String reason = exchange.getProperty(REASON_PROPERTY, String.class);
        if (reason != null) {
            return reason;
        }
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        return caught instanceof InvalidRecordException invalid ? invalid.reason() : "processing_error";
    }

    /** Sends the dead-letter copy of the exchange's record and waits for all in-sync replicas. */
    public void publish(Exchange exchange) throws InterruptedException, ExecutionException {
        String reason = reasonOf(exchange);
        String detail = exchange.getProperty(DETAIL_PROPERTY, String.class);
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (exchange.getProperty(REASON_PROPERTY) == null) {
            // the class only: an exception message could quote a URI or a value
            detail = caught instanceof InvalidRecordException invalid ? invalid.detail() : caught == null ? null : caught.getClass().getName();
        }
        Headers headers = new RecordHeaders();
        Headers original = exchange.getProperty(IncomingRecord.HEADERS, Headers.class);
        if (original != null) {
            for (Header h : original) {
                headers.add(h.key(), h.value());
            }
        }
        headers.add(REASON, utf8(reason));
        if (detail != null) {
            headers.add(DETAIL, utf8(detail));
        }
        headers.add(SOURCE_TOPIC, utf8(exchange.getProperty(IncomingRecord.TOPIC, String.class)));
        headers.add(SOURCE_PARTITION, utf8(String.valueOf(exchange.getProperty(IncomingRecord.PARTITION))));
        headers.add(SOURCE_OFFSET, utf8(String.valueOf(exchange.getProperty(IncomingRecord.OFFSET))));
        byte[] key = exchange.getProperty(IncomingRecord.KEY, byte[].class);
        byte[] value = exchange.getProperty(IncomingRecord.VALUE, byte[].class);
        Long timestamp = exchange.getProperty(IncomingRecord.TIMESTAMP, Long.class);
        producer.send(new ProducerRecord<>(topic, null, timestamp, key, value, headers)).get();
        exchange.setProperty(REASON_PROPERTY, reason);
        LOG.warn("dead-lettered {}/{}@{}: {}{}", exchange.getProperty(IncomingRecord.TOPIC),
                exchange.getProperty(IncomingRecord.PARTITION), exchange.getProperty(IncomingRecord.OFFSET),
                reason, detail == null ? "" : " (" + detail + ")");
    }

    /**
     * True when the caught failure is about the record itself (or a defect handling it), so the
     * record is dead-lettered and the partition moves on. Kafka and interruption failures are not:
     * those are rethrown so the consumer seeks back and tries the record again.
     */
    public boolean isPoison(Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof KafkaException || t instanceof InterruptedException
                    || t instanceof org.apache.camel.CamelExchangeException && t.getCause() == null) {
                return false;
            }
            if (t.getClass().getName().startsWith("org.apache.kafka.")) {
                return false;
            }
        }
        return caught != null;
    }

    private static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close();
    }
}
