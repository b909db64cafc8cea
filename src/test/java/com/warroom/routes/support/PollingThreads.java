package com.warroom.routes.support;

import org.apache.kafka.clients.consumer.Consumer;

/** The end of a test-side consumer thread: wake its poll, then give it five seconds to finish. */
public final class PollingThreads {

    private PollingThreads() {
    }

    public static void stop(Consumer<?, ?> consumer, Thread thread) {
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
