package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * A background thread that keeps one Kafka consumer going: opens it, runs it until closing, and when
 * it fails closes it, reports the failure ({@link BackgroundThreads#failed}), waits a backoff that
 * doubles while the failures go on, and opens a new one. Any Throwable is a failure, an Error too (a
 * StackOverflowError in a deserializer): a thread that died silently would leave the budget open.
 * The session says when it is back ({@link #running}) and when it made progress ({@link #progress}).
 */
public final class RestartingConsumer<K, V> implements AutoCloseable {

    /** One consumer's life: returns when closing, throws when the consumer failed. */
    public interface Session<K, V> {
        void run(KafkaConsumer<K, V> consumer) throws Exception;
    }

    private final String name;
    private final CompactedTopicView.Restart restart;
    private final Supplier<KafkaConsumer<K, V>> open;
    private final Session<K, V> session;
    /** counted down by {@link #close()}: ends a backoff being waited out */
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile KafkaConsumer<K, V> client;
    private volatile Thread thread;
    private volatile long backoff;

    public RestartingConsumer(String name, CompactedTopicView.Restart restart, Supplier<KafkaConsumer<K, V>> open, Session<K, V> session) {
        this.name = name;
        this.restart = restart;
        this.open = open;
        this.session = session;
        this.backoff = restart.backoff().millis(1);
    }

    /** Starts the thread (once), on {@code first} (opened already), or on a new consumer when null. */
    public synchronized void start(KafkaConsumer<K, V> first) {
        if (thread != null) {
            return;
        }
        restart.threads().watch(name, restart.failClosed());
        client = first;
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        KafkaConsumer<K, V> consumer = client;
        while (!closing()) {
            Throwable failure = null;
            try {
                if (consumer == null) {
                    consumer = open.get();
                    client = consumer; // set before closing is read again: close() wakes it
                }
                if (!closing()) {
                    session.run(consumer);
                }
            } catch (Throwable e) { // a WakeupException too, when not closing: the consumer is gone all the same
                failure = e;
            }
            closeQuietly(consumer);
            consumer = null;
            client = null;
            if (closing()) {
                break;
            }
            failed(failure);
            if (!pause(backoff)) {
                break;
            }
            backoff = restart.backoff().after(backoff);
        }
        restart.threads().unwatch(name);
    }

    /** The one place a failure is reported (and where a cause could be told apart). */
    private void failed(Throwable failure) {
        restart.threads().failed(name, failure, restart.failClosed(), backoff);
    }

    /** The session is back (caught up, joined): the next failure starts a new run of backoffs. */
    public void running() {
        backoff = restart.backoff().millis(1);
        restart.threads().running(name);
    }

    /** The session's consumer reached the brokers just now. */
    public void progress() {
        restart.threads().progress(name);
    }

    public boolean closing() {
        return closed.getCount() == 0;
    }

    /** Waits, unless closing; false when closing. */
    public boolean pause(long millis) {
        try {
            return !closed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void closeQuietly(KafkaConsumer<?, ?> consumer) {
        try {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(2));
            }
        } catch (RuntimeException e) { // gone already
        }
    }

    /** Ends the thread: wakes its consumer, ends a backoff being waited out, waits for it (the consumer leaves its group). */
    @Override
    public void close() {
        closed.countDown();
        KafkaConsumer<K, V> c = client;
        if (c != null) {
            c.wakeup();
        }
        Thread t = thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
