package com.warroom.routes.budget;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.warroom.routes.Backoff;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.observe.BackgroundThreads;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Divides the one account budget among the replicas that run beside the same Kafka cluster, using
 * what the deployment already has: Kafka's group membership. Every replica keeps one idle member in
 * the budget consumer group (subscribed to the ledger topic with every partition paused, so it
 * fetches nothing); the group's members are the live replicas, and the group protocol tells each
 * of them when that set changes. With N members each replica uses 1/N of both windows.
 * <p>
 * A change must never let the replicas together exceed a window, though each one only knows its own
 * calls. So a smaller share applies at once, and a larger one only after the longest window plus a
 * settle time (the calls of a replica that left still count at the server for one window), and a
 * replica that joins others starts with no share for that same time (the others may have used
 * their larger shares within the last window). Until it has joined the group at all, it makes no
 * call. The price is throughput: a replica never borrows an idle replica's share.
 * <p>
 * If the member's Kafka client fails, this replica fails closed: no share (and no Flashduty call,
 * {@link BackgroundThreads}) until a new member has joined, after a backoff that doubles while the
 * failures go on; it then joins like a replica that starts, since the others may have taken its share
 * meanwhile.
 * <p>
 * Supervised by progress, not only by exceptions: a consumer whose brokers are unreachable polls
 * empty without throwing, so every second the member asks for the group's description, and each
 * answer that shows it in the group is progress ({@link BackgroundThreads#progress}); an Error at the
 * thread's root is a failure like any other; a member the group evicted (its session timed out, e.g.
 * during a long GC pause) hears of it in {@code onPartitionsLost} and fails, so it comes back as a
 * replica that joins, with no share for a window.
 * <p>
 * Members publish their {@link BudgetSettings} in their client id. A member that finds another with
 * different settings refuses to take budget (readiness DOWN, one line naming the difference), unless
 * it had already taken its share in agreement with the group before that member came: the group
 * keeps working and the newcomer refuses. A replica started with sharing off joins the group too (an
 * observer that takes no share), so that the others see it and it sees them.
 * <p>
 * Hand-written because no library divides a rate budget by group membership; Kafka does the
 * membership, this class only the arithmetic and the timing.
 */
public final class ReplicaBudgetShare implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaBudgetShare.class);
    private static final Duration POLL = Duration.ofMillis(250);
    /** how often the member asks for the group's description (its progress, the others' settings) */
    private static final long DESCRIBE_NANOS = 1_000_000_000L;
    static final String THREAD = "budget-share";
    /** the budget's close reason until a member with sharing off has compared its settings with the group */
    private static final String UNCOMPARED = "budget-share (settings not compared yet)";

    private final AccountRateBudget budget;
    private final BudgetSettings own;
    /** members already said to publish no settings (one line each) */
    private final java.util.Set<String> silentMembers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final KafkaClientSettings settings;
    private final String group;
    private final String topic;
    private final long holdNanos;
    private final BackgroundThreads threads;
    private final Backoff restartBackoff;
    private Schedule schedule;
    private final LongSupplier clock;
    private volatile boolean closing;
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean membershipChanged;
    private volatile boolean sessionJoined;
    private volatile boolean evicted;
    /** this session took budget in a group that agreed with its settings: a later member that differs refuses, not this one */
    private boolean established;
    private String lastDifference;
    private volatile int applied = -1;
    private volatile KafkaConsumer<byte[], byte[]> member;
    private Thread thread;

    /**
     * {@code own}: this process's budget settings (with sharing off: an observer member that takes no
     * share); {@code nanoClock}: {@link System#nanoTime()} or a test's.
     */
    public ReplicaBudgetShare(AccountRateBudget budget, BudgetSettings own, KafkaClientSettings settings, String group, String topic,
                              long settleMillis, BackgroundThreads threads, Duration initialBackoff, Duration maxBackoff,
                              LongSupplier nanoClock) {
        this.budget = budget;
        this.own = own;
        this.clock = nanoClock;
        this.settings = settings;
        this.group = group;
        this.topic = topic;
        this.holdNanos = TimeUnit.MILLISECONDS.toNanos(budget.longestWindowMillis() + settleMillis);
        this.threads = threads;
        this.restartBackoff = new Backoff(initialBackoff, maxBackoff);
        apply(0); // no call before this replica knows who else shares the account
    }

    public ReplicaBudgetShare(AccountRateBudget budget, BudgetSettings own, KafkaClientSettings settings, String group, String topic,
                              long settleMillis, BackgroundThreads threads, Duration initialBackoff, Duration maxBackoff) {
        this(budget, own, settings, group, topic, settleMillis, threads, initialBackoff, maxBackoff, System::nanoTime);
    }

    /** Joins the budget group in a background thread; the share follows the group from then on. */
    public synchronized void start() {
        if (thread != null) {
            return;
        }
        if (!own.sharing()) {
            budget.closeFor(UNCOMPARED); // it must not use the whole account beside sharing members
        }
        threads.watch(THREAD, true);
        thread = new Thread(this::run, THREAD);
        thread.setDaemon(true);
        thread.start();
    }

    /** How many replicas this process currently divides the budget by (0: no share yet). */
    public int replicas() {
        return applied;
    }

    /** Member sessions, one after the other: a failed client is replaced after a backoff, failing closed meanwhile. */
    private void run() {
        try {
            runUntilClosed();
        } finally {
            threads.unwatch(THREAD);
        }
    }

    /**
     * Any Throwable ends the session as a failure, an Error too: reported, failing closed, and
     * restarted after the backoff like any other failure (the budget stays closed meanwhile, so a
     * restart is safe; a thread that died silently would leave the share as it was).
     */
    private void runUntilClosed() {
        long backoff = restartBackoff.millis(1);
        while (!closing) {
            schedule = new Schedule(holdNanos); // every session joins as a replica that starts
            Throwable failure;
            sessionJoined = false;
            evicted = false;
            established = false;
            try {
                session();
                return; // closing
            } catch (Throwable e) {
                failure = e;
            }
            if (closing) {
                return;
            }
            if (sessionJoined) {
                backoff = restartBackoff.millis(1); // it had run: a new run of failures
            }
            apply(0); // fail closed: this replica no longer knows who else shares the account
            threads.failed(THREAD, failure, true, backoff);
            try {
                if (closed.await(backoff, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            backoff = restartBackoff.after(backoff);
        }
    }

    /** One member, until closing (returns) or its client fails (throws). */
    private void session() {
        Properties p = settings.common(own.clientId()); // the others read this member's budget settings here
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // eager rebalancing: every member hears of every join and leave
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        // a replica that died is noticed within this (its calls then still count for a window)
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             Admin admin = Admin.create(settings.common("war-room-routes-budget-admin"))) {
            member = consumer;
            if (closing) {
                return;
            }
            membershipChanged = false;
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                /** The group evicted this member (its session timed out): the others may have taken its share meanwhile. */
                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    evicted = true;
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    consumer.pause(partitions); // a member, not a reader
                    membershipChanged = true;
                }
            });
            long describedAt = clock.getAsLong();
            while (!closing) {
                consumer.poll(POLL);
                if (evicted) {
                    throw new Evicted(group);
                }
                long now = clock.getAsLong();
                if (membershipChanged || now - describedAt >= DESCRIBE_NANOS) {
                    describedAt = now;
                    ConsumerGroupDescription d = describe(admin);
                    String me = consumer.groupMetadata().memberId();
                    boolean stable = d != null && d.state() == ConsumerGroupState.STABLE;
                    boolean inGroup = stable && d.members().stream().anyMatch(m -> m.consumerId().equals(me));
                    if (d != null && (!stable || inGroup)) {
                        threads.progress(THREAD); // the brokers answered, and (when settled) with this member in the group
                    }
                    if (inGroup) {
                        compareSettings(d, me);
                        if (membershipChanged) {
                            membershipChanged = false;
                            apply(schedule.membership(now, d.members().size()));
                            if (!sessionJoined) {
                                sessionJoined = true;
                                threads.running(THREAD);
                            }
                        }
                    }
                }
                apply(schedule.tick(clock.getAsLong()));
            }
        } catch (WakeupException e) {
            if (closing) {
                return;
            }
            throw e; // woken by someone else than close(): the member is gone all the same
        } finally {
            member = null;
        }
    }

    /** The group's description, or null when the brokers did not answer (mid-rebalance: a state other than STABLE). */
    private ConsumerGroupDescription describe(Admin admin) {
        try {
            return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            LOG.warn("budget group {}: cannot count the replicas ({}); asking again", group, e.getClass().getSimpleName());
            return null;
        }
    }

    /** Refuses the budget while another member publishes other settings, unless this one held the group first. */
    private void compareSettings(ConsumerGroupDescription d, String me) {
        String difference = null;
        for (MemberDescription m : d.members()) {
            if (!m.consumerId().equals(me)) {
                if (!BudgetSettings.publishes(m.clientId()) && silentMembers.add(m.consumerId())) {
                    LOG.warn("budget group {}: member {} publishes no budget settings (an earlier version?); its settings"
                            + " are not compared", group, label(m));
                }
                difference = own.differenceFrom(m.clientId(), label(m));
                if (difference != null) {
                    break;
                }
            }
        }
        if (difference == null) {
            established = true;
            threads.consent(THREAD);
            budget.reopen(UNCOMPARED);
        } else if (!established) {
            threads.refuse(THREAD, difference);
            budget.reopen(UNCOMPARED); // the refusal keeps it closed, under its own name
        } else if (!difference.equals(lastDifference)) {
            LOG.warn("budget group {}: another member's settings differ ({}); it refuses to take budget, this one goes on", group, difference);
        }
        lastDifference = difference;
    }

    /** A member as the readiness line names it: its host and the end of its member id, bounded, no other text of its own. */
    private static String label(MemberDescription m) {
        String host = m.host() == null ? "?" : m.host().replaceAll("[^A-Za-z0-9.:_/-]", "?");
        String id = m.consumerId() == null ? "" : m.consumerId().replaceAll("[^A-Za-z0-9-]", "?");
        return (host.length() > 64 ? host.substring(0, 64) : host) + " (" + (id.length() > 12 ? id.substring(id.length() - 12) : id) + ")";
    }

    /** The group evicted this member. */
    static final class Evicted extends RuntimeException {
        Evicted(String group) {
            super("evicted from the budget group " + group, null, false, false);
        }
    }

    private void apply(int replicas) {
        if (!own.sharing()) {
            return; // an observer: this process uses the whole budget (while no other member refuses it)
        }
        if (replicas == applied) {
            return;
        }
        budget.shareAmong(replicas);
        int[] limits = budget.limits();
        if (applied >= 0 || replicas > 0) {
            LOG.info("budget share: {} replica(s) in group {}; this one may start {} calls in the short window and {} in the long one",
                    replicas == 0 ? "waiting for the other" : replicas, group, limits[0], limits[1]);
        }
        applied = replicas;
    }

    @Override
    public void close() {
        closing = true;
        closed.countDown(); // ends a backoff being waited out
        Thread t;
        synchronized (this) {
            t = thread;
        }
        KafkaConsumer<byte[], byte[]> c = member;
        if (c != null) {
            c.wakeup();
        }
        if (t != null) {
            try {
                t.join(10_000); // the consumer leaves the group on close, so the others rebalance at once
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * When which share applies, from the member counts the group reported. Times are
     * {@link System#nanoTime()} values; {@link #membership} and {@link #tick} return the divisor to
     * apply now (0: no share).
     */
    static final class Schedule {
        private final long holdNanos;
        private boolean joined;
        private int current;
        private int pending = -1;
        private long pendingAt;

        Schedule(long holdNanos) {
            this.holdNanos = holdNanos;
        }

        int membership(long now, int members) {
            int n = Math.max(1, members);
            if (!joined) {
                joined = true;
                if (n == 1) {
                    current = 1; // alone: nobody else's calls to wait for
                } else {
                    later(n, now + holdNanos); // the others may have used larger shares within the window
                }
            } else if (current == 0) {
                // still waiting to start: a replica that left meanwhile counts for a window from now
                later(n, n >= pending ? pendingAt : now + holdNanos);
            } else if (n > current) {
                current = n; // a smaller share: at once
                pending = -1;
            } else if (n < current) {
                later(n, now + holdNanos); // a larger share: once the departed replicas' calls left the window
            } else {
                pending = -1; // back where it was (one left and came back): no change due
            }
            return tick(now);
        }

        int tick(long now) {
            if (pending > 0 && now - pendingAt >= 0) {
                current = pending;
                pending = -1;
            }
            return current;
        }

        private void later(int n, long at) {
            pending = n;
            pendingAt = at;
        }
    }
}
