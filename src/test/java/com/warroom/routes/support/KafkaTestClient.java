package com.warroom.routes.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Byte-level Kafka access for tests: a producer (acks=all, 8 MiB requests), whole-topic reads,
 * waiting for records, and Admin look-ups (committed offsets, end offsets, topics).
 * Clients are created on first use and closed by {@link #close()}. Not thread-safe.
 */
public final class KafkaTestClient implements AutoCloseable {

    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    /** Upper bound for {@link #readAll(String)} (records already in the topic come much faster). */
    private static final Duration READ_ALL_TIMEOUT = Duration.ofSeconds(30);
    private static final Comparator<ConsumerRecord<byte[], byte[]>> BY_PARTITION_OFFSET =
            Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset);

    private final String bootstrapServers;
    private KafkaProducer<byte[], byte[]> producer;
    private Admin admin;

    public KafkaTestClient(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** A client of the JVM's shared test broker ({@link KafkaBroker#shared()}). */
    public static KafkaTestClient forSharedBroker() {
        return new KafkaTestClient(KafkaBroker.shared().bootstrapServers());
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    // ---- producing ----

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

    /** Sends one record and waits for its acknowledgement (acks=all). Null key or value allowed (a null value is a tombstone). */
    public RecordMetadata send(String topic, byte[] key, byte[] value, List<Header> headers) {
        return send(new ProducerRecord<>(topic, null, key, value, headers));
    }

    public RecordMetadata send(ProducerRecord<byte[], byte[]> record) {
        try {
            return producer().send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("send to " + record.topic() + " failed", e.getCause());
        }
    }

    /** Sends a UTF-8 key (may be null) and a UTF-8 value, no headers, and waits for the acknowledgement. */
    public RecordMetadata send(String topic, String key, String value) {
        return send(topic, key, value, List.of());
    }

    public RecordMetadata send(String topic, String key, String value, List<Header> headers) {
        return send(topic, TestKafka.utf8(key), TestKafka.utf8(value), headers);
    }

    /** Sends without waiting for each acknowledgement; {@link #flush()} waits for all. */
    public void sendAsync(String topic, String key, String value) {
        producer().send(new ProducerRecord<>(topic, TestKafka.utf8(key), TestKafka.utf8(value)));
    }

    public void flush() {
        producer().flush();
    }

    /** Sends a Jackson tree as JSON. */
    public RecordMetadata send(String topic, String key, JsonNode json) {
        try {
            return send(topic, TestKafka.utf8(key), TestKafka.MAPPER.writeValueAsBytes(json), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- consuming (no consumer group: nothing is committed) ----

    /**
     * Every record currently in the topic (all partitions, from the beginning up to the end offsets taken
     * at the start of the call), ordered by partition, then offset. Empty if the topic does not exist.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = newConsumer()) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            if (partitions.isEmpty()) {
                return List.of();
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + READ_ALL_TIMEOUT.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("readAll(" + topic + "): end offsets " + end + " not reached in "
                            + READ_ALL_TIMEOUT + ", got " + out.size() + " records");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            out.sort(BY_PARTITION_OFFSET);
            return out;
        }
    }

    /**
     * Waits until the topic holds at least {@code atLeast} records (counted from the beginning; the topic may
     * not exist yet) and returns all read so far, ordered by partition, then offset.
     *
     * @throws ConditionTimeoutException if fewer arrived within the timeout (the message says how many)
     */
    public List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topic, int atLeast, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = newConsumer()) {
            try {
                Awaitility.await("at least " + atLeast + " records in " + topic)
                        .atMost(timeout)
                        .pollInSameThread() // the consumer is single-threaded
                        .pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(10))
                        .until(() -> {
                            if (consumer.assignment().isEmpty()) {
                                List<TopicPartition> partitions = partitions(consumer, topic);
                                if (partitions.isEmpty()) {
                                    return false;
                                }
                                consumer.assign(partitions);
                                consumer.seekToBeginning(partitions);
                            }
                            consumer.poll(Duration.ofMillis(100)).forEach(out::add);
                            return out.size() >= atLeast;
                        });
            } catch (ConditionTimeoutException e) {
                throw new ConditionTimeoutException("expected at least " + atLeast + " records in " + topic + " within "
                        + timeout + ", got " + out.size());
            }
        }
        out.sort(BY_PARTITION_OFFSET);
        return out;
    }

    // ---- admin ----

    /** Offsets committed by a consumer group for a topic's partitions (partitions without a commit are absent). */
    public Map<TopicPartition, Long> committedOffsets(String groupId, String topic) {
        Map<TopicPartition, OffsetAndMetadata> all = get(admin().listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata());
        Map<TopicPartition, Long> out = new TreeMap<>(Comparator.comparingInt(TopicPartition::partition));
        all.forEach((tp, om) -> {
            if (om != null && tp.topic().equals(topic)) {
                out.put(tp, om.offset());
            }
        });
        return out;
    }

    /** End offset (log end, i.e. next offset to be written) of each partition of the topic. */
    public Map<TopicPartition, Long> endOffsets(String topic) {
        List<TopicPartition> partitions = get(admin().describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, OffsetSpec> request = partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
        Map<TopicPartition, Long> out = new TreeMap<>(Comparator.comparingInt(TopicPartition::partition));
        get(admin().listOffsets(request).all()).forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    /** Sum of the end offsets of the topic's partitions (= records ever written, for a non-compacted, non-transactional topic). */
    public long endOffset(String topic) {
        return endOffsets(topic).values().stream().mapToLong(Long::longValue).sum();
    }

    /** Records not yet committed by the group: sum over partitions of end offset minus committed offset (0 if none committed). */
    public long lag(String groupId, String topic) {
        Map<TopicPartition, Long> committed = committedOffsets(groupId, topic);
        long lag = 0;
        for (Map.Entry<TopicPartition, Long> e : endOffsets(topic).entrySet()) {
            lag += e.getValue() - committed.getOrDefault(e.getKey(), 0L);
        }
        return lag;
    }

    /** Names of the non-internal topics. */
    public Set<String> listTopics() {
        return get(admin().listTopics().names());
    }

    /** The Admin client (created on first use, closed with this client). */
    public Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
        }
        return admin;
    }

    // ---- JSON ----

    /** {@link #readAll(String)} as JSON, tombstones left out. */
    public List<JsonNode> readAllJson(String topic) {
        return TestKafka.json(readAll(topic));
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }

    // ---- internals ----

    private KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = producer(bootstrapServers);
        }
        return producer;
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // reading must not create the topic
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 8 * 1024 * 1024);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic);
        if (infos == null) {
            return List.of();
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static <T> T get(KafkaFuture<T> future) {
        try {
            return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("admin call timed out after " + ADMIN_TIMEOUT, e);
        }
    }
}
