package com.warroom.routes.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import com.warroom.routes.support.PollingThreads;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Follows one result topic from its beginning and keeps, per record, only what the benchmarks
 * measure: key, status, the record's timestamp and when this process received it. Lighter than
 * {@link com.warroom.routes.support.TopicCollector} (no JSON tree, no copy-on-write list), because
 * it shares two cores with the code it measures and has to take 100,000 records.
 */
final class ResultWatch implements AutoCloseable {

    /** {@code reason} is read for {@code failed} results only (why it failed: the code, e.g. deadline_exceeded), else null. */
    record Result(String key, String status, String reason, long timestampMillis, long receivedNanos) {
    }

    private static final byte[] STATUS = "\"status\":\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REASON = "\"reason\":\"".getBytes(StandardCharsets.UTF_8);

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Result> results = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    ResultWatch(String brokers, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        // the topic may not exist yet (the app creates it on first write): auto-create it with the broker's defaults
        consumer.assign(List.of(new TopicPartition(topic, 0)));
        consumer.seekToBeginning(consumer.assignment());
        thread = new Thread(this::run, "result-watch-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (!closed) {
                var batch = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                if (batch.isEmpty()) {
                    continue;
                }
                List<Result> got = new ArrayList<>(batch.count());
                for (ConsumerRecord<String, byte[]> r : batch) {
                    String status = status(r.value());
                    String reason = "failed".equals(status) ? text(r.value(), REASON) : null;
                    got.add(new Result(r.key(), status, reason, r.timestamp(), now));
                }
                synchronized (this) {
                    results.addAll(got);
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** The value of the first "status":"..." in the record, without building a JSON tree. */
    static String status(byte[] value) {
        return text(value, STATUS);
    }

    /** The text after the first {@code field} (e.g. {@code "reason":"}) up to the next quote; null when absent (or JSON null). */
    static String text(byte[] value, byte[] field) {
        if (value == null) {
            return null;
        }
        outer:
        for (int i = 0; i <= value.length - field.length; i++) {
            for (int j = 0; j < field.length; j++) {
                if (value[i + j] != field[j]) {
                    continue outer;
                }
            }
            int from = i + field.length;
            int to = from;
            while (to < value.length && value[to] != '"') {
                to++;
            }
            return new String(value, from, to - from, StandardCharsets.UTF_8);
        }
        return null;
    }

    synchronized int count() {
        return results.size();
    }

    synchronized List<Result> results() {
        return List.copyOf(results);
    }

    synchronized long count(String status) {
        return results.stream().filter(r -> status.equals(r.status())).count();
    }

    /** Incidents with at least one result (a record handed over after a SIGKILL may get a second one). */
    synchronized long distinctKeys() {
        return results.stream().map(Result::key).distinct().count();
    }

    /** Waits until at least n results arrived; false when the deadline passed first. */
    boolean awaitCount(int n, Duration timeout) {
        return await(() -> count() >= n, timeout);
    }

    static boolean await(BooleanSupplier condition, Duration timeout) {
        try {
            Awaitility.await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(condition::getAsBoolean);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        PollingThreads.stop(consumer, thread);
    }
}
