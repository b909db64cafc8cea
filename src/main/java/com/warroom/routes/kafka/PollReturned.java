package com.warroom.routes.kafka;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * When the last {@code poll()} of this thread returned: the moment {@code max.poll.interval.ms} is
 * measured from. Kafka calls {@link #onConsume} inside {@code poll()}, just before it returns, on the
 * consumer's thread, which camel-kafka then hands each record of the poll to, one after another; so
 * {@link IncomingRecord#capture} reads it on the same thread (set on the incidents consumer with
 * {@code interceptorClasses}, routes/10-incidents.yaml).
 */
public final class PollReturned implements ConsumerInterceptor<Object, Object> {

    private static final ThreadLocal<Long> RETURNED = new ThreadLocal<>();

    /** {@link System#nanoTime()} when this thread's last poll returned, or null on a thread that never polled. */
    public static Long nanos() {
        return RETURNED.get();
    }

    /** What {@link #onConsume} does; a route test hands records over as a poll would. */
    public static void at(Long nanoTime) {
        if (nanoTime == null) {
            RETURNED.remove();
        } else {
            RETURNED.set(nanoTime);
        }
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
        RETURNED.set(System.nanoTime());
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        // nothing: only the poll's return matters
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // no settings
    }
}
