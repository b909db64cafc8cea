package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.warroom.routes.budget.AccountRateBudget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Supervision by progress: a watched thread that reports no progress for the stall bound is down, on a clock the test moves. */
class BackgroundThreadsTest {

    private static final long STALL_MILLIS = 30_000;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AccountRateBudget budget = new AccountRateBudget(50, 1000, 1000, 60_000, System::nanoTime);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BackgroundThreads threads = new BackgroundThreads(budget, registry, STALL_MILLIS, now::get);

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aThreadThatGuardsTheBudgetAndMakesNoProgressIsDownAndClosesTheBudgetUntilItMovesAgain() {
        threads.watch("follow-ledger", true);
        advanceMillis(STALL_MILLIS);
        assertTrue(threads.allRunning(), "within the bound");
        threads.progress("follow-ledger");
        advanceMillis(STALL_MILLIS + 1_000);
        assertFalse(threads.allRunning(), "no progress for longer than the bound");
        assertTrue(threads.describe().contains("follow-ledger=no progress for 31 s"), threads.describe());
        assertEquals(0, budget.limits()[1], "no Flashduty call while the ledger follower sees nothing");
        assertEquals(1.0, registry.counter("war.room.background.thread.failures", "thread", "follow-ledger").count());

        threads.progress("follow-ledger");
        assertTrue(threads.allRunning(), threads.describe());
        assertEquals(1000, budget.limits()[1], "open again");
    }

    @Test
    void aCatalogFollowerWithoutProgressIsDownButLeavesTheBudgetOpen() {
        threads.watch("follow-catalog", false);
        advanceMillis(STALL_MILLIS + 1);
        assertFalse(threads.allRunning());
        assertEquals(1000, budget.limits()[1]);
    }

    @Test
    void aFailedThreadIsNotAlsoStalledAndIsWatchedAfreshOnceRunning() {
        threads.watch("budget-share", true);
        threads.failed("budget-share", new IllegalStateException(), true, 30_000);
        advanceMillis(5 * STALL_MILLIS); // a long backoff: the failure says it all
        assertFalse(threads.allRunning());
        assertFalse(threads.describe().contains("no progress"), threads.describe());
        threads.running("budget-share");
        assertTrue(threads.allRunning(), "the restart counts as progress");
        assertEquals(1000, budget.limits()[1]);
        advanceMillis(STALL_MILLIS + 1);
        assertFalse(threads.allRunning());
        assertEquals(0, budget.limits()[1]);
    }

    /** A follower whose reads are refused says what is missing, in ACL terms, in the readiness message. */
    @Test
    void aRefusedClientNamesTheMissingAcl() {
        threads.watch("follow-ledger", true);
        threads.failed("follow-ledger", new org.apache.kafka.common.KafkaException(
                new org.apache.kafka.common.errors.TopicAuthorizationException(Set.of("war-room-ledger"))), true, 1_000);
        assertTrue(threads.describe().contains("follow-ledger=not authorized: Read on topic war-room-ledger (ACL missing for this module's principal)"),
                threads.describe());
    }

    @Test
    void aStalledThreadThatFailsReopensOnlyOnceRunning() {
        threads.watch("follow-ledger", true);
        advanceMillis(STALL_MILLIS + 1);
        threads.check();
        threads.failed("follow-ledger", new OutOfMemoryError(), true, 1_000);
        assertEquals(0, budget.limits()[1]);
        assertTrue(threads.describe().contains("OutOfMemoryError"), threads.describe());
        threads.progress("follow-ledger"); // catching up: progress, but not back yet
        assertEquals(0, budget.limits()[1], "still closed until the follower has caught up");
        threads.running("follow-ledger");
        assertEquals(1000, budget.limits()[1]);
    }

    @Test
    void aThreadThatRefusesTheBudgetIsDownWithItsOneLineUntilItConsents() {
        threads.refuse("budget-share", "flashduty.rate-per-minute: 1000 here, 600 at member /10.0.0.7 (abc)");
        assertFalse(threads.allRunning());
        assertTrue(threads.describe().contains("budget-share=flashduty.rate-per-minute: 1000 here, 600 at member /10.0.0.7 (abc)"),
                threads.describe());
        assertEquals(0, budget.limits()[1]);
        threads.consent("budget-share");
        assertTrue(threads.allRunning());
        assertEquals(1000, budget.limits()[1]);
    }

    @Test
    void aThreadNoLongerWatchedIsNeverStalled() {
        threads.watch("follow-ledger", true);
        threads.unwatch("follow-ledger");
        advanceMillis(10 * STALL_MILLIS);
        assertTrue(threads.allRunning());
    }

    @Test
    void theWatchServiceFindsAStallWithoutReadinessBeingAsked() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            camel.addService(threads.watchService(camel, 10), true, true);
            threads.watch("follow-ledger", true);
            advanceMillis(STALL_MILLIS + 1);
            // limits() does not check: only the service can have closed the budget
            await().atMost(Duration.ofSeconds(30)).until(() -> budget.limits()[1] == 0);
        }
    }
}
