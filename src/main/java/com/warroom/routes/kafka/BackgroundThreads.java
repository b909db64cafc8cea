package com.warroom.routes.kafka;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.support.TimerListenerManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background threads the guarantees rely on (the budget-group member, the ledger follower, the
 * catalog followers) report here when their Kafka client fails and when they are back, and each
 * time they made progress (a poll that reached the brokers). While one that guards the budget or the
 * one-room promise is down, the account budget is closed (no Flashduty call starts: a replica that no
 * longer sees the group or the other replicas' ledger entries could exceed the account's windows or
 * open a second room); readiness {@code background-threads} is DOWN with which thread and why;
 * {@code war_room_background_thread_failures_total{thread}} counts the failures.
 * <p>
 * A Kafka client does not throw while the brokers are unreachable: its polls just come back empty.
 * So a thread also counts as down ("no progress for N s") when its last progress is older than the
 * stall bound; {@link #check()} finds those (called by the {@link #watch watch service} every
 * second and by the readiness check), and the thread's next progress brings it back.
 * <p>
 * Threads may also refuse the budget for a reason of their own ({@link #refuse}), e.g. a budget
 * member whose settings differ from its group's.
 */
public final class BackgroundThreads {

    /** What a thread that guards the budget closes while it is down: the account budget (no Flashduty call starts). */
    public interface Gate {
        /** guards nothing (threads whose failures are only logged) */
        Gate NONE = new Gate() { };

        default void closeFor(String reason) {
        }

        default void reopen(String reason) {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(BackgroundThreads.class);

    private final Gate budget;
    private final MeterRegistry registry;
    private final long stallNanos;
    private final LongSupplier clock;
    /** thread name → why it is down (failed or refusing) */
    private final Map<String, String> down = new ConcurrentHashMap<>();
    /** thread name → why it refuses the budget */
    private final Map<String, String> refused = new ConcurrentHashMap<>();
    /** thread name → whether it guards the budget, for every thread whose progress is watched */
    private final Map<String, Boolean> watched = new ConcurrentHashMap<>();
    /** thread name → {@link #clock} value of its last progress */
    private final Map<String, Long> lastProgress = new ConcurrentHashMap<>();
    /** threads found without progress for longer than the stall bound */
    private final Set<String> stalled = ConcurrentHashMap.newKeySet();

    /** {@code stallMillis}: a watched thread without progress for longer is down; {@code nanoClock}: {@link System#nanoTime()} or a test's. */
    public BackgroundThreads(Gate budget, MeterRegistry registry, long stallMillis, LongSupplier nanoClock) {
        if (stallMillis < 1) {
            throw new IllegalArgumentException("the stall bound must be positive");
        }
        this.budget = budget;
        this.registry = registry;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMillis);
        this.clock = nanoClock;
        Gauge.builder("war.room.background.threads.down", this, t -> Stream.of(t.down.keySet(), t.stalled, t.refused.keySet()).flatMap(Set::stream).distinct().count())
                .strongReference(true)
                .description("background threads down and restarting (no Flashduty call while one that guards the budget or the ledger is)")
                .register(registry);
    }

    /** From now on the thread must report progress at least once per stall bound. {@code failClosed}: no Flashduty call while it does not. */
    public void watch(String thread, boolean failClosed) {
        lastProgress.put(thread, clock.getAsLong());
        watched.put(thread, failClosed);
        registry.counter("war.room.background.thread.failures", "thread", thread); // at 0 until its first failure
    }

    /** The thread stopped for good (closing): no longer watched. */
    public void unwatch(String thread) {
        watched.remove(thread);
        lastProgress.remove(thread);
        if (stalled.remove(thread)) {
            budget.reopen(stallReason(thread));
        }
    }

    /** The thread's client reached the brokers just now. */
    public void progress(String thread) {
        lastProgress.put(thread, clock.getAsLong());
        if (stalled.remove(thread)) {
            LOG.info("{}: making progress again", thread);
            budget.reopen(stallReason(thread));
        }
    }

    /** Marks down every watched thread whose last progress is older than the stall bound. */
    public void check() {
        long now = clock.getAsLong();
        watched.forEach((thread, failClosed) -> {
            Long last = lastProgress.get(thread);
            if (last == null || down.containsKey(thread) || stalled.contains(thread)) {
                return; // a failed thread is down already; it is watched again once it runs
            }
            long idle = now - last;
            if (idle > stallNanos) {
                long seconds = TimeUnit.NANOSECONDS.toSeconds(idle);
                if (failClosed) {
                    budget.closeFor(stallReason(thread));
                }
                stalled.add(thread);
                registry.counter("war.room.background.thread.failures", "thread", thread).increment();
                LOG.error("{}: no progress for {} s (its Kafka client reaches no broker){}", thread, seconds,
                        failClosed ? "; no Flashduty call until it makes progress again" : "");
            }
        });
    }

    /** The thread's client failed; it restarts after {@code retryInMillis}. {@code failClosed}: no Flashduty call meanwhile. */
    public void failed(String thread, Throwable cause, boolean failClosed, long retryInMillis) {
        // a missing ACL is named as such (resource and operation: these clients read); else the class
        String why = cause == null ? "stopped" : Objects.requireNonNullElse(KafkaFailures.refusal(cause, "Read"), cause.getClass().getSimpleName());
        if (failClosed) {
            budget.closeFor(thread);
        }
        // the failure supersedes a stall: the thread is down either way until it runs again
        if (stalled.remove(thread)) {
            budget.reopen(stallReason(thread));
        }
        registry.counter("war.room.background.thread.failures", "thread", thread).increment();
        if (down.put(thread, why) == null) {
            LOG.error("{}: its Kafka client failed ({}); restarting it in {} ms{}", thread, why, retryInMillis,
                    failClosed ? ", no Flashduty call until it is back" : "");
        }
    }

    /** The thread is running again (for a follower: caught up with what was written while it was down). */
    public void running(String thread) {
        lastProgress.put(thread, clock.getAsLong());
        if (down.remove(thread) != null) {
            LOG.info("{}: running again", thread);
        }
        budget.reopen(thread);
    }

    /** The thread refuses to take budget, for the reason given (one line of names and setting values, never a secret). */
    public void refuse(String thread, String why) {
        budget.closeFor(refusalReason(thread));
        if (!why.equals(refused.put(thread, why))) {
            LOG.error("{}: refuses to take budget: {}", thread, why);
        }
    }

    /** The thread no longer refuses the budget. */
    public void consent(String thread) {
        if (refused.remove(thread) != null) {
            LOG.info("{}: takes budget again", thread);
        }
        budget.reopen(refusalReason(thread));
    }

    public boolean allRunning() {
        check();
        return down.isEmpty() && stalled.isEmpty() && refused.isEmpty();
    }

    /** Readiness message: which threads are down and why (class names, durations and setting names only). */
    public String describe() {
        Map<String, String> why = new TreeMap<>(down);
        long now = clock.getAsLong();
        stalled.forEach(thread -> why.putIfAbsent(thread,
                "no progress for " + TimeUnit.NANOSECONDS.toSeconds(now - lastProgress.getOrDefault(thread, now)) + " s"));
        refused.forEach((thread, reason) -> why.merge(thread, reason, (a, b) -> a + "; " + b));
        return "background thread(s) down: " + why;
    }

    private static String stallReason(String thread) {
        return thread + " (no progress)";
    }

    private static String refusalReason(String thread) {
        return thread + " (refuses)";
    }

    /**
     * A Camel service that runs {@link #check()} every {@code periodMillis}: Camel's timer service, on a
     * scheduler of the CamelContext's executor service manager (a failed check is logged by it and tried again).
     */
    public Service watchService(CamelContext camel, long periodMillis) {
        TimerListenerManager timer = new TimerListenerManager();
        timer.setCamelContext(camel);
        timer.setInterval(periodMillis);
        timer.addTimerListener(this::check);
        return timer;
    }
}
