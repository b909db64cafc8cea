package com.warroom.routes.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.warroom.routes.kafka.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a replay starts and ends on each partition of the incident topic, found with the Kafka
 * consumer's {@code offsetsForTimes}, and the records in between, read by assignment (no consumer
 * group: nothing is committed, no group is left behind). Every failure to plan comes back as one line
 * an operator can act on.
 */
final class ReplayOffsets {

    /** Per partition: the first offset to handle and the first one not to handle. */
    record Plan(Map<Integer, Long> start, Map<Integer, Long> end) {
        long total() {
            return start.keySet().stream().mapToLong(p -> Math.max(0, end.get(p) - start.get(p))).sum();
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** No position moved for this long while reading the range: Kafka is not answering. */
    private static final Duration STALL = Duration.ofSeconds(60);

    private final KafkaClientSettings kafka;
    private final String topic;
    private final String isolationLevel;

    /** @param isolationLevel the routes' ({@code kafka.isolation-level}): the end and the last record are those they see */
    ReplayOffsets(KafkaClientSettings kafka, String topic, String isolationLevel) {
        this.kafka = kafka;
        this.topic = topic;
        this.isolationLevel = isolationLevel;
    }

    /** Start: the first record at or after {@code from}; end: the first at or after {@code to}, else the end offset now. */
    Plan plan(Instant from, Instant to) {
        try (Admin admin = admin()) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            List<TopicPartition> partitions = d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
                Map<Integer, Long> start = at(consumer, partitions, from, ends);
                Map<Integer, Long> end = to == null ? byPartition(ends) : at(consumer, partitions, to, ends);
                return new Plan(start, pastLastRecord(consumer, partitions, start, end));
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable();
            }
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new CommandLine.UsageError("topic " + topic + " does not exist on Kafka at " + kafka.brokers());
            }
            throw new CommandLine.UsageError("cannot read topic " + topic + " from Kafka at " + kafka.brokers() + " (" + e.getCause().getClass().getSimpleName() + ")");
        } catch (TimeoutException | org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandLine.UsageError("interrupted");
        }
    }

    /** What the replay does with each record of the range, in offset order per partition. */
    interface RecordHandler {
        void handle(ConsumerRecord<byte[], byte[]> record) throws Exception;
    }

    /**
     * Hands every record of the plan to {@code handler}, in offset order per partition, and calls
     * {@code reached} once a partition's position has passed its end (transaction markers and
     * aborted records are never handed). Read by assignment: no consumer group, nothing committed.
     * {@code tick} runs after every poll (the progress lines). Gives up when no position moves for
     * {@link #STALL}: Kafka stopped answering.
     */
    void read(Plan plan, RecordHandler handler, java.util.function.IntConsumer reached, Runnable tick) throws Exception {
        Map<TopicPartition, Long> remaining = new java.util.HashMap<>();
        plan.start().forEach((p, s) -> {
            if (plan.end().get(p) > s) {
                remaining.put(new TopicPartition(topic, p), plan.end().get(p));
            } else {
                reached.accept(p);
            }
        });
        if (remaining.isEmpty()) {
            return;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            consumer.assign(remaining.keySet());
            remaining.keySet().forEach(tp -> consumer.seek(tp, plan.start().get(tp.partition())));
            Map<TopicPartition, Long> positions = new java.util.HashMap<>();
            long lastMove = System.nanoTime();
            while (!remaining.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Long end = remaining.get(new TopicPartition(r.topic(), r.partition()));
                    if (end != null && r.offset() < end) {
                        handler.handle(r);
                    }
                }
                for (TopicPartition tp : List.copyOf(remaining.keySet())) {
                    long position = consumer.position(tp, TIMEOUT);
                    if (!Long.valueOf(position).equals(positions.put(tp, position))) {
                        lastMove = System.nanoTime();
                    }
                    if (position >= remaining.get(tp)) {
                        remaining.remove(tp);
                        consumer.pause(List.of(tp));
                        reached.accept(tp.partition());
                    }
                }
                tick.run();
                if (System.nanoTime() - lastMove > STALL.toNanos()) {
                    throw new org.apache.kafka.common.errors.TimeoutException("no record of " + topic + " read for " + STALL.toSeconds() + " s");
                }
            }
        }
    }

    private static Map<Integer, Long> at(KafkaConsumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions, Instant time,
                                         Map<TopicPartition, Long> ends) {
        Map<TopicPartition, Long> query = new TreeMap<>((a, b) -> Integer.compare(a.partition(), b.partition()));
        partitions.forEach(tp -> query.put(tp, time.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, TIMEOUT);
        Map<Integer, Long> offsets = new TreeMap<>();
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = found.get(tp);
            // no record at or after the time: the partition's end
            offsets.put(tp.partition(), o == null ? ends.get(tp) : Math.min(o.offset(), ends.get(tp)));
        }
        return offsets;
    }

    /**
     * A partition's offsets count transaction markers too (a transactional producer ends each
     * transaction with one), and no consumer ever receives a marker (nor, reading committed records
     * only, an aborted record): a replay waiting for such an offset would wait for ever. Each end
     * becomes one past the last record the routes will see before it, or the start when there is none,
     * found by reading back from the end in growing steps.
     */
    private static Map<Integer, Long> pastLastRecord(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
                                                     Map<Integer, Long> start, Map<Integer, Long> end) {
        Map<Integer, Long> adjusted = new TreeMap<>(end);
        for (TopicPartition tp : partitions) {
            long first = start.get(tp.partition());
            long upTo = end.get(tp.partition());
            Long last = null;
            for (long step = 1; last == null && upTo > first; step *= 16) {
                long from = Math.max(first, upTo - step);
                last = lastRecord(consumer, tp, from, upTo);
                upTo = from;
            }
            adjusted.put(tp.partition(), last == null ? first : last + 1);
        }
        return adjusted;
    }

    /** The offset of the last record in [from, to) of the partition, or null when there is none. */
    private static Long lastRecord(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long from, long to) {
        consumer.assign(List.of(tp));
        consumer.seek(tp, from);
        Long last = null;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (consumer.position(tp, TIMEOUT) < to) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException("reading " + tp);
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.offset() < to) {
                    last = r.offset();
                }
            }
        }
        return last;
    }

    private static Map<Integer, Long> byPartition(Map<TopicPartition, Long> offsets) {
        Map<Integer, Long> m = new TreeMap<>();
        offsets.forEach((tp, o) -> m.put(tp.partition(), o));
        return m;
    }

    private CommandLine.UsageError unreachable() {
        return new CommandLine.UsageError("cannot reach Kafka at " + kafka.brokers() + " (no answer within " + TIMEOUT.toSeconds() + " s)");
    }

    private Admin admin() {
        Properties p = kafka.common("war-room-routes-replay");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        return Admin.create(p);
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = kafka.common("war-room-routes-replay");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
