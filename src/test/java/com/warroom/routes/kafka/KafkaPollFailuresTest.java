package com.warroom.routes.kafka;

import java.time.Duration;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaPollFailuresTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final KafkaFailures failures = new KafkaFailures(Duration.ofMillis(20), Duration.ofMillis(80), registry);
    private final KafkaPollFailures poll = new KafkaPollFailures(failures);

    /** A poll that fails for a reason a retry can change: polled again from the same offset, after a backoff that grows. */
    @Test
    void aRetriablePollFailureWaitsAndContinues() {
        long t0 = System.nanoTime();
        poll.handle(41, new TimeoutException("no answer"));
        long first = System.nanoTime() - t0;
        poll.handle(41, new TimeoutException("no answer"));
        poll.handle(41, new TimeoutException("no answer"));
        long three = System.nanoTime() - t0;
        assertTrue(poll.canContinue(), "polling goes on");
        assertTrue(first >= 20_000_000L, "waited the initial backoff: " + first);
        assertTrue(three >= (20 + 40 + 80) * 1_000_000L, "the backoff doubled, capped: " + three);
        assertEquals(3.0, registry.counter("kafka.records.retried", "cause", "TimeoutException").count());
        assertTrue(failures.isConsuming());
    }

    /** Kafka refusing the module: this consumer stops, readiness says so, no waiting. */
    @Test
    void aRefusalStopsThisConsumer() {
        poll.handle(0, new GroupAuthorizationException("denied"));
        assertFalse(poll.canContinue());
        assertFalse(failures.isConsuming());
        poll.reset();
        assertTrue(poll.canContinue(), "a new consumer (reset) may try again");
    }
}
