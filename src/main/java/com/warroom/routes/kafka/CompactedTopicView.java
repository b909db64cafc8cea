package com.warroom.routes.kafka;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import com.warroom.routes.Backoff;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest value of every key of a compacted topic, held in memory: read back to the end offsets
 * seen at {@link #load()} (which blocks until then), and afterwards followed in a background thread,
 * so writes by other replicas show up too. Tombstones remove keys. Values are kept as bytes, as read
 * or in the form the owner gives ({@code held}: the ledger keeps only the fields it reads back).
 * Kafka Streams' KTable would do this too, but brings a state store and a second consumer group
 * protocol for what is one assigned consumer here.
 * <p>
 * When the follower's client fails, a new one goes on from the offsets already applied, after a
 * backoff that doubles while the failures go on; meanwhile it is reported to {@link BackgroundThreads}
 * (for the ledger: no Flashduty call until it is back, see {@link Restart#failClosed}). A topic that
 * does not exist yet is looked for again until it does.
 * <p>
 * With a retention ({@code keepMillis} &gt; 0) a key is held only while its latest record is younger
 * than that (by the record's timestamp, one in the future counted as now): older records are never
 * stored, and {@link #prune} drops what aged past it since. Each value is held behind the 8-byte
 * timestamp it is judged by.
 * <p>
 * A key of 24 lower-case hex digits (a Flashduty incident_id, the ledger's keys) is held as its 12
 * bytes ({@link HexKey}, 24 bytes of heap instead of a String's 64): in a 1,000,000-entry ledger the
 * keys were a quarter of the heap (docs/performance.md).
 */
public final class CompactedTopicView implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CompactedTopicView.class);
    /** an idle follower asks the brokers for the end offsets this often, to show progress */
    private static final long PROBE_NANOS = 1_000_000_000L;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    private static final long MISSING_TOPIC_LOOK_MILLIS = 5_000;

    /** How the follower comes back after its client failed, and whom it reports to. */
    public record Restart(BackgroundThreads threads, boolean failClosed, Duration initialBackoff, Duration maxBackoff) {

        Backoff backoff() {
            return new Backoff(initialBackoff, maxBackoff);
        }

        /** Reported to threads of its own, which guard nothing (nobody asks them): a failure is only logged. */
        public static Restart logOnly() {
            return new Restart(new BackgroundThreads(BackgroundThreads.Gate.NONE, new SimpleMeterRegistry(), 30_000, System::nanoTime), false,
                    Duration.ofSeconds(1), Duration.ofSeconds(30));
        }
    }

    private final KafkaClientSettings settings;
    private final String topic;
    private final Restart restart;
    /** the next offset to apply, per partition: where a new follower goes on */
    private final Map<TopicPartition, Long> next = new ConcurrentHashMap<>();
    /** keys as {@link #heldKey} gives them */
    private final Map<Object, byte[]> values = new ConcurrentHashMap<>(1 << 16);
    /** the follower, after {@link #load} */
    private final RestartingConsumer<String, byte[]> tail;
    private boolean loaded;
    /** how long after its record's timestamp a key is held; 0: for ever */
    private final long keepMillis;
    private final Clock clock;
    /** the form a value is held in (the ledger's: only the fields read back) */
    private final UnaryOperator<byte[]> held;

    public CompactedTopicView(KafkaClientSettings settings, String topic, Restart restart) {
        this(settings, topic, restart, 0, Clock.systemUTC(), UnaryOperator.identity());
    }

    /**
     * @param keepMillis how long after its record's timestamp a key is held (0: for ever)
     * @param held the form a value is held in, and {@link #get} returns
     */
    public CompactedTopicView(KafkaClientSettings settings, String topic, Restart restart, long keepMillis, Clock clock,
                              UnaryOperator<byte[]> held) {
        this.held = held;
        this.settings = settings;
        this.topic = topic;
        this.restart = restart;
        this.keepMillis = Math.max(0, keepMillis);
        this.clock = clock;
        this.tail = new RestartingConsumer<>("follow-" + topic, restart, this::newConsumer, this::follow);
    }

    /** Reads the topic to the end offsets seen now, then keeps following it. */
    public synchronized void load() {
        if (loaded) {
            return;
        }
        long start = System.nanoTime();
        KafkaConsumer<String, byte[]> consumer = newConsumer();
        try {
            assignFromStart(consumer);
            long records = readToEnd(consumer);
            LOG.info("{}: {} keys read back from {} records in {} ms{}", topic, values.size(), records, (System.nanoTime() - start) / 1_000_000,
                    keepMillis == 0 ? "" : " (records older than " + Duration.ofMillis(keepMillis) + " not kept)");
        } catch (RuntimeException e) {
            consumer.close(Duration.ofSeconds(1));
            throw e;
        }
        loaded = true;
        tail.start(consumer);
    }

    /** Assigns every partition of the topic (none while it does not exist), read from the start. */
    private List<TopicPartition> assignFromStart(KafkaConsumer<String, byte[]> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return partitions;
    }

    /** Applies the records up to the end offsets seen now, and notes where a new follower goes on; the number applied. */
    private long readToEnd(KafkaConsumer<String, byte[]> consumer) {
        Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30)));
        long records = 0;
        while (!caughtUp(consumer, end)) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                apply(r);
                records++;
            }
        }
        consumer.assignment().forEach(tp -> next.put(tp, consumer.position(tp)));
        return records;
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        return end.isEmpty();
    }

    private KafkaConsumer<String, byte[]> newConsumer() {
        Properties p = settings.common("war-room-routes-view-" + topic);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a broker default would not be compacted
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Follows the topic (on {@link RestartingConsumer}'s thread, which replaces a failed client after
     * a backoff, going on from the offsets applied). The follower is back only once it has caught up:
     * with the end offsets read when the new client was assigned, so no call starts on a view that
     * misses what was written meanwhile. While it runs, every poll that brought records and every
     * successful end-offsets probe of an idle poll is progress ({@link BackgroundThreads#progress}):
     * a client that reaches no broker polls empty without throwing, and only the missing progress shows it.
     */
    private void follow(KafkaConsumer<String, byte[]> consumer) {
        boolean restarted = consumer.assignment().isEmpty(); // not the one load() read with (or it found no topic)
        if (restarted) { // a new follower where the last one left off (no partitions yet: looked for below)
            consumer.assign(next.keySet());
            next.forEach(consumer::seek);
        }
        // no partitions (the topic is not created yet): looked for again until it has, then read from the start; each
        // answer is progress (the client is not stalled), and the looks come well within the stall bound
        while (consumer.assignment().isEmpty() && !tail.closing()) {
            boolean found = !assignFromStart(consumer).isEmpty();
            tail.progress();
            if (!found) {
                tail.pause(Math.min(restart.maxBackoff().toMillis(), MISSING_TOPIC_LOOK_MILLIS));
            }
        }
        if (restarted) { // what was written meanwhile is applied before the thread counts as back
            readToEnd(consumer);
            tail.running();
        }
        long probedAt = System.nanoTime();
        while (!tail.closing()) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofSeconds(1));
            for (ConsumerRecord<String, byte[]> r : records) {
                apply(r);
                next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
            }
            long now = System.nanoTime();
            if (!records.isEmpty()) {
                tail.progress();
                probedAt = now;
            } else if (now - probedAt >= PROBE_NANOS) {
                probedAt = now;
                if (reachesBrokers(consumer)) {
                    tail.progress();
                }
            }
        }
    }

    /** An idle poll says nothing: asking for the end offsets does (a time-out is no progress, not a failure). */
    private static boolean reachesBrokers(KafkaConsumer<String, byte[]> consumer) {
        try {
            consumer.endOffsets(consumer.assignment(), PROBE_TIMEOUT);
            return true;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            return false;
        }
    }

    void apply(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        long now = clock.millis();
        // no timestamp, or one ahead of this clock: judged from now on
        long at = r.timestamp() < 0 ? now : Math.min(r.timestamp(), now);
        if (r.value() == null || expired(at, now)) {
            values.remove(heldKey(r.key())); // a tombstone, or a latest record too old: so is whatever came before it
        } else {
            values.put(heldKey(r.key()), stamped(at, held.apply(r.value())));
        }
    }

    private boolean expired(long at, long now) {
        return keepMillis > 0 && at < now && now - at > keepMillis;
    }

    private static byte[] stamped(long at, byte[] value) {
        return ByteBuffer.allocate(8 + value.length).putLong(at).put(value).array();
    }

    public byte[] get(String key) {
        byte[] v = values.get(heldKey(key));
        return v == null ? null : Arrays.copyOfRange(v, 8, v.length);
    }

    /** Records what this process itself just wrote (and Kafka acknowledged), ahead of the follower. */
    public void put(String key, byte[] value) {
        if (value == null) {
            values.remove(heldKey(key));
        } else {
            values.put(heldKey(key), stamped(clock.millis(), held.apply(value)));
        }
    }

    /**
     * Drops the keys whose record aged past the retention since it was read; the number dropped.
     * One pass over the map (what it holds is bounded by the retention); a key written again
     * meanwhile is not dropped (the map removes an entry only while it still holds the value judged).
     */
    public int prune() {
        if (keepMillis == 0) {
            return 0;
        }
        long now = clock.millis();
        int before = values.size();
        values.entrySet().removeIf(e -> expired(ByteBuffer.wrap(e.getValue()).getLong(), now));
        int dropped = Math.max(0, before - values.size());
        if (dropped > 0) {
            LOG.info("{}: {} keys older than {} dropped from memory, {} held", topic, dropped, Duration.ofMillis(keepMillis), values.size());
        }
        return dropped;
    }

    public Set<String> keys() {
        return values.keySet().stream().map(Object::toString).collect(Collectors.toUnmodifiableSet());
    }

    /** A key of 24 lower-case hex digits as its 96 bits; toString gives the key back. */
    record HexKey(long high, int low) {

        @Override
        public String toString() {
            return String.format("%016x%08x", high, low);
        }
    }

    /** The form a key is held in: a {@link HexKey} for 24 lower-case hex digits, else the String itself. */
    static Object heldKey(String key) {
        if (key.length() != 24 || !key.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            return key;
        }
        return new HexKey(Long.parseUnsignedLong(key, 0, 16, 16), Integer.parseUnsignedInt(key, 16, 24, 16));
    }

    public int size() {
        return values.size();
    }

    @Override
    public void close() {
        tail.close();
    }
}
