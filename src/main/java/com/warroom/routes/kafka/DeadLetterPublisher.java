package com.warroom.routes.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

import org.apache.camel.Exchange;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the original record to the dead-letter topic with headers naming the reason and where it
 * came from. The copy always fits: whole (key, value and every header, duplicates and
 * {@code Camel*}/{@code kafka.*} names included, byte for byte) where the dead-letter topic accepts
 * it, else truncated to as much of the value as fits, marked {@value #TRUNCATED}{@code =true} with the
 * original size, so an operator fetches the original from its topic while it is retained. Sizes are
 * Kafka's own estimate of the record batch ({@link AbstractRecords#estimateSizeInBytesUpperBound}),
 * the figure the producer and the broker check.
 * <p>
 * A plain Kafka producer is used because Camel's producer builds headers from a map (duplicate keys
 * would collapse) and filters the very header names a byte-for-byte copy must keep. It is opened at
 * start once the dead-letter topic's limit is known ({@link #open}).
 */
public final class DeadLetterPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterPublisher.class);
    public static final String REASON = "dlq-reason";
    public static final String DETAIL = "dlq-detail";
    public static final String SOURCE_TOPIC = "dlq-source-topic";
    public static final String SOURCE_PARTITION = "dlq-source-partition";
    public static final String SOURCE_OFFSET = "dlq-source-offset";
    public static final String SOURCE_TIMESTAMP = "dlq-source-timestamp";
    /**
     * A copy is timestamped when it is dead-lettered (the producer's time), not with its source's
     * timestamp, which stays in {@value #SOURCE_TIMESTAMP}: a broker with a timestamp limit
     * ({@code message.timestamp.before/after.max.ms}) would refuse a copy of an old or future-stamped
     * record, and that refusal would stop the consumer.
     */
    private static final Long DEAD_LETTERED_NOW = null;
    /** the original value's size in bytes (0 for a tombstone) */
    public static final String ORIGINAL_SIZE = "dlq-original-size";
    public static final String TRUNCATED = "dlq-truncated";
    /** on a truncated copy that also had to leave out the original headers (their count) or the key */
    public static final String HEADERS_DROPPED = "dlq-headers-dropped";
    public static final String KEY_DROPPED = "dlq-key-dropped";
    /** exchange properties set by whoever decides a record is dead */
    public static final String REASON_PROPERTY = "deadLetterReason";
    public static final String DETAIL_PROPERTY = "deadLetterDetail";
    /** the reason of a record whose output Kafka refused for good (detail: the exception's class) */
    public static final String OUTPUT_REJECTED = "output_rejected";

    private final KafkaClientSettings settings;
    private final String topic;
    private final int deliveryTimeoutMs;
    private volatile RecordLimits limits;
    private volatile Producer<byte[], byte[]> producer;

    public DeadLetterPublisher(KafkaClientSettings settings, String topic, int deliveryTimeoutMs) {
        this.settings = settings;
        this.topic = topic;
        this.deliveryTimeoutMs = deliveryTimeoutMs;
    }

    /** At start, once the limits are read: the producer, sized to the largest record the dead-letter topic takes. */
    public synchronized void open(RecordLimits recordLimits) {
        if (producer != null) {
            return;
        }
        open(recordLimits, newProducer(recordLimits.deadLetterBytes()));
    }

    /** With a producer of the caller's (a route test's {@code MockProducer}). */
    public synchronized void open(RecordLimits recordLimits, Producer<byte[], byte[]> deadLetterProducer) {
        this.limits = recordLimits;
        this.producer = deadLetterProducer;
    }

    private KafkaProducer<byte[], byte[]> newProducer(int maxBytes) {
        Properties p = settings.common("war-room-routes-dead-letter");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(33_554_432L, 4L * maxBytes));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Why the exchange's record is dead-lettered: the reason a bean set, else the one its exception carries. */
    public static String reasonOf(Exchange exchange) {
        String reason = exchange.getProperty(REASON_PROPERTY, String.class);
        if (reason != null) {
            return reason;
        }
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (caught instanceof RecordRejected invalid) {
            return invalid.reason();
        }
        return KafkaFailures.kafkaCause(caught) != null ? OUTPUT_REJECTED : "processing_error";
    }

    /** Sends the dead-letter copy of the exchange's record and waits for all in-sync replicas. */
    public void publish(Exchange exchange) throws InterruptedException, ExecutionException {
        String reason = reasonOf(exchange);
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Throwable kafka = KafkaFailures.kafkaCause(caught);
        // the detail a bean set with its reason, else the exception's class only: its message could quote a URI or a value
        String detail = exchange.getProperty(REASON_PROPERTY) != null ? exchange.getProperty(DETAIL_PROPERTY, String.class)
                : caught instanceof RecordRejected invalid ? invalid.detail()
                : kafka != null ? kafka.getClass().getSimpleName() : caught == null ? null : caught.getClass().getName();
        Source source = new Source(exchange.getProperty(IncomingRecord.TOPIC, String.class),
                exchange.getProperty(IncomingRecord.PARTITION, Integer.class), exchange.getProperty(IncomingRecord.OFFSET, Long.class),
                exchange.getProperty(IncomingRecord.TIMESTAMP, Long.class), exchange.getProperty(IncomingRecord.KEY, byte[].class),
                exchange.getProperty(IncomingRecord.VALUE, byte[].class), exchange.getProperty(IncomingRecord.HEADERS, Headers.class));
        Producer<byte[], byte[]> p = Objects.requireNonNull(producer, "the dead-letter producer is not open yet");
        ProducerRecord<byte[], byte[]> copy = copy(topic, source, reason, detail, limits.deadLetterBytes());
        try {
            p.send(copy).get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof RecordTooLargeException)) {
                throw e;
            }
            // the topic takes less than it said at start (changed since): the smallest copy, the reason and the source
            copy = copy(topic, source, reason, detail, 0);
            p.send(copy).get();
        }
        exchange.setProperty(REASON_PROPERTY, reason);
        LOG.warn("dead-lettered {}/{}@{}: {}{}{}", source.topic(), source.partition(), source.offset(), reason,
                detail == null ? "" : " (" + detail + ")", copy.headers().lastHeader(TRUNCATED) == null ? ""
                        : ", copy truncated to fit " + topic + " (" + length(source.value()) + " bytes)");
    }

    /** Where a dead-lettered record came from, and what it held. */
    public record Source(String topic, Integer partition, Long offset, Long timestamp, byte[] key, byte[] value, Headers headers) {
    }

    /**
     * The dead-letter record for {@code source}: whole when its estimated batch size is at most
     * {@code maxBytes}, else as much of the value as fits (then without the original headers, then
     * without the key, if even those leave no room), marked truncated. {@code maxBytes} 0: the smallest
     * copy (no key, value or original headers).
     */
    public static ProducerRecord<byte[], byte[]> copy(String topic, Source source, String reason, String detail, int maxBytes) {
        byte[] key = source.key();
        byte[] value = source.value();
        Header[] original = source.headers() == null ? new Header[0] : source.headers().toArray();
        Headers ours = ours(source, reason, detail);
        Headers whole = join(original, ours);
        if (maxBytes > 0 && size(key, value, whole) <= maxBytes) {
            return new ProducerRecord<>(topic, null, DEAD_LETTERED_NOW, key, value, whole);
        }
        ours.add(TRUNCATED, utf8("true"));
        Headers kept = join(original, ours);
        if (maxBytes == 0 || size(key, new byte[0], kept) > maxBytes) {
            ours.add(HEADERS_DROPPED, utf8(String.valueOf(original.length)));
            kept = ours;
            if (maxBytes == 0 || size(key, new byte[0], kept) > maxBytes) {
                ours.add(KEY_DROPPED, utf8("true"));
                key = null;
            }
        }
        byte[] prefix = new byte[0];
        if (value != null && maxBytes > 0) {
            int room = maxBytes - size(key, new byte[0], kept) - 5; // the value's length prefix grows by up to 4 bytes
            int n = Math.max(0, Math.min(value.length, room));
            while (n > 0 && size(key, ByteBuffer.wrap(value, 0, n), kept) > maxBytes) {
                n -= Math.max(1, n / 1000);
            }
            prefix = Arrays.copyOf(value, n);
        }
        return new ProducerRecord<>(topic, null, DEAD_LETTERED_NOW, key, value == null ? null : prefix, kept);
    }

    /** Kafka's upper bound of the batch one record makes (uncompressed): what max.request.size and max.message.bytes are checked against. */
    public static int size(byte[] key, byte[] value, Headers headers) {
        return size(key, value == null ? null : ByteBuffer.wrap(value), headers);
    }

    private static int size(byte[] key, ByteBuffer value, Headers headers) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                key == null ? null : ByteBuffer.wrap(key), value, headers.toArray());
    }

    private static Headers ours(Source source, String reason, String detail) {
        Headers h = new RecordHeaders();
        h.add(REASON, utf8(reason));
        if (detail != null) {
            h.add(DETAIL, utf8(detail));
        }
        h.add(SOURCE_TOPIC, utf8(source.topic()));
        h.add(SOURCE_PARTITION, utf8(String.valueOf(source.partition())));
        h.add(SOURCE_OFFSET, utf8(String.valueOf(source.offset())));
        if (source.timestamp() != null) {
            h.add(SOURCE_TIMESTAMP, utf8(String.valueOf(source.timestamp())));
        }
        h.add(ORIGINAL_SIZE, utf8(String.valueOf(length(source.value()))));
        return h;
    }

    private static Headers join(Header[] first, Headers then) {
        return new RecordHeaders(Stream.concat(Arrays.stream(first), Arrays.stream(then.toArray())).toArray(Header[]::new));
    }

    private static int length(byte[] b) {
        return b == null ? 0 : b.length;
    }

    private static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close();
        }
    }
}
