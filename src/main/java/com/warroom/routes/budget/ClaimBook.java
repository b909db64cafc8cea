package com.warroom.routes.budget;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The calls the other processes of a budget group announced in the budget journal and may still
 * make the account count, read in the journal's order. A claim stamped {@code at} by the broker
 * covers calls that reach Flashduty between {@code at} and {@code at + span}; a window of length W
 * can hold one of them while {@code at + span + W} is later than now. Returns (a claimer's own
 * record saying it did not use part of a claim) lower a claim, never raise it.
 * <p>
 * Bounded: at most {@value #MAX_CLAIMS} claims are kept; past that (only a writer that is not one
 * of ours could write so many within a window) every window counts as full until they age out, so
 * the book fails closed rather than forgetting calls.
 */
final class ClaimBook {

    static final int MAX_CLAIMS = 100_000;
    /** no claim counts more calls than this (a record's number is not trusted further) */
    static final int MAX_CALLS = 10_000;

    private static final class Claim {
        final long offset;
        final String key;
        final long at;
        final long span;
        int calls;

        Claim(long offset, String key, long at, long span, int calls) {
            this.offset = offset;
            this.key = key;
            this.at = at;
            this.span = span;
            this.calls = calls;
        }
    }

    private final ArrayDeque<Claim> claims = new ArrayDeque<>();
    private final Map<Long, Claim> byOffset = new HashMap<>();
    private long overflowUntil = Long.MIN_VALUE;

    /**
     * A claim of {@code calls} calls by {@code key}, stamped {@code at}, reaching Flashduty within
     * {@code span} ms of it; {@code offset} in the journal's claim partition, or -1 (a record of an
     * earlier version elsewhere, which nothing gives back).
     */
    void claim(long offset, String key, long at, long span, int calls) {
        if (calls <= 0) {
            return;
        }
        Claim c = new Claim(offset, key, at, span, Math.min(calls, MAX_CALLS));
        if (claims.size() >= MAX_CLAIMS) {
            overflowUntil = Math.max(overflowUntil, at + span);
            return;
        }
        claims.addLast(c);
        if (offset >= 0) {
            byOffset.put(offset, c);
        }
    }

    /** {@code key} says it did not use {@code unused} calls of its claim at {@code offset}; anyone else's word is ignored. */
    void giveBack(long offset, String key, int unused) {
        Claim c = byOffset.get(offset);
        if (c != null && c.key.equals(key) && unused > 0) {
            c.calls = Math.max(0, c.calls - unused);
        }
    }

    /** Calls a window of {@code windowMillis} ending now or later may hold, at {@code now} (the broker's time, ms). */
    int held(long windowMillis, long now) {
        if (overflowUntil + windowMillis > now) {
            return Integer.MAX_VALUE / 2;
        }
        long sum = 0;
        for (Claim c : claims) {
            if (c.at + c.span + windowMillis > now) {
                sum += c.calls;
            }
        }
        return (int) Math.min(sum, Integer.MAX_VALUE / 2);
    }

    /** Milliseconds until {@link #held} for this window falls (Long.MAX_VALUE: not before another record). */
    long millisUntilFall(long windowMillis, long now) {
        long soonest = Long.MAX_VALUE;
        if (overflowUntil + windowMillis > now) {
            soonest = overflowUntil + windowMillis - now;
        }
        for (Claim c : claims) {
            long end = c.at + c.span + windowMillis;
            if (end > now && c.calls > 0) {
                soonest = Math.min(soonest, end - now);
            }
        }
        return soonest;
    }

    /** Forgets claims no window of {@code longestMillis} can hold any more. */
    void prune(long longestMillis, long now) {
        Iterator<Claim> it = claims.iterator();
        while (it.hasNext()) {
            Claim c = it.next();
            if (c.at + c.span + longestMillis <= now) {
                it.remove();
                byOffset.remove(c.offset);
            }
        }
    }

    int size() {
        return claims.size();
    }
}
