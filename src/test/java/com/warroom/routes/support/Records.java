package com.warroom.routes.support;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A byte-level test producer (acks=all) for feeding topics. */
public final class Records implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;

    public Records(String brokers) {
        producer = producer(brokers);
    }

    /**
     * The producer every test feeds topics with: acks=all, 8 MiB requests, and one request in flight
     * per partition. With several in flight, a batch sent to a partition that was created a moment ago
     * can be refused as not yet led while the next batch lands; the retried first batch is then out of
     * sequence for the idempotent producer, which retries it until its delivery time-out.
     */
    public static KafkaProducer<byte[], byte[]> producer(String brokers) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8_388_608, ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new ByteArraySerializer(), new ByteArraySerializer());
    }

    public void send(String topic, String key, String value) {
        send(topic, TestKafka.utf8(key), TestKafka.utf8(value), List.of());
    }

    /** Sends and waits for the acknowledgement, whose offset it returns. */
    public RecordMetadata send(String topic, byte[] key, byte[] value, List<Header> headers) {
        try {
            return producer.send(new ProducerRecord<>(topic, null, key, value, headers)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends without waiting for each acknowledgement; {@link #flush()} waits for all. */
    public void sendAsync(String topic, String key, String value) {
        producer.send(new ProducerRecord<>(topic, TestKafka.utf8(key), TestKafka.utf8(value)));
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
