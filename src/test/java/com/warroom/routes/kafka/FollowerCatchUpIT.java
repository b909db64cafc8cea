package com.warroom.routes.kafka;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A ledger follower restarted after its client failed opens the budget again only once it has applied
 * what was written while it was down (the end offsets seen when it was assigned), not on its first
 * poll: a call started earlier could miss another replica's war room and open a second one.
 */
class FollowerCatchUpIT {

    /** several polls' worth (5,000 records a poll at most) */
    static final int BACKLOG = 30_000;
    /** the restart waits this long: time to write the backlog while the follower is down */
    static final Duration BACKOFF = Duration.ofSeconds(10);

    @Test
    void aRestartedFollowerReopensTheBudgetOnlyOnceItHasAppliedTheBacklog() throws Exception {
        String topic = "catch-up-" + UUID.randomUUID();
        KafkaBroker.shared().createCompactedTopic(topic, 1);
        AccountRateBudget budget = new AccountRateBudget(50, 1000, 1000, 60_000, System::nanoTime);
        BackgroundThreads threads = new BackgroundThreads(budget, new SimpleMeterRegistry(), 30_000, System::nanoTime);
        KafkaClientSettings settings = new KafkaClientSettings(Map.of("bootstrap.servers", KafkaBroker.shared().bootstrapServers()));
        String value = "x".repeat(200);
        try (KafkaTestClient kafka = KafkaTestClient.forSharedBroker();
             CompactedTopicView view = new CompactedTopicView(settings, topic,
                     new CompactedTopicView.Restart(threads, true, BACKOFF, BACKOFF))) {
            kafka.send(topic, "before", value);
            view.load();
            ((KafkaConsumer<?, ?>) field(field(view, "tail"), "client")).wakeup(); // its next poll throws: the follower restarts after the backoff
            await("the follower is reported down").atMost(Duration.ofSeconds(30)).until(() -> !threads.allRunning());
            assertEquals(0, budget.limits()[1], "closed while the follower is down");

            for (int i = 0; i < BACKLOG; i++) {
                kafka.sendAsync(topic, "k" + i, value);
            }
            kafka.flush();
            assertFalse(threads.allRunning(), "the backlog was complete before the follower came back (else raise BACKOFF)");

            // the moment the budget opens again (no sleep: a spin on the condition, with a deadline)
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (budget.limits()[1] == 0) {
                if (System.nanoTime() - deadline > 0) {
                    fail("the follower never came back: " + threads.describe());
                }
                Thread.onSpinWait();
            }
            int missing = 0;
            for (int i = 0; i < BACKLOG; i++) {
                if (view.get("k" + i) == null) {
                    missing++;
                }
            }
            assertEquals(0, missing, "ledger entries written while the follower was down, not yet applied when the budget reopened");
        }
    }

    static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
    }
}
