package com.warroom.routes.ops;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import com.warroom.routes.kafka.KafkaClientSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Re-publishes replayed records to the incident topic, each to the partition number it was read
 * from, with its key, value and headers as they were plus where it came from
 * ({@value #FROM_TOPIC}, {@value #FROM_PARTITION}, {@value #FROM_OFFSET}, {@value #FROM_TIMESTAMP}:
 * UTF-8 decimal text; earlier headers of these names are replaced). The record's timestamp is new
 * (the time of the replay); the event's {@code event_time} is in its value, unchanged.
 * <p>
 * So the owner of that partition, which also gets the live events of those incidents, handles them
 * one after another under its own ledger and budget: no second process decides anything. The service
 * reads no record header ({@code capture-record} drops them all), so these headers only tell a reader
 * of the topic what a record is. Idempotent producer, {@code acks=all}: a retried send is written
 * once and a partition's copies stay in order.
 */
final class ReplayPublisher implements AutoCloseable {

    static final String FROM_TOPIC = "replayed-from-topic";
    static final String FROM_PARTITION = "replayed-from-partition";
    static final String FROM_OFFSET = "replayed-from-offset";
    static final String FROM_TIMESTAMP = "replayed-from-timestamp";
    private static final Set<String> OURS = Set.of(FROM_TOPIC, FROM_PARTITION, FROM_OFFSET, FROM_TIMESTAMP);

    /** The first send Kafka refused for good. */
    record Failure(int partition, long offset, Exception cause) {
    }

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final ReplayTracker tracker;
    private final AtomicReference<Failure> failure = new AtomicReference<>();

    ReplayPublisher(KafkaClientSettings kafka, String topic, int maxRequestBytes, int deliveryTimeoutMs, ReplayTracker tracker) {
        this.topic = topic;
        this.tracker = tracker;
        Properties p = kafka.common("war-room-routes-replay");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5); // at most 5 keeps the order with idempotence
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
        // Kafka 4's default is 5 ms; 0 as before keeps delivery.timeout.ms >= linger.ms + request.timeout.ms at its 30 s floor
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestBytes);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L * 1024 * 1024, 2L * maxRequestBytes));
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends the copy; Kafka's answer comes later (the tracker counts it). Stops the replay once a send failed. */
    void publish(ConsumerRecord<byte[], byte[]> r) {
        Failure failed = failure.get();
        if (failed != null) {
            throw new Stopped(failed);
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header h : r.headers()) {
            if (!OURS.contains(h.key())) {
                headers.add(h.key(), h.value());
            }
        }
        headers.add(FROM_TOPIC, utf8(r.topic()));
        headers.add(FROM_PARTITION, utf8(Integer.toString(r.partition())));
        headers.add(FROM_OFFSET, utf8(Long.toString(r.offset())));
        headers.add(FROM_TIMESTAMP, utf8(Long.toString(r.timestamp())));
        int partition = r.partition();
        long offset = r.offset();
        producer.send(new ProducerRecord<>(topic, partition, null, r.key(), r.value(), headers), (metadata, e) -> {
            if (e == null) {
                tracker.republished(partition, offset);
            } else {
                failure.compareAndSet(null, new Failure(partition, offset, e));
            }
        });
    }

    /** Waits for Kafka's answer to every send; the first failure, if any. */
    Failure flush() {
        producer.flush();
        return failure.get();
    }

    @Override
    public void close() {
        producer.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Thrown into the read loop once a send failed: nothing more is sent. */
    static final class Stopped extends RuntimeException {
        final transient Failure failure;

        Stopped(Failure failure) {
            super(null, null, false, false);
            this.failure = failure;
        }
    }
}
