package com.warroom.routes.budget;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import com.warroom.routes.sandbox.FlashdutySandbox;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class AccountRateBudgetTest {

    private static final long MS = 1_000_000L;

    /** A clock the test moves by hand. */
    static final class FakeClock {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        long now() {
            return nanos.get();
        }

        void at(long millis) {
            nanos.set(1_000_000_000L + millis * MS);
        }
    }

    private static AccountRateBudget.Permit now(AccountRateBudget b) throws InterruptedException {
        return b.acquire(10, 0, TimeUnit.NANOSECONDS.toNanos(0), null);
    }

    @Test
    void shortWindowHoldsUntilOneWindowAfterTheAnswer() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(5, 20, 100, 1000, clock::now);
        for (int i = 0; i < 5; i++) {
            now(b).release();
        }
        assertNull(now(b), "a 6th call in the same 100 ms");
        clock.at(99);
        assertNull(now(b));
        clock.at(100);
        assertNotNull(now(b), "the first slots free one window after their answers");
    }

    @Test
    void aPauseAfterRequestTooFrequentlyHoldsEveryCallUntilItEnds() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(5, 20, 100, 1000, clock::now);
        assertNotNull(now(b), "a fresh budget is not paused");
        b.pause(500);
        assertNull(now(b), "paused, though both windows have room");
        b.pause(100);
        clock.at(499);
        assertNull(now(b), "a shorter pause never shortens a longer one");
        clock.at(500);
        assertNotNull(now(b), "free again when the pause is over");
    }

    @Test
    void longWindowCapsTheBurstThenWaitsForTheFirstCallsToLeaveIt() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(5, 20, 100, 1000, clock::now);
        for (int t = 0; t < 400; t += 100) {
            clock.at(t);
            for (int i = 0; i < 5; i++) {
                now(b).release();
            }
        }
        clock.at(400);
        assertNull(now(b), "20 calls already in the long window");
        clock.at(999);
        assertNull(now(b));
        clock.at(1000);
        for (int i = 0; i < 5; i++) {
            assertNotNull(now(b), "the calls of t=0 left the long window");
        }
        assertNull(now(b), "but only those five");
    }

    @Test
    void callsInFlightHoldTheirSlotsWhateverTheLatency() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(5, 20, 100, 1000, clock::now);
        List<AccountRateBudget.Permit> slow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            slow.add(now(b));
        }
        clock.at(500);
        assertNull(now(b), "five calls still waiting for their answers");
        slow.forEach(AccountRateBudget.Permit::release);
        clock.at(599);
        assertNull(now(b));
        clock.at(600);
        assertNotNull(now(b));
    }

    @Test
    void releaseIsIdempotent() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(1, 10, 100, 1000, clock::now);
        AccountRateBudget.Permit p = now(b);
        p.release();
        p.release();
        assertEquals(0, b.inFlight());
        clock.at(100);
        assertNotNull(now(b));
        assertNull(now(b), "a double release did not make room for a second call");
    }

    @Test
    void concurrentCallersNeverExceedEitherWindow() throws Exception {
        int perShort = 5;
        int perLong = 12;
        long shortMs = 60;
        long longMs = 300;
        AccountRateBudget b = new AccountRateBudget(perShort, perLong, shortMs, longMs, System::nanoTime);
        List<Long> sent = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            done.add(pool.submit(() -> {
                AccountRateBudget.Permit p = b.acquire(10, 0, Long.MAX_VALUE, null);
                sent.add(System.nanoTime());
                LockSupport.parkNanos((long) (Math.random() * 3 * MS)); // the call's latency
                p.release();
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        List<Long> sorted = new ArrayList<>(sent);
        Collections.sort(sorted);
        assertEquals(40, sorted.size());
        assertTrue(maxIn(sorted, shortMs) <= perShort, "short window: " + maxIn(sorted, shortMs));
        assertTrue(maxIn(sorted, longMs) <= perLong, "long window: " + maxIn(sorted, longMs));
        assertEquals(perLong, maxIn(sorted, longMs), "the budget was the bottleneck");
    }

    @Test
    void theWindowCheckerCatchesWhatATokenBucketLetsThrough() {
        // a bucket of 12 refilling 12 per 300 ms: a full burst at t=0, and 12 more within the same 300 ms
        List<Long> bucket = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            bucket.add(0L);
        }
        for (int i = 1; i <= 12; i++) {
            bucket.add(i * 24 * MS);
        }
        assertEquals(24, maxIn(bucket, 300), "twice the limit in one window");
    }

    @Test
    void warRoomCreationIsServedBeforeOtherWaitingCalls() throws Exception {
        AccountRateBudget b = new AccountRateBudget(1, 100, 40, 10_000, System::nanoTime);
        AccountRateBudget.Permit held = b.acquire(0, 0, Long.MAX_VALUE, null);
        List<String> order = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (String name : List.of("template-1", "template-2")) {
            done.add(pool.submit(() -> {
                AccountRateBudget.Permit p = b.acquire(10, 0, Long.MAX_VALUE, null);
                order.add(name);
                p.release();
                return null;
            }));
            int expected = done.size();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.waiting() == expected);
        }
        done.add(pool.submit(() -> {
            AccountRateBudget.Permit p = b.acquire(0, 0, Long.MAX_VALUE, null);
            order.add("create");
            p.release();
            return null;
        }));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.waiting() == 3);
        held.release();
        for (Future<?> f : done) {
            f.get(10, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(List.of("create", "template-1", "template-2"), order);
    }

    @Test
    void anInterruptedWaiterLeavesTheQueue() throws Exception {
        AccountRateBudget b = new AccountRateBudget(1, 10, 10_000, 60_000, System::nanoTime);
        b.acquire(0, 0, Long.MAX_VALUE, null);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                b.acquire(10, 0, Long.MAX_VALUE, null);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        waiter.start();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.waiting() == 1);
        waiter.interrupt();
        waiter.join(5000);
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertEquals(0, b.waiting());
    }

    /**
     * A retry's backoff is waited outside the queue (a call due now goes first) and ends as soon as the process
     * stops (issue 25: the backoff held SIGTERM's stop): an InterruptedException, nothing granted, nobody left waiting.
     */
    @Test
    void aBackoffHoldsNoWaiterBehindItAndEndsWhenTheProcessStops() throws Exception {
        AccountRateBudget b = new AccountRateBudget(5, 20, 100, 1000, System::nanoTime);
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<AccountRateBudget.Permit> backingOff = pool.submit(() -> b.acquire(0, TimeUnit.HOURS.toNanos(1), Long.MAX_VALUE, stopping::get));
            assertNotNull(b.acquire(10, 0, 0, null), "a call due now is not held behind the backoff");
            assertFalse(backingOff.isDone(), "the backoff is still being waited");
            stopping.set(true);
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> backingOff.get(30, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedException.class, e.getCause());
            assertEquals(0, b.waiting());
            assertEquals(1, b.permitsGranted());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A journal whose writes block until the test lets them go: each reservation covers {@code perWrite}
     * permits; {@code failing} makes a write end without one.
     */
    static final class BlockingJournal implements AccountRateBudget.Journal {
        final java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        final int perWrite;
        volatile boolean failing;
        private int covered;

        BlockingJournal(int covered, int perWrite) {
            this.covered = covered;
            this.perWrite = perWrite;
        }

        @Override
        public synchronized boolean take() {
            if (covered > 0) {
                covered--;
                return true;
            }
            return false;
        }

        @Override
        public void reserve(long timeoutNanos, int waiting, int room) throws InterruptedException {
            writes.incrementAndGet();
            writing.countDown();
            letGo.await();
            if (!failing) {
                synchronized (this) {
                    covered += perWrite;
                }
            }
        }
    }

    @Test
    void aJournalWriteBlocksNeitherReleasesNorPausesNorTheGauges() throws Exception {
        AccountRateBudget b = new AccountRateBudget(100, 1000, 1000, 60_000, System::nanoTime);
        BlockingJournal journal = new BlockingJournal(1, 2);
        b.journal(journal);
        AccountRateBudget.Permit first = b.acquire(10, 0, Long.MAX_VALUE, null); // covered by the reservation the journal holds
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            Future<AccountRateBudget.Permit> needsWrite = pool.submit(() -> b.acquire(0, 0, Long.MAX_VALUE, null));
            assertTrue(journal.writing.await(30, TimeUnit.SECONDS), "the second call needs a reservation written");
            Future<AccountRateBudget.Permit> waitsForIt = pool.submit(() -> b.acquire(10, 0, Long.MAX_VALUE, null));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> b.waiting() == 2);
            // while the write is still blocked, everything else the budget offers answers
            Future<String> others = pool.submit(() -> {
                first.release();
                b.pause(1);
                b.closeFor("test");
                int[] closed = b.limits();
                b.reopen("test");
                return b.inFlight() + "/" + b.waiting() + "/" + b.permitsGranted() + "/" + closed[0];
            });
            assertEquals("0/2/1/0", others.get(30, TimeUnit.SECONDS), "in flight/waiting/granted/limit while closed");
            assertEquals(1, journal.letGo.getCount(), "all of that while the write was still blocked");
            assertFalse(needsWrite.isDone() || waitsForIt.isDone(), "no call granted before its reservation is written");
            journal.letGo.countDown();
            assertNotNull(needsWrite.get(30, TimeUnit.SECONDS));
            assertNotNull(waitsForIt.get(30, TimeUnit.SECONDS), "the waiter behind it used the same reservation");
            assertEquals(1, journal.writes.get(), "one write for both");
            assertEquals(3, b.permitsGranted());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedJournalWriteGrantsNothingAndTheCallEndsAtItsDeadline() throws Exception {
        AccountRateBudget b = new AccountRateBudget(100, 1000, 1000, 60_000, System::nanoTime);
        BlockingJournal journal = new BlockingJournal(0, 10);
        journal.failing = true;
        journal.letGo.countDown();
        b.journal(journal);
        assertNull(b.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(300), null), "no reservation, no permit");
        assertTrue(journal.writes.get() >= 1);
        assertEquals(0, b.permitsGranted());
        assertEquals(0, b.waiting(), "the waiter left the queue at its deadline");
        journal.failing = false;
        assertNotNull(b.acquire(0, 0, TimeUnit.SECONDS.toNanos(30), null), "the next write succeeds: calls go on");
    }

    // ---- the ceiling for calls other than war-room creation (issue 22, item 6) -------------------

    private static AccountRateBudget.Permit warRoomNow(AccountRateBudget b) throws InterruptedException {
        return b.acquire(0, 0, TimeUnit.NANOSECONDS.toNanos(0), null);
    }

    @Test
    void aFloodOfOtherCallsTakesNoMoreThanItsShareOfEitherWindow() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(10, 40, 100, 1000, clock::now);
        b.capOthers(50); // others: 5 of the 10 per short window, 20 of the 40 per long one
        for (int t = 0; t < 400; t += 100) {
            clock.at(t);
            int granted = 0;
            for (AccountRateBudget.Permit p = now(b); p != null && granted < 10; p = now(b)) {
                p.release(); // as many as the budget lets through, each answered at once
                granted++;
            }
            assertEquals(5, granted, "the flood at t=" + t + " took only its share of the short window");
        }
        clock.at(400);
        assertNull(now(b), "20 other calls in the long window: its share of it is spent, the short window is free");
        for (int i = 0; i < 10; i++) {
            AccountRateBudget.Permit p = warRoomNow(b);
            assertNotNull(p, "war-room creation still has the rest of both windows, at once (call " + i + ")");
            p.release();
        }
        assertNull(warRoomNow(b), "but no more than the account's short window");
        clock.at(1000);
        assertNotNull(now(b), "the others' first calls left the long window");
    }

    @Test
    void aWarRoomCallArrivingDuringAFloodOfWaitingOthersIsGrantedAtOnce() throws Exception {
        AccountRateBudget b = new AccountRateBudget(4, 100, 10_000, 60_000, System::nanoTime);
        b.capOthers(50);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<AccountRateBudget.Permit>> flood = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                flood.add(pool.submit(() -> b.acquire(10, 0, Long.MAX_VALUE, null)));
            }
            // two got the others' share of the 10 s window, the rest wait for it
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> b.waiting() == 4 && b.inFlight() == 2);
            assertNotNull(warRoomNow(b), "granted without waiting, four others queued before it");
            assertNotNull(warRoomNow(b), "and the rest of the window is war rooms' too");
            assertNull(warRoomNow(b), "the account's own limit still holds");
            assertEquals(4, b.waiting(), "no other call got in beside them");
            assertEquals(2, flood.stream().filter(Future::isDone).count());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theCeilingRoundsDownAndNeverLetsTheTotalPastTheWindow() throws Exception {
        FakeClock clock = new FakeClock();
        AccountRateBudget b = new AccountRateBudget(5, 20, 100, 1000, clock::now);
        b.capOthers(50); // the others: 2 and 10
        now(b).release();
        now(b).release();
        assertNull(now(b), "the others' half of the window, rounded down");
        for (int i = 0; i < 3; i++) {
            warRoomNow(b).release();
        }
        assertNull(warRoomNow(b), "the window's limit is the limit for war rooms too");
        clock.at(100);
        for (int i = 0; i < 5; i++) {
            assertNotNull(warRoomNow(b), "war rooms first in the next window");
        }
        assertNull(now(b), "and the others never go past the share war rooms left: the total stays the account's");
        AccountRateBudget c = new AccountRateBudget(5, 20, 100, 1000, clock::now);
        c.capOthers(1); // 0 of 5 per short window would leave the others nothing at all: one call
        now(c).release();
        assertNull(now(c), "at least one call per window, and no more");
        assertThrows(IllegalArgumentException.class, () -> b.capOthers(0));
        assertThrows(IllegalArgumentException.class, () -> b.capOthers(101));
    }

    private static int maxIn(List<Long> sorted, long windowMillis) {
        return FlashdutySandbox.maxIn(sorted, windowMillis);
    }

    /** A permit within 200 ms (time for a claim to be written), or null. */
    private static AccountRateBudget.Permit soon(AccountRateBudget b) throws InterruptedException {
        return b.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(200), null);
    }

    /** Other replicas' claims, as a journal that follows them reports: settable, and it says when they change. */
    static final class OthersJournal implements AccountRateBudget.Journal {
        final java.util.Map<Long, Integer> held = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicInteger claimed = new java.util.concurrent.atomic.AtomicInteger();
        volatile int lastWanted;
        private Runnable onChange = () -> { };
        private int covered;

        @Override
        public synchronized boolean take() {
            if (covered > 0) {
                covered--;
                return true;
            }
            return false;
        }

        @Override
        public void reserve(long timeoutNanos, int waiting, int room) {
            int wanted = Math.min(waiting, room);
            lastWanted = wanted;
            claimed.addAndGet(wanted);
            synchronized (this) {
                covered += wanted;
            }
        }

        volatile int wanting;
        final java.util.concurrent.atomic.AtomicInteger wants = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public int othersHeld(long windowMillis) {
            return held.getOrDefault(windowMillis, 0);
        }

        @Override
        public int othersWanting() {
            return wanting;
        }

        @Override
        public synchronized boolean covers(long inNanos) {
            return covered > 0;
        }

        @Override
        public int ownClaimed(long windowMillis) {
            return claimed.get(); // every claim of this test is within its windows
        }

        @Override
        public long want() {
            wants.incrementAndGet();
            return TimeUnit.MILLISECONDS.toNanos(50);
        }

        @Override
        public void onChange(Runnable r) {
            onChange = r;
        }

        void others(long windowMillis, int calls) {
            held.put(windowMillis, calls);
            onChange.run();
        }
    }

    /** The others' claims leave this process the rest of each window; when they fall, a waiting call starts at once. */
    @Test
    void otherReplicasClaimsLeaveTheRestOfEachWindow() throws Exception {
        AccountRateBudget b = new AccountRateBudget(5, 20, 1000, 60_000, System::nanoTime);
        OthersJournal others = new OthersJournal();
        b.journal(others);
        others.others(1000, 3);
        assertNotNull(soon(b));
        assertNotNull(soon(b));
        assertNull(soon(b), "3 claimed by the others and 2 of ours fill the short window of 5");
        others.others(60_000, 18);
        others.others(1000, 0);
        assertNull(soon(b), "the long window: 18 claimed by the others and 2 of ours fill 20");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<AccountRateBudget.Permit> waiting = pool.submit(() -> b.acquire(0, 0, Long.MAX_VALUE, null));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> b.waiting() == 1);
            assertFalse(waiting.isDone());
            others.others(60_000, 10); // a give-back, or claims aging out: the journal says so
            assertNotNull(waiting.get(5, TimeUnit.SECONDS), "the waiting call starts when the others' claims fall");
        } finally {
            pool.shutdownNow();
        }
    }

    /** A claim covers the calls waiting, no more than both windows have room for beside the others' claims. */
    @Test
    void aClaimCoversTheWaitingCallsWithinTheRoomLeft() throws Exception {
        AccountRateBudget b = new AccountRateBudget(50, 1000, 1000, 60_000, System::nanoTime);
        OthersJournal others = new OthersJournal();
        b.journal(others);
        assertNotNull(soon(b));
        assertEquals(1, others.lastWanted, "one call waiting: a claim of one");
        others.others(60_000, 996); // 3 left in the long window, 1 of them ours
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<AccountRateBudget.Permit>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    return b.acquire(0, 0, TimeUnit.MILLISECONDS.toNanos(300), null);
                }));
            }
            start.countDown();
            int granted = 0;
            for (java.util.concurrent.Future<AccountRateBudget.Permit> c : calls) {
                granted += c.get(5, TimeUnit.SECONDS) == null ? 0 : 1;
            }
            assertEquals(3, granted, "1000 - 996 claimed by the others - 1 of ours");
            assertTrue(others.claimed.get() <= 4, "claims never cover more than the room left: " + others.claimed.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * While another process waits for room, this one keeps to its even part of each window (so a busy
     * replica cannot starve one that needs a little); and a process the others' claims block says that it waits.
     */
    @Test
    void whileAnotherReplicaWaitsThisOneKeepsToItsEvenPart() throws Exception {
        AccountRateBudget b = new AccountRateBudget(100, 10, 1000, 60_000, System::nanoTime);
        OthersJournal others = new OthersJournal();
        b.journal(others);
        for (int i = 0; i < 5; i++) {
            assertNotNull(soon(b), "call " + i);
        }
        others.wanting = 1;
        assertNull(soon(b), "5 of 10 held: the even part of two, while the other waits");
        others.wanting = 0;
        assertNotNull(soon(b), "nobody waits: the rest of the window");
        assertEquals(0, others.wants.get(), "not blocked by the others: nothing to say");
        others.others(60_000, 4); // 6 ours + 4 theirs: full
        assertNull(soon(b));
        assertTrue(others.wants.get() >= 2, "blocked by the others' claims: it says so, again while it waits: " + others.wants.get());
    }
}
