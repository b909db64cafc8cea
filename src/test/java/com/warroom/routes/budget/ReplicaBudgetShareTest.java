package com.warroom.routes.budget;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** When a replica's share of the account budget changes, as the budget group's membership changes. */
class ReplicaBudgetShareTest {

    private static final long HOLD = 65_000;
    private final ReplicaBudgetShare.Schedule schedule = new ReplicaBudgetShare.Schedule(HOLD);

    @Test
    void aReplicaAloneUsesTheWholeBudgetAtOnce() {
        assertEquals(1, schedule.membership(0, 1));
    }

    @Test
    void aReplicaJoiningOthersWaitsOneHoldThenTakesItsShare() {
        assertEquals(0, schedule.membership(0, 3), "the others may have used larger shares within the window");
        assertEquals(0, schedule.tick(HOLD - 1));
        assertEquals(3, schedule.tick(HOLD));
    }

    @Test
    void moreReplicasShrinkTheShareAtOnce() {
        schedule.membership(0, 1);
        assertEquals(2, schedule.membership(10, 2));
        assertEquals(3, schedule.membership(20, 3));
    }

    @Test
    void fewerReplicasGrowTheShareOnlyAfterTheHold() {
        schedule.membership(0, 1);
        schedule.membership(10, 3);
        assertEquals(3, schedule.membership(1_000, 2), "the replica that left still has calls in the window");
        assertEquals(3, schedule.tick(1_000 + HOLD - 1));
        assertEquals(2, schedule.tick(1_000 + HOLD));
    }

    @Test
    void aReplicaThatLeavesAndComesBackCancelsTheGrowth() {
        schedule.membership(0, 1);
        schedule.membership(10, 2);
        schedule.membership(1_000, 1);
        assertEquals(2, schedule.membership(2_000, 2));
        assertEquals(2, schedule.tick(1_000 + HOLD + 1), "no growth is due any more");
    }

    @Test
    void aSecondDepartureRestartsTheHold() {
        schedule.membership(0, 1);
        schedule.membership(10, 3);
        schedule.membership(1_000, 2);
        assertEquals(3, schedule.membership(30_000, 1));
        assertEquals(3, schedule.tick(1_000 + HOLD), "the second replica's calls still count");
        assertEquals(1, schedule.tick(30_000 + HOLD));
    }

    @Test
    void aDepartureWhileWaitingToStartPostponesTheStart() {
        schedule.membership(0, 3);
        assertEquals(0, schedule.membership(30_000, 2));
        assertEquals(0, schedule.tick(HOLD), "the one that left may have called until it left");
        assertEquals(2, schedule.tick(30_000 + HOLD));
    }

    @Test
    void anArrivalWhileWaitingKeepsTheStartTimeWithTheSmallerShare() {
        schedule.membership(0, 2);
        assertEquals(0, schedule.membership(30_000, 3));
        assertEquals(3, schedule.tick(HOLD));
    }

    @Test
    void theBudgetTakesTheShareOfBothWindowsAndHoldsEveryCallWithoutOne() throws Exception {
        AccountRateBudget budget = new AccountRateBudget(50, 1000, 1000, 60_000);
        budget.shareAmong(3);
        assertEquals(16, budget.limits()[0]);
        assertEquals(333, budget.limits()[1]);
        budget.shareAmong(0);
        assertEquals(null, budget.tryAcquire(0, 50, java.util.concurrent.TimeUnit.MILLISECONDS), "no share, no call");
        budget.shareAmong(1);
        assertEquals(50, budget.limits()[0]);
        budget.tryAcquire(0, 1, java.util.concurrent.TimeUnit.SECONDS).release();
    }
}
