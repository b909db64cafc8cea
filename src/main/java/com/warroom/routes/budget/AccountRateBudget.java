package com.warroom.routes.budget;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import com.warroom.routes.kafka.BackgroundThreads;

/**
 * The one account rate budget every Flashduty call of the process passes: at most N1 calls in ANY
 * window of length W1 and at most N2 in ANY window of length W2 (50 per second and 1,000 per minute),
 * as the server counts arrivals, whatever the latency.
 * <p>
 * A call holds a slot in every window from just before it is sent until one window length after its
 * answer came back; so call k+N can only be sent after call k's answer plus the window, and the server
 * can never see more than N arrivals in a window. Waiting calls are served by priority (lower first:
 * war-room creation is 0), first come first served within one; only the head of the queue may take a
 * slot, so a lower priority never overtakes a waiting higher one. It waits; it never drops.
 * <p>
 * Calls other than war-room creation (priority above {@value #WAR_ROOM_PRIORITY}: template lookups,
 * the template sync, the catalog refresh) may hold at most {@link #capOthers a share} of each window
 * between them, counted the same way, so a flood of them that came first still leaves the rest of
 * both windows to war rooms; war-room creation may use the whole of each window. The ceiling only
 * ever holds calls back: the account limits above stay as they are.
 * <p>
 * Hand-written because a token bucket lets capacity + rate x T through in a window T (up to 2x the
 * limit), Camel's Throttle EIP was measured doing the same, and no well-kept library holds two
 * sliding windows with hold-until-answer semantics and priorities.
 */
public final class AccountRateBudget implements BackgroundThreads.Gate {

    public static final int DEFAULT_PRIORITY = 10;
    /** war-room creation (and the catalog load a first event waits for): never held by the ceiling for others */
    public static final int WAR_ROOM_PRIORITY = 0;

    private final Window[] windows;
    private final LongSupplier clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>(Comparator.comparingInt(Waiter::priority).thenComparingLong(Waiter::seq));
    private long sequence;
    /** no call before this (nanoTime): Flashduty answered RequestTooFrequently, the account is over its limit (another client?) */
    private long pausedUntil;
    /** why no call may start at all now (a background thread the guarantees rely on is down); guarded by lock */
    private final java.util.Set<String> closedBy = new java.util.HashSet<>();
    /** must cover every permit before it is granted (the usage journal: {@link BudgetJournal}) */
    private volatile Journal journal = Journal.NONE;
    /** a waiter is writing a claim outside the lock; the others wait for it; guarded by lock */
    private boolean reserving;
    /** the share of each window calls above WAR_ROOM_PRIORITY may hold, in percent; guarded by lock */
    private int othersPercent = 100;

    /**
     * Something that must know of a call before it may start. A write to it (Kafka, up to tens of
     * seconds) never happens under the lock: releases, pauses, closes and the gauges would wait for it.
     */
    public interface Journal {
        /** no journal: every call is covered */
        Journal NONE = () -> true;

        /** Under the lock, quick: true (and taken) when a claim already written and read back covers one more call now. */
        boolean take();

        /**
         * Outside the lock, one caller at a time: writes a new claim for the {@code waiting} calls
         * (more if recent demand was higher), never for more than {@code room} (what both windows
         * leave), waiting at most {@code timeoutNanos} (a write that failed: the journal says why in its
         * health). It may throw to refuse the permit outright. Whatever it does, only {@link #take()}
         * grants a call.
         */
        default void reserve(long timeoutNanos, int waiting, int room) throws InterruptedException {
        }

        /** Under the lock: after a failed write, how long before the next one is worth trying (0: now). */
        default long nanosUntilRetry() {
            return 0;
        }

        /** Under the lock, quick: calls other processes claimed that a window of this length, ending now or later, may hold. */
        default int othersHeld(long windowMillis) {
            return 0;
        }

        /** Under the lock: nanoseconds until {@link #othersHeld} falls for this window (MAX_VALUE: not before news). */
        default long nanosUntilOthersFall(long windowMillis) {
            return Long.MAX_VALUE;
        }

        /** Under the lock, quick: how many other processes said lately that they wait for room (and got none since). */
        default int othersWanting() {
            return 0;
        }

        /**
         * Under the lock, quick: says (at most every few hundred ms, without waiting) that this process
         * waits for room; returns the nanoseconds until it should be said again.
         */
        default long want() {
            return Long.MAX_VALUE;
        }

        /** Under the lock, quick: this process's own claims as the others count them in a window of this length. */
        default int ownClaimed(long windowMillis) {
            return 0;
        }

        /** Under the lock: nanoseconds until {@link #ownClaimed} falls for this window (MAX_VALUE: never). */
        default long nanosUntilOwnClaimsFall(long windowMillis) {
            return Long.MAX_VALUE;
        }

        /** How long a claim covers calls after its write starts (0: a claim never runs out). */
        default long claimValidityNanos() {
            return 0;
        }

        /** Under the lock: whether a claim already read back still covers a call {@code inNanos} from now. */
        default boolean covers(long inNanos) {
            return true;
        }

        /** Where to say that the others' claims changed (never called with the journal's own lock held). */
        default void onChange(Runnable r) {
        }
    }
    private final AtomicLong granted = new AtomicLong();
    /** told each granted call's wait (nanoseconds): war_room_flashduty_budget_wait_seconds */
    private volatile LongConsumer waits = nanos -> { };

    public AccountRateBudget(int perSecond, int perMinute, long secondWindowMillis, long minuteWindowMillis, LongSupplier nanoClock) {
        if (perSecond < 1 || perMinute < 1 || secondWindowMillis < 1 || minuteWindowMillis < 1) {
            throw new IllegalArgumentException("rate limits and window lengths must be positive");
        }
        this.windows = new Window[] {
            new Window(perSecond, TimeUnit.MILLISECONDS.toNanos(secondWindowMillis)),
            new Window(perMinute, TimeUnit.MILLISECONDS.toNanos(minuteWindowMillis))
        };
        this.clock = nanoClock;
        this.pausedUntil = nanoClock.getAsLong();
    }

    /** How often a waiting call asks whether it should give up (its process stops). */
    private static final long ABANDON_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /**
     * Waits {@code backoffNanos} (a retry's backoff, outside the queue: no waiter is held behind it), then for a slot
     * in every window (the permit must be released when the answer came back, or the call failed), in all no longer
     * than the timeout (null; Long.MAX_VALUE: none), or until {@code abandon} (asked every 200 ms; null: never) says
     * to give up: then an InterruptedException, the wait being cut short, the thread not interrupted.
     */
    public Permit acquire(int priority, long backoffNanos, long timeoutNanos, java.util.function.BooleanSupplier abandon)
            throws InterruptedException {
        long start = clock.getAsLong();
        lock.lockInterruptibly();
        Waiter me = null;
        try {
            for (long due = backoffNanos; due > 0; due = backoffNanos - (clock.getAsLong() - start)) {
                giveUpIf(abandon);
                changed.awaitNanos(abandon != null ? Math.min(due, ABANDON_CHECK_NANOS) : due);
            }
            me = new Waiter(priority, sequence++);
            waiters.add(me);
            long queued = clock.getAsLong();
            while (true) {
                giveUpIf(abandon);
                long now = clock.getAsLong();
                long left = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : timeoutNanos - (now - start);
                boolean head = waiters.peek() == me;
                long freeIn = head ? nanosUntilFree(now, me.capped()) : Long.MAX_VALUE;
                // a call the journal does not know of must not start
                if (freeIn == 0 && !reserving && journal.take()) {
                    return grant(me, now - queued);
                }
                if (left <= 0) {
                    return null;
                }
                long nap;
                if (freeIn == 0) {
                    // without a claim covering it, the head writes one with the lock let go (the others wait for it),
                    // unless another waiter's write is under way, or the last one failed a moment ago
                    nap = reserving ? Long.MAX_VALUE : journal.nanosUntilRetry();
                    if (nap == 0) {
                        reserve(left, waiters.size(), room(now));
                        continue;
                    }
                } else {
                    nap = freeIn;
                    if (head && blockedByOthers(now)) {
                        nap = Math.min(nap, journal.want()); // the others then keep to their even part until this process got room
                    }
                    // a slot frees within half a claim's validity: write the claim now, so the call starts the moment it does
                    // (not while another process waits: the slot is its turn)
                    if (head && freeIn <= journal.claimValidityNanos() / 2 && left > freeIn && !reserving
                            && journal.othersWanting() == 0 && journal.nanosUntilRetry() == 0 && !journal.covers(freeIn)) {
                        reserve(left, waiters.size(), room(now));
                        continue;
                    }
                }
                nap = Math.min(nap, abandon != null ? Math.min(left, ABANDON_CHECK_NANOS) : left);
                if (nap == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    changed.awaitNanos(nap);
                }
            }
        } finally {
            // granted, timed out, abandoned or refused by the journal: the next waiter may become head
            if (me != null && waiters.remove(me)) {
                changed.signalAll();
            }
            lock.unlock();
        }
    }

    private static void giveUpIf(java.util.function.BooleanSupplier abandon) throws InterruptedException {
        if (abandon != null && abandon.getAsBoolean()) {
            throw new InterruptedException("the process stops: the call waiting for its backoff or the rate budget is not made");
        }
    }

    /** Under the lock: the head {@code me} takes a slot in every window (it leaves the queue in acquire's finally). */
    private Permit grant(Waiter me, long waited) {
        for (Window w : windows) {
            w.all.inFlight++;
            if (me.capped()) {
                w.others.inFlight++;
            }
        }
        granted.incrementAndGet();
        waits.accept(waited);
        return new Permit(me.capped());
    }

    /**
     * Called with the lock held; lets it go while the journal writes a claim, and holds it again
     * on return, whatever happened. Whether the write succeeded is seen by the caller's next
     * {@link Journal#take()}: a failed write grants nothing.
     */
    private void reserve(long timeoutNanos, int waiting, int room) throws InterruptedException {
        reserving = true;
        lock.unlock();
        try {
            journal.reserve(timeoutNanos, waiting, room);
        } finally {
            lock.lock();
            reserving = false;
            changed.signalAll();
        }
    }

    /** Under the lock: whether the other processes' claims hold part of a window this process has no room in now. */
    private boolean blockedByOthers(long now) {
        return closedBy.isEmpty() && Arrays.stream(windows).anyMatch(w -> {
            int others = journal.othersHeld(w.lengthMillis());
            return others > 0 && w.room(now, 0, others) == 0;
        });
    }

    /**
     * Under the lock: how many calls this process may start in both windows, beside the others'
     * claims, within a claim's validity from now (at least 1): the size a new claim is worth.
     */
    private int room(long now) {
        int room = Integer.MAX_VALUE;
        int wanting = journal.othersWanting();
        for (Window w : windows) {
            room = Math.min(room, w.room(now, journal.claimValidityNanos(), journal.othersHeld(w.lengthMillis())));
            room = Math.min(room, w.fairCap(wanting) - journal.ownClaimed(w.lengthMillis())); // no cap while nobody else waits
        }
        return Math.max(1, room);
    }

    /**
     * 0 when a call may start now; else how long until the earliest slot frees (MAX_VALUE: when a call
     * finishes). A {@code capped} call (not war-room creation) also needs room under the others' ceiling.
     */
    private long nanosUntilFree(long now, boolean capped) {
        if (!closedBy.isEmpty()) {
            return Long.MAX_VALUE; // until reopen() signals
        }
        long wait = Math.max(0, pausedUntil - now); // nanoTime values compare only by difference
        int wanting = journal.othersWanting();
        // while others wait for room, this process claims no more than its even part of each window, as the others
        // count its claims (so a busy replica cannot starve one that needs a little); a claim it holds it may use
        boolean yielding = wanting > 0 && !journal.covers(0);
        for (Window w : windows) {
            // the other processes' claims leave this process the rest of the window
            long windowMillis = w.lengthMillis();
            int others = journal.othersHeld(windowMillis);
            long own = w.all.nanosUntilBelow(w.limit - others, now);
            if (own == 0 && yielding && journal.ownClaimed(windowMillis) >= w.fairCap(wanting)) {
                own = journal.nanosUntilOwnClaimsFall(windowMillis);
            }
            if (own > 0 && (others > 0 || wanting > 0)) {
                own = Math.min(own, journal.nanosUntilOthersFall(windowMillis));
            }
            wait = Math.max(wait, own);
            if (capped) {
                wait = Math.max(wait, w.others.nanosUntilBelow(w.othersLimit(othersPercent), now));
            }
        }
        return wait;
    }

    private void release(boolean capped) {
        change(() -> {
            long now = clock.getAsLong(); // read under the lock, so free-at times stay in order
            for (Window w : windows) {
                w.all.release(now + w.lengthNanos);
                if (capped) {
                    w.others.release(now + w.lengthNanos);
                }
            }
        });
    }

    /** Changes what waiters depend on, under the lock; then every waiter looks again. */
    private void change(Runnable change) {
        locked(() -> {
            change.run();
            changed.signalAll();
            return null;
        });
    }

    private <T> T locked(java.util.function.Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Flashduty said RequestTooFrequently: the account is over its limit, perhaps because of another
     * client of the same account. No call of this process starts before the given wait is over.
     */
    public void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        change(() -> {
            long until = clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(millis);
            if (until - pausedUntil > 0) {
                pausedUntil = until;
            }
        });
    }

    /**
     * Lets calls other than war-room creation (priority above {@value #WAR_ROOM_PRIORITY}) hold at most
     * {@code percent} of each window between them, rounded down, but at least one call per window.
     * {@code 100}: no ceiling. War-room creation may still use the whole window.
     */
    public void capOthers(int percent) {
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException("the others' share must be 1 to 100 percent");
        }
        change(() -> othersPercent = percent);
    }

    /** Tells {@code j} of every call before it starts. */
    public void journal(Journal j) {
        this.journal = j;
        j.onChange(() -> change(() -> { })); // the others' claims changed: every waiter looks again
    }

    /**
     * Fails closed: no call starts until every {@code reason} given here is {@link #reopen reopened}
     * (calls already sent finish). Used while a background thread the guarantees rely on is down.
     */
    public void closeFor(String reason) {
        change(() -> closedBy.add(reason));
    }

    public void reopen(String reason) {
        change(() -> closedBy.remove(reason));
    }

    /** The calls this process may currently start in each window, shortest window first (0 while closed). */
    public int[] limits() {
        return locked(() -> closedBy.isEmpty() ? new int[] {windows[0].limit, windows[1].limit} : new int[] {0, 0});
    }

    /** The longest window length, in milliseconds. */
    public long longestWindowMillis() {
        return TimeUnit.NANOSECONDS.toMillis(Math.max(windows[0].lengthNanos, windows[1].lengthNanos));
    }

    // ---- observability ---------------------------------------------------------------------------

    public long permitsGranted() {
        return granted.get();
    }

    public void observeWaits(LongConsumer waitedNanos) {
        waits = waitedNanos;
    }

    public int waiting() {
        return locked(waiters::size);
    }

    public int inFlight() {
        return locked(() -> windows[0].all.inFlight);
    }

    /** A held slot; {@link #release()} is idempotent, so a finally block may call it unconditionally. */
    public final class Permit {
        private final AtomicBoolean released = new AtomicBoolean();
        /** held under the others' ceiling (not war-room creation) */
        private final boolean capped;

        private Permit(boolean capped) {
            this.capped = capped;
        }

        public void release() {
            if (released.compareAndSet(false, true)) {
                AccountRateBudget.this.release(capped);
            }
        }
    }

    /** One window: the calls holding its slots, all of them and those under the others' ceiling (a subset). */
    private static final class Window {
        final int limit;
        final long lengthNanos;
        final Slots all = new Slots();
        final Slots others = new Slots();

        Window(int limit, long lengthNanos) {
            this.limit = limit;
            this.lengthNanos = lengthNanos;
        }

        long lengthMillis() {
            return TimeUnit.NANOSECONDS.toMillis(lengthNanos);
        }

        /** The most this process may hold of the window while {@code wanting} other processes wait for room: an even part. */
        int fairCap(int wanting) {
            return wanting <= 0 ? Integer.MAX_VALUE : Math.max(1, limit / (wanting + 1));
        }

        /** The calls this process may start in the window within {@code withinNanos}, beside {@code others} claimed by other processes. */
        int room(long now, long withinNanos, int others) {
            return Math.max(0, limit - others - all.heldAt(now, now + withinNanos));
        }

        int othersLimit(int percent) {
            return Math.max(1, (int) ((long) limit * percent / 100));
        }
    }

    /** Calls holding slots of a window: those in flight, and the free-at times of those answered, ascending (nanoTime). */
    private static final class Slots {
        int inFlight;
        final ArrayDeque<Long> freeAt = new ArrayDeque<>();

        void release(long at) {
            inFlight--;
            freeAt.addLast(at); // released in time order under the lock
        }

        /** Calls still holding a slot at {@code at} (not before {@code now}). */
        int heldAt(long now, long at) {
            expire(now);
            return inFlight + (int) freeAt.stream().filter(t -> t - at > 0).count(); // nanoTime values compare by difference
        }

        /** 0 when fewer than {@code limit} slots are held; else how long until enough free (MAX_VALUE: when a call finishes or news comes). */
        long nanosUntilBelow(int limit, long now) {
            expire(now);
            int mustExpire = inFlight + freeAt.size() - limit + 1; // the oldest finished calls free up first
            if (mustExpire <= 0) {
                return 0;
            }
            if (limit <= 0 || mustExpire > freeAt.size()) {
                return Long.MAX_VALUE;
            }
            return Math.max(1, freeAt.stream().skip(mustExpire - 1).findFirst().orElseThrow() - now);
        }

        private void expire(long now) {
            while (!freeAt.isEmpty() && freeAt.peekFirst() - now <= 0) {
                freeAt.pollFirst();
            }
        }
    }

    private record Waiter(int priority, long seq) {

        boolean capped() {
            return priority > WAR_ROOM_PRIORITY;
        }
    }
}
