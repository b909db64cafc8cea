package com.warroom.routes.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.Progress;
import com.warroom.routes.support.RunningApp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The account's real windows (50 in any second, 1,000 in any 60 s), once: a replica drains a backlog of
 * 1,000 calls, is SIGKILLed, and a new process starts at once with more incidents queued. It counts the
 * calls its predecessor made (the budget journal), so the account sees no 429 and never more than
 * 1,000 calls in any 60 s; the time to its first call is printed (README, Reliability).
 */
class BudgetAcrossRestartsIT {

    /**
     * How long the calls may stop coming before the drain counts as stuck (no deadline for the whole drain:
     * {@link Progress}). Two minutes: a new JVM's start and the rest of the minute window it must wait out fit in it.
     */
    static final Duration NO_PROGRESS = Duration.ofMinutes(2);

    @Test
    void aProcessStartedAtOnceAfterASigkillCountsItsPredecessorsCalls() throws Exception {
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaTestClient kafka = KafkaTestClient.forSharedBroker()) {
            Map<String, String> settings = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(),
                    sandbox.config().appKey());
            RunningApp.budgetOf(sandbox.config(), settings);
            String incidents = settings.get("incident.topic");
            KafkaBroker.shared().createTopic(incidents, 1);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                var e = Events.fresh();
                kafka.send(incidents, Events.incidentId(e), Events.json(e));
                sent.add(Events.incidentId(e));
            }
            Process first = spawn(settings, "first");
            try {
                Progress.await("1,000 calls", Duration.ofMillis(5), NO_PROGRESS,
                        () -> sandbox.calls().stream().filter(c -> c.status() != 429).count(), 1_000);
            } finally {
                first.destroyForcibly(); // SIGKILL
                first.waitFor(30, TimeUnit.SECONDS);
            }
            long killedAt = System.nanoTime();
            int callsBefore = sandbox.calls().size();
            long lastCallOfFirst = sandbox.calls().stream().mapToLong(FlashdutySandbox.Call::arrivalNanos).max().orElseThrow();
            for (int i = 0; i < 100; i++) {
                var e = Events.fresh();
                kafka.send(incidents, Events.incidentId(e), Events.json(e));
                sent.add(Events.incidentId(e));
            }
            Process second = spawn(settings, "second");
            long firstCallOfSecond;
            try {
                Progress.await("every event handled", Duration.ofMillis(250), NO_PROGRESS,
                        () -> sent.size() - kafka.lag(settings.get("consumer.group"), incidents), sent.size());
                firstCallOfSecond = sandbox.calls().subList(callsBefore, sandbox.calls().size()).stream()
                        .mapToLong(FlashdutySandbox.Call::arrivalNanos).min().orElseThrow();
            } finally {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
                second.destroyForcibly();
            }
            System.out.printf("budget across a SIGKILL: %d calls before the kill; the new process's first call came %.1f s after the "
                            + "kill, %.1f s after the first process's last call; most calls in any 60 s: %d, in any 1 s: %d; 429s: %d%n",
                    callsBefore, (firstCallOfSecond - killedAt) / 1e9, (firstCallOfSecond - lastCallOfFirst) / 1e9,
                    sandbox.maxInAnyWindow(60_000), sandbox.maxInAnyWindow(1_000), sandbox.count429());
            assertTrue(log(settings, "second").contains("call(s) claimed by earlier processes and other replicas still count"), "the new process read the journal");
            assertEquals(0, sandbox.count429(), "no 429: the account's windows were never full when a call arrived");
            assertTrue(sandbox.maxInAnyWindow(60_000) <= 1_000, "at most 1,000 calls in any 60 s: " + sandbox.maxInAnyWindow(60_000));
            assertTrue(sandbox.maxInAnyWindow(1_000) <= 50, "at most 50 in any second: " + sandbox.maxInAnyWindow(1_000));
            for (String incident : sent) {
                assertTrue(sandbox.createCount(incident) >= 1, "a war room for " + incident);
            }
        }
    }

    static Process spawn(Map<String, String> settings, String which) throws IOException {
        return SeparateJvmApp.spawn(settings, logFile(settings, which));
    }

    static Path logFile(Map<String, String> settings, String which) {
        return Path.of("target", "budget-restart-" + settings.get("consumer.group") + "-" + which + ".log");
    }

    static String log(Map<String, String> settings, String which) throws IOException {
        return Files.readString(logFile(settings, which), StandardCharsets.ISO_8859_1);
    }
}
