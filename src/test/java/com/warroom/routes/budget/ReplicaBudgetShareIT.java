package com.warroom.routes.budget;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.BackgroundThreads;
import com.warroom.routes.support.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Budget-group members on a real broker (no app around them: the member, its budget and its
 * supervisor are what is tested): an Error in the member's loop, an eviction by the group, and a
 * member whose budget settings differ from the group's.
 */
class ReplicaBudgetShareIT {

    static final Duration WAIT = Duration.ofSeconds(60);
    /** short windows: a joining member waits one long window plus the settle time */
    static final int PER_SECOND = 10;
    static final int PER_MINUTE = 40;
    static final long SECOND_WINDOW = 200;
    static final long MINUTE_WINDOW = 1000;

    final String group = "budget-it-" + UUID.randomUUID();
    final String topic = "budget-it-ledger-" + UUID.randomUUID();
    final List<Member> members = new ArrayList<>();

    /** One replica's budget, supervisor and member. */
    final class Member implements AutoCloseable {
        final AccountRateBudget budget;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final BackgroundThreads threads;
        final ReplicaBudgetShare share;

        Member(int perMinute, boolean sharing, LongSupplier clock) {
            budget = new AccountRateBudget(PER_SECOND, perMinute, SECOND_WINDOW, MINUTE_WINDOW, System::nanoTime);
            threads = new BackgroundThreads(budget, registry, 30_000, System::nanoTime);
            KafkaClientSettings kafka = new KafkaClientSettings(Map.of("bootstrap.servers", KafkaBroker.shared().bootstrapServers()));
            share = new ReplicaBudgetShare(budget, new BudgetSettings(PER_SECOND, perMinute, SECOND_WINDOW, MINUTE_WINDOW, sharing),
                    kafka, group, topic, threads, Duration.ofMillis(500), Duration.ofSeconds(2), clock);
            members.add(this);
            share.start();
        }

        double failures() {
            return registry.counter("war.room.background.thread.failures", "thread", ReplicaBudgetShare.THREAD).count();
        }

        /** Whether a call could start now. */
        boolean mayCall() throws InterruptedException {
            AccountRateBudget.Permit p = budget.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(50), null);
            if (p == null) {
                return false;
            }
            p.release();
            return true;
        }

        @Override
        public void close() {
            share.close();
        }
    }

    Member member(int perMinute, boolean sharing) {
        return new Member(perMinute, sharing, System::nanoTime);
    }

    @AfterEach
    void close() {
        members.forEach(Member::close);
    }

    private void createTopic() {
        KafkaBroker.shared().createTopic(topic, 3);
    }

    @Test
    void anErrorInTheMembersLoopIsReportedFailsClosedAndTheMemberComesBack() throws Exception {
        createTopic();
        AtomicBoolean inject = new AtomicBoolean();
        Member m = new Member(PER_MINUTE, true, () -> {
            if (inject.getAndSet(false)) {
                throw new AssertionError("injected"); // an Error, as a StackOverflowError or an assert would be
            }
            return System.nanoTime();
        });
        await("alone in the group").atMost(WAIT).until(() -> m.budget.limits()[1] == PER_MINUTE && m.threads.allRunning());
        assertTrue(m.mayCall());

        inject.set(true);
        await("the Error is reported").atMost(WAIT).until(() -> !m.threads.allRunning());
        assertTrue(m.threads.describe().contains("budget-share=AssertionError"), m.threads.describe());
        assertEquals(0, m.budget.limits()[1], "failed closed");

        await("the member comes back").atMost(WAIT).until(() -> m.threads.allRunning() && m.budget.limits()[1] == PER_MINUTE);
        assertTrue(m.mayCall());
    }

    @Test
    void anEvictedMemberFailsAndJoinsAgainAsAReplicaThatStarts() throws Exception {
        createTopic();
        Member a = member(PER_MINUTE, true);
        Member b = member(PER_MINUTE, true);
        await("both in the group").atMost(WAIT).until(() -> a.share.members() == 2 && b.share.members() == 2
                && a.budget.limits()[1] == PER_MINUTE && b.budget.limits()[1] == PER_MINUTE);

        // what a session time-out does (e.g. a long GC pause), done by the group's coordinator on request
        try (Admin admin = Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers()))) {
            admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions()).all().get(30, TimeUnit.SECONDS);
        }
        await("the evicted members notice").atMost(WAIT).until(() -> a.failures() >= 1 && b.failures() >= 1);
        await("and share again").atMost(WAIT).until(() -> a.share.members() == 2 && b.share.members() == 2
                && a.threads.allRunning() && b.threads.allRunning());
        assertTrue(a.mayCall() && b.mayCall(), "claims, no fixed share: each may call");
    }

    @Test
    void aMemberWhoseSettingsDifferFromTheGroupsRefusesTheBudgetAndSaysWhy() throws Exception {
        createTopic();
        Member a = member(PER_MINUTE, true);
        await("a alone").atMost(WAIT).until(() -> a.budget.limits()[1] == PER_MINUTE && a.threads.allRunning());

        Member b = member(30, true);
        await("b refuses").atMost(WAIT).until(() -> !b.threads.allRunning());
        String why = b.threads.describe();
        assertTrue(why.contains("budget-share=flashduty.rate-per-minute: 30 here, 40 at member "), why);
        assertTrue(!why.contains("war-room-routes-budget"), "names the setting, not the client id: " + why);
        assertTrue(!b.mayCall(), "the mismatched replica makes no call");
        await("a counts b and goes on").atMost(WAIT).until(() -> a.share.members() == 2);
        assertTrue(a.threads.allRunning(), a.threads.describe());
        assertTrue(a.mayCall(), "the group goes on with its own settings");

        Member c = member(PER_MINUTE, false); // FLASHDUTY_BUDGET_SHARING=false beside sharing replicas
        await("c refuses").atMost(WAIT).until(() -> !c.threads.allRunning());
        assertTrue(c.threads.describe().contains("flashduty.budget-sharing: false here, true at member "), c.threads.describe());
        assertTrue(!c.mayCall(), "a replica that does not share makes no call beside sharing ones");
        assertTrue(a.threads.allRunning(), a.threads.describe());

        b.close();
        c.close();
        await("a alone again").atMost(WAIT).until(() -> a.share.members() == 1);
        assertTrue(a.mayCall());
    }

    @Test
    void aReplicaWithoutSharingAloneInItsGroupUsesTheWholeBudget() throws Exception {
        createTopic();
        Member c = member(PER_MINUTE, false);
        await("it compared its settings with the (empty) group").atMost(WAIT).until(c::mayCall);
        assertTrue(c.threads.allRunning(), c.threads.describe());
        assertEquals(PER_MINUTE, c.budget.limits()[1]);
    }
}
