package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest value of every key of a compacted topic, held in memory: read back to the end offsets
 * seen at {@link #load()} (which blocks until then), and afterwards followed in a background thread,
 * so writes by other replicas show up too. Tombstones remove keys. Values are kept as raw bytes.
 * Kafka Streams' KTable would do this too, but brings a state store and a second consumer group
 * protocol for what is one assigned consumer here.
 */
public final class CompactedTopicView implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CompactedTopicView.class);

    private final KafkaClientSettings settings;
    private final String topic;
    private final Map<String, byte[]> values = new ConcurrentHashMap<>(1 << 16);
    private volatile KafkaConsumer<String, byte[]> tail;
    private volatile Thread tailThread;
    private volatile boolean closing;
    private volatile long loadMillis;

    public CompactedTopicView(KafkaClientSettings settings, String topic) {
        this.settings = settings;
        this.topic = topic;
    }

    /** Reads the topic to the end offsets seen now, then keeps following it. */
    public synchronized void load() {
        if (tail != null) {
            return;
        }
        long start = System.nanoTime();
        Properties p = settings.common("war-room-routes-view-" + topic);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a broker default would not be compacted
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
            long records = 0;
            while (!caughtUp(consumer, end)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r);
                    records++;
                }
            }
            loadMillis = (System.nanoTime() - start) / 1_000_000;
            LOG.info("{}: {} keys read back from {} records in {} ms", topic, values.size(), records, loadMillis);
        } catch (RuntimeException e) {
            consumer.close(Duration.ofSeconds(1));
            throw e;
        }
        tail = consumer;
        tailThread = new Thread(this::follow, "follow-" + topic);
        tailThread.setDaemon(true);
        tailThread.start();
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        return end.isEmpty();
    }

    private void follow() {
        try {
            while (!closing) {
                for (ConsumerRecord<String, byte[]> r : tail.poll(Duration.ofSeconds(1))) {
                    apply(r);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (!closing) {
                LOG.error("{}: following the topic stopped: {}", topic, e.getClass().getName());
            }
        } finally {
            tail.close(Duration.ofSeconds(2));
        }
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            values.remove(r.key());
        } else {
            values.put(r.key(), r.value());
        }
    }

    public byte[] get(String key) {
        return values.get(key);
    }

    /** Records what this process itself just wrote (and Kafka acknowledged), ahead of the follower. */
    public void put(String key, byte[] value) {
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
    }

    public Set<String> keys() {
        return Set.copyOf(values.keySet());
    }

    public int size() {
        return values.size();
    }

    public long loadMillis() {
        return loadMillis;
    }

    public String topic() {
        return topic;
    }

    @Override
    public void close() {
        closing = true;
        KafkaConsumer<String, byte[]> c = tail;
        if (c != null) {
            c.wakeup();
        }
        Thread t = tailThread;
        if (t != null) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
