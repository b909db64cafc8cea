package com.warroom.routes.kafka;

import java.time.Duration;

import com.warroom.routes.support.LogCapture;
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
        assertEquals(3.0, registry.counter("war.room.kafka.records.retried", "cause", "TimeoutException").count());
        assertTrue(failures.isConsuming());
    }

    /** Kafka refusing the module: one line naming what is missing, readiness DOWN, polled again after the backoff (no tight loop, no stop). */
    @Test
    void aRefusalIsSaidOnceAndPolledAgainAfterTheBackoff() {
        try (LogCapture logs = LogCapture.capture()) {
            long t0 = System.nanoTime();
            poll.handle(0, new GroupAuthorizationException("denied", "war-room-routes"));
            poll.handle(0, new GroupAuthorizationException("denied", "war-room-routes"));
            assertTrue(System.nanoTime() - t0 >= (20 + 40) * 1_000_000L, "backed off");
            assertTrue(poll.canContinue(), "the consumer goes on polling: it resumes once the ACL is granted");
            assertFalse(failures.isConsuming());
            assertEquals("Kafka refused this module, not authorized: Read on group war-room-routes (ACL missing for this module's principal):"
                    + " polling again after a backoff", failures.whyNotConsuming());
            assertEquals(1, logs.lines().stream().filter(l -> l.contains("not authorized: Read on group war-room-routes")).count(), logs.lines().toString());
            assertTrue(logs.lines().stream().noneMatch(l -> l.contains("polling Kafka failed")), "one line, not one per poll");
        }
    }
}
