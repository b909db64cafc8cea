package com.warroom.routes.kafka;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.warroom.routes.StartupProblem;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaStartupTest {

    @Test
    void routesStartOnlyAfterTheWorkFinished() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        KafkaStartup startup = KafkaStartup.begin(() -> {
            release.await();
            finished.set(true);
        });
        AtomicReference<Thread> starter = new AtomicReference<>();
        CompletableFuture<Boolean> sawFinished = CompletableFuture.supplyAsync(() -> {
            starter.set(Thread.currentThread());
            startup.onContextStarting(null);
            return finished.get();
        });
        // the Camel start is parked, waiting for the work
        await().atMost(Duration.ofSeconds(10)).until(() -> starter.get() != null && starter.get().getState() == Thread.State.WAITING);
        assertFalse(sawFinished.isDone());
        release.countDown();
        assertTrue(sawFinished.get(), "onContextStarting returned before the work had finished");
    }

    @Test
    void aStartupProblemStopsTheStartAsItIs() {
        StartupProblem problem = new StartupProblem("cannot read the ledger topic war-room-ledger");
        KafkaStartup startup = KafkaStartup.begin(() -> {
            throw problem;
        });
        assertSame(problem, assertThrows(StartupProblem.class, () -> startup.onContextStarting(null)));
    }

    @Test
    void aCheckedFailureStopsTheStartToo() {
        KafkaStartup startup = KafkaStartup.begin(() -> {
            throw new IOException("broken");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, startup::await);
        assertInstanceOf(IOException.class, e.getCause());
    }
}
