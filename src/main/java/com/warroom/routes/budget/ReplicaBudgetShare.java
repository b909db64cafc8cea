package com.warroom.routes.budget;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.BackgroundThreads;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.RestartingConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this replica in the budget group, the Kafka consumer group of every replica that shares the
 * account (each keeps one idle member in it, subscribed to the ledger topic with every partition
 * paused, so it fetches nothing). The budget itself is shared through the claims of the budget
 * journal ({@link BudgetJournal}): whoever has waiting calls claims them, so the group serves
 * nothing here but what the journal cannot know: whether the others have the same budget settings.
 * Members publish their {@link BudgetSettings} in their client id; a member that finds another with
 * different settings refuses to take budget (readiness DOWN, one line naming the difference), unless
 * it had already taken budget in agreement with the group before that member came: the group keeps
 * working and the newcomer refuses.
 * <p>
 * Until this replica has joined the group (a few seconds at start), it makes no call: its settings are
 * not compared yet. If the member's Kafka client fails, this replica fails
 * closed (no call, {@link BackgroundThreads}) until a new member has joined, after a backoff that
 * doubles while the failures go on.
 * <p>
 * Supervised by progress, not only by exceptions: a consumer whose brokers are unreachable polls
 * empty without throwing, so every second the member asks for the group's description, and each
 * answer that shows it in the group is progress ({@link BackgroundThreads#progress}); an Error at the
 * thread's root is a failure like any other; a member the group evicted (its session timed out, e.g.
 * during a long GC pause) hears of it in {@code onPartitionsLost} and fails, so it comes back as a
 * replica that joins. A replica started with sharing off joins the group too (an observer that takes
 * the whole budget), so that the others see it and it sees them.
 * <p>
 * Hand-written because no library compares settings across a consumer group; Kafka does the
 * membership, this class only the comparison.
 */
public final class ReplicaBudgetShare implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaBudgetShare.class);
    private static final Duration POLL = Duration.ofMillis(250);
    /** how often the member asks for the group's description (its progress, the others' settings) */
    private static final long DESCRIBE_NANOS = 1_000_000_000L;
    static final String THREAD = "budget-share";
    private final AccountRateBudget budget;
    private final BudgetSettings own;
    private final KafkaClientSettings settings;
    private final String group;
    private final String topic;
    private final LongSupplier clock;
    private final BackgroundThreads threads;
    private volatile boolean membershipChanged;
    private volatile boolean sessionJoined;
    private volatile boolean evicted;
    /** this session took budget in a group that agreed with its settings: a later member that differs refuses, not this one */
    private boolean established;
    private String lastDifference;
    private volatile int members;
    /** counted down when the member first saw itself in the group (or it closed) */
    private final java.util.concurrent.CountDownLatch firstJoin = new java.util.concurrent.CountDownLatch(1);
    private final RestartingConsumer<byte[], byte[]> member;

    /**
     * {@code own}: this process's budget settings (with sharing off: an observer member);
     * {@code nanoClock}: {@link System#nanoTime()} or a test's.
     */
    public ReplicaBudgetShare(AccountRateBudget budget, BudgetSettings own, KafkaClientSettings settings, String group, String topic,
                              BackgroundThreads threads, Duration initialBackoff, Duration maxBackoff, LongSupplier nanoClock) {
        this.own = own;
        this.clock = nanoClock;
        this.settings = settings;
        this.group = group;
        this.topic = topic;
        this.budget = budget;
        this.threads = threads;
        this.member = new RestartingConsumer<>(THREAD, new CompactedTopicView.Restart(threads, true, initialBackoff, maxBackoff),
                this::newMember, this::session);
        if (own.sharing()) {
            budget.closeFor(THREAD); // no call before this replica compared its settings with the group's
        }
    }

    /** Joins the budget group in a background thread. */
    public void start() {
        budget.closeFor(THREAD); // with sharing off too: it must not use the whole account beside sharing members
        member.start(null);
    }

    /**
     * Waits at most {@code max} for the member to be in the group for the first time: the consumers
     * start after it, so a record polled at start does not spend its deadline waiting for the join.
     * True when it joined.
     */
    public boolean awaitFirstJoin(Duration max) throws InterruptedException {
        return firstJoin.await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many members the budget group had when this one last looked (0: not in the group yet). */
    public int members() {
        return members;
    }

    /** A new member: the others read its budget settings in its client id. */
    private KafkaConsumer<byte[], byte[]> newMember() {
        Properties p = settings.common(own.clientId());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // eager rebalancing: every member hears of every join and leave
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        // a replica that died is noticed within this (its calls then still count for a window)
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * One member's session (on {@link RestartingConsumer}'s thread, which replaces a failed member
     * after a backoff, failing closed meanwhile), until closing (returns) or its client fails (throws).
     */
    private void session(KafkaConsumer<byte[], byte[]> consumer) {
        sessionJoined = false;
        evicted = false;
        established = false;
        membershipChanged = false;
        try (Admin admin = Admin.create(settings.common("war-room-routes-budget-admin"))) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                /** The group evicted this member (its session timed out): it fails and joins again, comparing settings anew. */
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
            while (!member.closing()) {
                consumer.poll(POLL);
                if (evicted) {
                    throw new UnknownMemberIdException("evicted from the budget group " + group); // Kafka's word for it
                }
                long now = clock.getAsLong();
                if (membershipChanged || now - describedAt >= DESCRIBE_NANOS) {
                    describedAt = now;
                    ConsumerGroupDescription d = describe(admin);
                    String me = consumer.groupMetadata().memberId();
                    boolean stable = d != null && d.groupState() == GroupState.STABLE;
                    boolean inGroup = stable && d.members().stream().anyMatch(m -> m.consumerId().equals(me));
                    if (d != null && (!stable || inGroup)) {
                        member.progress(); // the brokers answered, and (when settled) with this member in the group
                    }
                    if (inGroup) {
                        compareSettings(d, me);
                        membershipChanged = false;
                        members = d.members().size();
                        if (!sessionJoined) {
                            LOG.info("budget group {}: joined, {} member(s); calls are claimed in the budget journal", group, members);
                            sessionJoined = true;
                            member.running();
                            firstJoin.countDown();
                        }
                    }
                }
            }
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
        String difference = d.members().stream().filter(m -> !m.consumerId().equals(me))
                .map(m -> own.differenceFrom(m.clientId(), label(m))).filter(Objects::nonNull).findFirst().orElse(null);
        if (difference == null) {
            established = true;
            threads.consent(THREAD);
        } else if (!established) {
            threads.refuse(THREAD, difference);
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

    @Override
    public void close() {
        firstJoin.countDown();
        member.close(); // the consumer leaves the group on close, so the others rebalance at once
    }
}
