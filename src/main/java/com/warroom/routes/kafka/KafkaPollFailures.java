package com.warroom.routes.kafka;

import java.time.Duration;

import org.apache.camel.component.kafka.PollExceptionStrategy;
import org.apache.camel.support.task.Tasks;
import org.apache.camel.support.task.budget.Budgets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a consumer route does when the Kafka consumer's poll itself fails (there is no record to set
 * aside), as camel-kafka's {@code pollExceptionStrategy} of every Kafka endpoint
 * (config/application.properties): it is polled again from the same position after a backoff that
 * doubles while the failures go on (KAFKA_RETRY_INITIAL_BACKOFF to KAFKA_RETRY_MAX_BACKOFF), counted in
 * {@code war_room_kafka_records_retried_total{cause}}. Kafka refusing the module (a missing ACL, refused
 * credentials) is one ERROR line naming the resource and operation for the run of refusals and readiness
 * {@code kafka-access} DOWN while it lasts, nothing committed; consuming resumes once it is granted. Camel's default instead hands the error to the route's
 * error handler and seeks past the offset, skipping records, at once and for every failure.
 * <p>
 * One instance serves every consumer thread; each thread keeps its own run of failures.
 */
public final class KafkaPollFailures implements PollExceptionStrategy {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPollFailures.class);

    private final KafkaFailures failures;
    /** this thread's failures in a row, and when the last one came */
    private final ThreadLocal<long[]> run = ThreadLocal.withInitial(() -> new long[2]);

    public KafkaPollFailures(KafkaFailures failures) {
        this.failures = failures;
    }

    @Override
    public void reset() {
        run.get()[0] = 0;
    }

    /** Always: a refusal too is polled again after the backoff, so consuming resumes once the ACL is granted. */
    @Override
    public boolean canContinue() {
        return true;
    }

    @Override
    public void handle(long partitionLastOffset, Exception exception) {
        String thread = Thread.currentThread().getName();
        long[] r = run.get();
        long now = System.nanoTime();
        if (r[0] > 0 && now - r[1] > 2 * failures.backoff().max().toNanos()) {
            r[0] = 0; // a new run of failures starts from the initial backoff
        }
        r[0]++;
        r[1] = now;
        String cause = failures.countRetry(exception);
        long wait = failures.backoff().millis(r[0]);
        if (KafkaFailures.kindOf(exception) == KafkaFailures.Kind.STOP) {
            failures.pollRefused(exception, thread); // one line for the run, readiness DOWN while it lasts
        } else {
            LOG.warn("{}: polling Kafka failed ({}, {} in a row); polling again from the same offset in {} ms", thread, cause, r[0], wait);
        }
        // a poll has no exchange to delay: the wait is Camel's blocking task, the one camel-kafka itself waits with
        // between its attempts to create and subscribe a consumer (no option of camel-kafka backs a failed poll off)
        Tasks.foregroundTask().withBudget(Budgets.iterationBudget().withInitialDelay(Duration.ofMillis(wait))
                .withMaxIterations(1).build()).build().run(null, () -> true);
    }
}
