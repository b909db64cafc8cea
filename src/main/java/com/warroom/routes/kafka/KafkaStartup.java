package com.warroom.routes.kafka;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.Backoff;
import com.warroom.routes.StartupProblem;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.StartupListener;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.ObjectHelper;
import org.apache.camel.util.function.ThrowingRunnable;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka work at start (topics checked, producers opened, topics read back, a group joined) as one
 * Camel service, so the context, the management server and /observe/health start at once, whatever
 * Kafka does: once the context has started, a thread of Camel's runs the steps in the order added and
 * then starts the routes through Camel's route controller (the application keeps them from starting
 * with the context: {@code camel.main.auto-startup-exclude-pattern}). Until then readiness
 * {@code kafka-start-up} is DOWN and says which step runs or why it failed, and no record is consumed.
 * <p>
 * A step Kafka fails (unreachable, a missing ACL, refused credentials) is said in one line per reason
 * and tried again after the KAFKA_RETRY_* backoff, for as long as it takes. One that can never succeed
 * (a {@link StartupProblem}, a client setting Kafka refuses) stops the context; the application then
 * reports it as one line ({@link #problem}). At stop the clients close in reverse order, after the routes.
 */
public final class KafkaStartup extends ServiceSupport implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaStartup.class);

    /** {@code doing}: for readiness and the log; {@code operations}: the ACL operations it needs on its topics; {@code client}: closed at stop (null: none). */
    private record Step(String doing, String operations, ThrowingRunnable<Exception> start, AutoCloseable client) {
    }

    private final CamelContext camel;
    private final Backoff backoff;
    /** the brokers, for the log only (readiness names no address) */
    private final String brokers;
    private final List<Step> steps = new ArrayList<>();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private volatile String notReady = "Kafka: the start-up work has not begun";
    private volatile boolean done;
    private volatile StartupProblem problem;
    private ExecutorService thread;

    public KafkaStartup(CamelContext camel, Backoff backoff, String brokers) {
        this.camel = camel;
        this.backoff = backoff;
        this.brokers = brokers;
    }

    /** A step, run after those added before it. */
    public KafkaStartup step(String doing, String operations, ThrowingRunnable<Exception> start, AutoCloseable client) {
        steps.add(new Step(doing, operations, start, client));
        return this;
    }

    /** Once: Camel calls this again whenever routes start later (alreadyStarted), as these steps start them. */
    @Override
    public synchronized void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        if (thread != null) {
            return;
        }
        thread = camel.getExecutorServiceManager().newSingleThreadExecutor(this, "kafka-start-up");
        thread.execute(this::run);
    }

    private void run() {
        try {
            for (Step step : steps) {
                if (!attempt(step)) {
                    return;
                }
            }
            startRoutes();
            done = true;
            LOG.info("Kafka start-up done: the routes are started");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (stopping.getCount() > 0) {
                stop(new StartupProblem("the routes could not be started: " + e.getMessage()));
            }
        }
    }

    /**
     * The routes a start would have started (autoStartup), through Camel's route controller: those called
     * by others (direct, seda) first, so a consumer that starts never calls a route not started yet. From
     * now on routes start as usual (a reloaded route file's too): the exclusion pattern is cleared.
     */
    private void startRoutes() throws Exception {
        camel.setAutoStartupExcludePattern(null);
        List<Route> routes = camel.getRoutes().stream().filter(r -> !Boolean.FALSE.equals(r.isAutoStartup()))
                .sorted(Comparator.comparing(r -> !r.getEndpoint().getEndpointUri().matches("^(direct|seda):.*"))).toList();
        for (Route route : routes) {
            camel.getRouteController().startRoute(route.getRouteId());
        }
    }

    /** Runs the step until it succeeds (true), or until it cannot ever or the context stops (false). */
    private boolean attempt(Step step) throws InterruptedException {
        String lastSaid = null;
        notReady = "Kafka start-up: " + step.doing + " (no record is consumed before the start-up work is done)";
        for (long failures = 1; stopping.getCount() > 0; failures++) {
            // once failed, readiness keeps saying why while the step is tried again
            try {
                step.start.run();
                if (lastSaid != null) {
                    LOG.info("Kafka start-up: {}: done after {} failed attempt(s)", step.doing, failures - 1);
                }
                return true;
            } catch (Exception e) {
                if (stopping.getCount() == 0) {
                    return false;
                }
                StartupProblem never = neverSucceeds(e);
                if (never != null) {
                    stop(never);
                    return false;
                }
                long wait = backoff.jitteredMillis(failures);
                String refused = KafkaFailures.refusal(e, step.operations);
                String why = refused != null ? refused : "Kafka unreachable (" + causeName(e) + ")";
                notReady = "Kafka start-up: " + step.doing + " failed, " + why + "; trying again (" + failures + " failed so far)";
                if (!why.equals(lastSaid)) {
                    // one line per reason, not per attempt; the message of ours names topics and brokers, never a credential
                    LOG.error("Kafka start-up: {} failed, {}{} (Kafka at {}): readiness DOWN, no record consumed; trying again after a backoff "
                            + "(KAFKA_RETRY_INITIAL_BACKOFF to KAFKA_RETRY_MAX_BACKOFF) until it succeeds", step.doing, why,
                            e.getMessage() == null ? "" : ": " + e.getMessage(), brokers);
                    lastSaid = why;
                }
                if (stopping.await(wait, TimeUnit.MILLISECONDS)) {
                    return false;
                }
            }
        }
        return false;
    }

    private static String causeName(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName();
    }

    /**
     * What makes a start fail whatever Kafka does, as one line: a problem of ours, or a client setting Kafka
     * refuses (whether our client's or a Camel endpoint's, which fails the context's start); else null.
     */
    public static StartupProblem neverSucceeds(Throwable e) {
        StartupProblem ours = ObjectHelper.getException(StartupProblem.class, e);
        if (ours != null) {
            return ours;
        }
        // Kafka's ConfigException shows a password as [hidden]; an IllegalArgumentException under a client's
        // KafkaException is its JAAS or SSL set-up
        Throwable setting = ObjectHelper.getException(ConfigException.class, e);
        KafkaException client = ObjectHelper.getException(KafkaException.class, e);
        if (setting == null && client != null) {
            setting = ObjectHelper.getException(IllegalArgumentException.class, client);
        }
        return setting == null ? null : new StartupProblem("a Kafka client setting is refused: " + setting.getMessage());
    }

    /** A start that can never succeed: kept for the application's one line, and the context stopped on a thread of its own. */
    private void stop(StartupProblem never) {
        problem = never;
        notReady = "Kafka start-up failed for good: see the log";
        new Thread(camel::stop, "kafka-start-up-failed").start();
    }

    /** Readiness {@code kafka-start-up}: the start-up work is done and the routes started. */
    public boolean isDone() {
        return done;
    }

    /** Which step runs or why it failed: names, classes and topics, never a credential. */
    public String notReady() {
        return notReady;
    }

    /** The failure of a start that can never succeed, once it happened; else null. */
    public StartupProblem problem() {
        return problem;
    }

    @Override
    protected void doStop() throws Exception {
        stopping.countDown();
        if (thread != null) {
            // a step under way ends (interrupted, or its client woken by the close below) before its client closes
            camel.getExecutorServiceManager().shutdownNow(thread);
            camel.getExecutorServiceManager().awaitTermination(thread, 10_000);
        }
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (steps.get(i).client != null) {
                steps.get(i).client.close();
            }
        }
    }

    @Override
    public String toString() {
        return "kafka-start-up";
    }
}
