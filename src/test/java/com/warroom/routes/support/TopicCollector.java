package com.warroom.routes.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;

/**
 * Collects every record of some topics from their beginning, in a background consumer, so a test
 * can wait for a condition on what actually reached Kafka.
 */
public final class TopicCollector implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
    /** topic/partition/offset seen: a rebalance (topics appearing one by one) re-reads from the start */
    private final java.util.Set<String> seen = new java.util.HashSet<>();
    private final Thread thread;
    private volatile boolean closed;

    public TopicCollector(String brokers, Collection<String> topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "collector-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 500);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // the app creates its topics with their settings
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.copyOf(topics));
        thread = new Thread(this::run, "topic-collector");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (!closed) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (seen.add(r.topic() + "/" + r.partition() + "@" + r.offset())) {
                        records.add(r);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    public List<ConsumerRecord<byte[], byte[]>> records() {
        return List.copyOf(records);
    }

    public List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (r.topic().equals(topic)) {
                out.add(r);
            }
        }
        return out;
    }

    /** JSON values of a topic's records (tombstones left out). */
    public List<JsonNode> json(String topic) {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records(topic)) {
            if (r.value() != null) {
                out.add(TestKafka.json(r.value()));
            }
        }
        return out;
    }

    public List<JsonNode> json(String topic, Predicate<JsonNode> filter) {
        return json(topic).stream().filter(filter).toList();
    }

    /** Waits until a JSON record of the topic matches, and returns it. */
    public JsonNode await(String topic, Predicate<JsonNode> filter, Duration timeout) {
        return Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> json(topic, filter).stream().findFirst().orElse(null), java.util.Objects::nonNull);
    }

    /** Waits until at least {@code count} JSON records of the topic match. */
    public List<JsonNode> awaitCount(String topic, Predicate<JsonNode> filter, int count, Duration timeout) {
        return Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> json(topic, filter), l -> l.size() >= count);
    }

    @Override
    public void close() {
        closed = true;
        PollingThreads.stop(consumer, thread);
    }
}
