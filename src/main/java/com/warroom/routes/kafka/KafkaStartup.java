package com.warroom.routes.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.apache.camel.CamelContext;
import org.apache.camel.support.LifecycleStrategySupport;

/**
 * The start-up work that needs Kafka (creating missing topics, reading the ledger and the IM catalog
 * back) runs in its own thread while Camel loads and initialises the YAML routes, and no route starts
 * before it has finished: {@link #onContextStarting} waits for it. So no incident is handled before
 * the ledger is read back, and a failure still stops the start, with the work's own exception (a
 * {@code StartupProblem} is reported as one line). Overlapping the two shortens every start, most of
 * all with a large ledger (README, Performance).
 */
public final class KafkaStartup extends LifecycleStrategySupport {

    /** The work; may throw. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }

    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private KafkaStartup() {
    }

    /** Starts the work now, in a thread of its own. */
    public static KafkaStartup begin(Work work) {
        KafkaStartup startup = new KafkaStartup();
        Thread t = new Thread(() -> {
            try {
                work.run();
                startup.done.complete(null);
            } catch (Throwable e) {
                startup.done.completeExceptionally(e);
            }
        }, "war-room-startup");
        t.setDaemon(true);
        t.start();
        return startup;
    }

    /** Camel is about to start its routes: wait for the work. */
    @Override
    public void onContextStarting(CamelContext context) {
        await();
    }

    /** Waits until the work has finished; rethrows its failure (a RuntimeException or Error as it is). */
    public void await() {
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the start-up reads from Kafka", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("the start-up reads from Kafka failed: " + cause.getClass().getSimpleName(), cause);
        }
    }
}
