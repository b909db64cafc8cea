package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.concurrent.ExecutionException;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.kafka.KafkaFailures.Kind.RETRY;
import static com.warroom.routes.kafka.KafkaFailures.Kind.SET_ASIDE;
import static com.warroom.routes.kafka.KafkaFailures.Kind.STOP;
import static com.warroom.routes.kafka.KafkaFailures.kindOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaFailuresTest {

    private static Throwable sent(Throwable cause) {
        return new ExecutionException(cause); // what a producer's future.get() throws
    }

    @Test
    void whatARetryCanChangeIsRetried() {
        assertEquals(RETRY, kindOf(sent(new TimeoutException("expired"))));
        assertEquals(RETRY, kindOf(sent(new NotLeaderOrFollowerException("moved"))));
        assertEquals(RETRY, kindOf(new InterruptedException()));
        assertEquals(RETRY, kindOf(new CommitFailedException()), "a commit after a rebalance: the record is the new owner's");
        assertEquals(RETRY, kindOf(new RebalanceInProgressException()));
        assertEquals(RETRY, kindOf(new KafkaException("Producer closed while send in progress")));
        assertEquals(RETRY, kindOf(new CamelExecutionException("wrapped", null, new KafkaException(new TimeoutException()))));
    }

    @Test
    void whatTheSameRecordGetsAgainIsSetAside() {
        assertEquals(SET_ASIDE, kindOf(sent(new RecordTooLargeException("too large"))));
        assertEquals(SET_ASIDE, kindOf(sent(new InvalidRecordException("compacted topic needs a key"))));
        assertEquals(SET_ASIDE, kindOf(new SerializationException("bad")));
        assertEquals(SET_ASIDE, kindOf(new KafkaException(new RecordTooLargeException("wrapped"))), "a plain KafkaException only wraps");
        assertEquals(SET_ASIDE, kindOf(new NullPointerException()), "a defect handling the record fails again with it");
        assertEquals(SET_ASIDE, kindOf(new IllegalArgumentException()));
    }

    @Test
    void kafkaRefusingTheModuleStopsConsuming() {
        assertEquals(STOP, kindOf(sent(new TopicAuthorizationException("denied"))));
        assertEquals(STOP, kindOf(new SaslAuthenticationException("bad password")));
        assertEquals(STOP, kindOf(new KafkaException(new RetriableWrapper(new TopicAuthorizationException("deep")))));
    }

    /** A refusal anywhere, however wrapped, is said in ACL terms: the resource and the operation, as far as the exception tells. */
    @Test
    void aRefusalNamesTheResourceAndTheOperation() {
        String missing = " (ACL missing for this module's principal)";
        assertEquals("not authorized: Read on topic war-room-incidents" + missing,
                KafkaFailures.refusal(new TopicAuthorizationException(java.util.Set.of("war-room-incidents")), "Read"));
        assertEquals("not authorized: Write on topic a, b" + missing,
                KafkaFailures.refusal(sent(new TopicAuthorizationException(java.util.Set.of("b", "a"))), "Write"));
        assertEquals("not authorized: Read on group war-room-routes" + missing,
                KafkaFailures.refusal(new KafkaException(new GroupAuthorizationException("denied", "war-room-routes")), "Read"));
        assertEquals("not authorized: IdempotentWrite on the cluster" + missing,
                KafkaFailures.refusal(sent(new ClusterAuthorizationException("denied")), "Write"));
        assertEquals("not authorized: Describe on the cluster" + missing,
                KafkaFailures.refusal(new ClusterAuthorizationException("denied"), "Describe, DescribeConfigs"));
        assertEquals("not authorized: Write on a transactional id" + missing,
                KafkaFailures.refusal(new TransactionalIdAuthorizationException("denied"), "Write"));
        assertEquals("Kafka refused this module's credentials (SaslAuthenticationException)",
                KafkaFailures.refusal(new SaslAuthenticationException("bad password hunter2"), "Read"));
        assertEquals(null, KafkaFailures.refusal(sent(new TimeoutException()), "Read"), "no refusal");
    }

    @Test
    void theCauseLabelIsBounded() {
        assertEquals("TimeoutException", KafkaFailures.causeLabel(sent(new TimeoutException())));
        assertEquals("RecordTooLargeException", KafkaFailures.causeLabel(new KafkaException(new RecordTooLargeException())));
        assertEquals("other", KafkaFailures.causeLabel(new IllegalStateException("text that must not become a label")));
        assertEquals("other", KafkaFailures.causeLabel(null));
    }

    @Test
    void theBackoffGrowsPerRecordAndStartsAgainForTheNext() {
        KafkaFailures f = new KafkaFailures(Duration.ofMillis(100), Duration.ofMillis(1_000), new SimpleMeterRegistry());
        Exchange a = record(7, 41);
        long first = f.backoffMillis(a);
        long second = f.backoffMillis(a);
        long third = f.backoffMillis(a);
        assertTrue(first >= 80 && first <= 120, "first " + first);
        assertTrue(second >= 160 && second <= 240, "second " + second);
        assertTrue(third >= 320 && third <= 480, "third " + third);
        for (int i = 0; i < 10; i++) {
            f.backoffMillis(a);
        }
        assertTrue(f.backoffMillis(a) <= 1_200, "capped at the maximum (±20%)");
        long next = f.backoffMillis(record(7, 42));
        assertTrue(next <= 120, "the next record starts again: " + next);
    }

    @Test
    void aClauseJudgesTheExceptionBeingCaughtNotAnOuterCatchs() {
        Exchange e = record(0, 5);
        e.setProperty(Exchange.EXCEPTION_CAUGHT, new TopicAuthorizationException("outer"));
        e.setException(new ExecutionException(new TimeoutException("expired")));
        assertTrue(new KafkaFailures.Caught(KafkaFailures.Kind.RETRY, null).matches(e));
        assertFalse(new KafkaFailures.Caught(KafkaFailures.Kind.STOP, null).matches(e));
    }

    @Test
    void retryLaterCountsAndReturnsTheRecordsBackoff() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KafkaFailures f = new KafkaFailures(Duration.ofMillis(1), Duration.ofMillis(2), registry);
        Exchange e = record(0, 5);
        TimeoutException cause = new TimeoutException("expired");
        ExecutionException caught = new ExecutionException(cause);
        e.setProperty(Exchange.EXCEPTION_CAUGHT, caught);
        assertTrue(new KafkaFailures.Caught(KafkaFailures.Kind.RETRY, null).matches(e));
        long wait = f.retryLater(e);
        assertTrue(wait >= 1 && wait <= 2, "the initial backoff, ±20%, at least 1 ms: " + wait);
        assertEquals(1.0, registry.counter("war.room.kafka.records.retried", "cause", "TimeoutException").count());
        assertTrue(f.isConsuming());
    }

    private static Exchange record(int partition, long offset) {
        Exchange e = new DefaultExchange(new DefaultCamelContext());
        e.setProperty(IncomingRecord.TOPIC, "incidents");
        e.setProperty(IncomingRecord.PARTITION, partition);
        e.setProperty(IncomingRecord.OFFSET, offset);
        return e;
    }

    /** An exception of no Kafka kind around an authorization error. */
    private static final class RetriableWrapper extends RuntimeException {
        RetriableWrapper(Throwable cause) {
            super(cause);
        }
    }
}
