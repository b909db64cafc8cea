package com.warroom.routes.observe;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import com.warroom.routes.budget.AccountRateBudget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background threads the guarantees rely on (the budget-group member, the ledger follower, the
 * catalog followers) report here when their Kafka client fails and when they are back. While one
 * that guards the budget or the one-room promise is down, the account budget is closed (no Flashduty
 * call starts: a replica that no longer sees the group or the other replicas' ledger entries could
 * exceed the account's windows or open a second room); readiness {@code background-threads} is DOWN
 * with which thread and why; {@code background_thread_failures_total{thread}} counts the failures.
 */
public final class BackgroundThreads {

    private static final Logger LOG = LoggerFactory.getLogger(BackgroundThreads.class);

    private final AccountRateBudget budget;
    private final MeterRegistry registry;
    /** thread name → why it is down */
    private final Map<String, String> down = new ConcurrentHashMap<>();

    public BackgroundThreads(AccountRateBudget budget, MeterRegistry registry) {
        this.budget = budget;
        this.registry = registry;
        Gauge.builder("background.threads.down", down, Map::size).strongReference(true)
                .description("background threads down and restarting (no Flashduty call while one that guards the budget or the ledger is)")
                .register(registry);
    }

    /** The thread's client failed; it restarts after {@code retryInMillis}. {@code failClosed}: no Flashduty call meanwhile. */
    public void failed(String thread, Throwable cause, boolean failClosed, long retryInMillis) {
        String why = cause == null ? "stopped" : cause.getClass().getSimpleName();
        if (failClosed) {
            budget.closeFor(thread);
        }
        registry.counter("background.thread.failures", "thread", thread).increment();
        if (down.put(thread, why) == null) {
            LOG.error("{}: its Kafka client failed ({}); restarting it in {} ms{}", thread, why, retryInMillis,
                    failClosed ? ", no Flashduty call until it is back" : "");
        }
    }

    /** The thread is running again. */
    public void running(String thread) {
        if (down.remove(thread) != null) {
            LOG.info("{}: running again", thread);
        }
        budget.reopen(thread);
    }

    public boolean allRunning() {
        return down.isEmpty();
    }

    /** Readiness message: which threads are down and why (class names only). */
    public String describe() {
        return "background thread(s) down, restarting: " + new TreeMap<>(down);
    }
}
