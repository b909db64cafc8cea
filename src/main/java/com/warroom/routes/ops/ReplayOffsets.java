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
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a replay starts and ends on each partition of the incident topic, found with the Kafka
 * consumer's {@code offsetsForTimes}, and committed for the replay's own consumer group so Camel's
 * consumer starts exactly there. Every failure comes back as one line an operator can act on.
 */
final class ReplayOffsets {

    /** Per partition: the first offset to handle and the first one not to handle. */
    record Plan(Map<Integer, Long> start, Map<Integer, Long> end) {
        long total() {
            return start.keySet().stream().mapToLong(p -> Math.max(0, end.get(p) - start.get(p))).sum();
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

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
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(null)) {
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

    /** Refuses a group that has members: the live routes, or another replay still running. */
    void requireIdle(String group) {
        try (Admin admin = admin()) {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group)).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(group);
            if (!g.members().isEmpty() || g.state() == ConsumerGroupState.PREPARING_REBALANCE
                    || g.state() == ConsumerGroupState.COMPLETING_REBALANCE) {
                throw new CommandLine.UsageError("consumer group " + group + " has active members; a replay needs a group of its own (--group)");
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw unreachable();
            }
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw new CommandLine.UsageError("cannot describe consumer group " + group + " (" + e.getCause().getClass().getSimpleName() + ")");
            }
        } catch (TimeoutException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandLine.UsageError("interrupted");
        }
    }

    /** Commits the start offsets for the replay group, so its Camel consumer begins there. */
    void commitStart(String group, Plan plan) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new TreeMap<>((a, b) -> Integer.compare(a.partition(), b.partition()));
        plan.start().forEach((p, o) -> offsets.put(new TopicPartition(topic, p), new OffsetAndMetadata(o, "war-room-routes replay start")));
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(group)) {
            consumer.commitSync(offsets, TIMEOUT);
        }
    }

    /** Removes a throwaway group (the dry run's), so the dry run leaves nothing behind. */
    void deleteGroup(String group) {
        try (Admin admin = admin()) {
            admin.deleteConsumerGroups(List.of(group)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // best effort: an empty group with no members expires by itself (offsets.retention.minutes)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    private KafkaConsumer<byte[], byte[]> consumer(String group) {
        Properties p = kafka.common("war-room-routes-replay");
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
