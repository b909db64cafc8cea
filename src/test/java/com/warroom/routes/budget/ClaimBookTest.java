package com.warroom.routes.budget;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How long another process's claim counts, in which window, and what a give-back may change. */
class ClaimBookTest {

    private static final long SPAN = BudgetJournal.SPAN_MILLIS;
    private final ClaimBook book = new ClaimBook(SPAN);

    /** A claim stamped T reaches Flashduty by T + span: a window of W holds it until T + span + W, not a moment longer. */
    @Test
    void aClaimCountsInAWindowUntilItsSpanAndTheWindowHavePassed() {
        book.claim(7, "b", 10_000, 10);
        assertEquals(10, book.held(1_000, 10_000));
        assertEquals(10, book.held(1_000, 10_000 + SPAN + 999));
        assertEquals(0, book.held(1_000, 10_000 + SPAN + 1_000), "out of the short window");
        assertEquals(10, book.held(60_000, 10_000 + SPAN + 1_000), "still in the long one");
        assertEquals(0, book.held(60_000, 10_000 + SPAN + 60_000));
        assertEquals(SPAN + 1_000, book.millisUntilFall(1_000, 10_000));
    }

    @Test
    void onlyTheClaimerGivesBackAndNeverMoreThanItClaimed() {
        book.claim(7, "b", 10_000, 10);
        book.giveBack(7, "c", 10);
        assertEquals(10, book.held(1_000, 10_000), "another writer's word changes nothing");
        book.giveBack(7, "b", 6);
        assertEquals(4, book.held(1_000, 10_000));
        book.giveBack(7, "b", 60);
        assertEquals(0, book.held(1_000, 10_000), "a claim never goes below 0");
        book.giveBack(99, "b", 1);
        assertEquals(0, book.held(1_000, 10_000));
    }

    @Test
    void pruneForgetsOnlyWhatNoWindowHolds() {
        book.claim(1, "b", 0, 1);
        book.claim(2, "b", 50_000, 2);
        book.prune(60_000, SPAN + 60_000);
        assertEquals(1, book.size());
        assertEquals(2, book.held(60_000, SPAN + 60_000));
    }

    /** A flood of claims no replica of ours would write: every window counts as full until they age out, nothing is forgotten. */
    @Test
    void aBookOverflowingFailsClosed() {
        for (int i = 0; i < ClaimBook.MAX_CLAIMS + 1; i++) {
            book.claim(i, "x", 10_000, 1);
        }
        assertTrue(book.held(1_000, 10_000) >= 1_000_000, "counted as full");
        assertEquals(0, book.held(1_000, 10_000 + SPAN + 1_000), "until the overflowing claims aged out of the window");
    }
}
