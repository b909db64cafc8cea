package com.warroom.routes.budget;

import java.util.LinkedHashMap;
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

    /** {@code end}: its stamp plus the span, when its calls have reached Flashduty */
    private record Claim(String key, long end, int calls) {
    }

    private final long spanMillis;
    /** by offset in the journal's claim partition, in its order */
    private final Map<Long, Claim> claims = new LinkedHashMap<>();
    private long overflowUntil = Long.MIN_VALUE;

    ClaimBook(long spanMillis) {
        this.spanMillis = spanMillis;
    }

    /** A claim of {@code calls} calls by {@code key} at {@code offset}, stamped {@code at}. */
    void claim(long offset, String key, long at, int calls) {
        if (calls <= 0) {
            return;
        }
        if (claims.size() >= MAX_CLAIMS) {
            overflowUntil = Math.max(overflowUntil, at + spanMillis);
            return;
        }
        claims.put(offset, new Claim(key, at + spanMillis, Math.min(calls, MAX_CALLS)));
    }

    /** {@code key} says it did not use {@code unused} calls of its claim at {@code offset}; anyone else's word is ignored. */
    void giveBack(long offset, String key, int unused) {
        if (unused > 0) { // a claim replaced keeps its place in the journal's order
            claims.computeIfPresent(offset, (o, c) -> c.key.equals(key) ? new Claim(key, c.end, Math.max(0, c.calls - unused)) : c);
        }
    }

    /** Calls a window of {@code windowMillis} ending now or later may hold, at {@code now} (the broker's time, ms). */
    int held(long windowMillis, long now) {
        if (overflowUntil + windowMillis > now) {
            return Integer.MAX_VALUE / 2;
        }
        long sum = claims.values().stream().filter(c -> c.end + windowMillis > now).mapToLong(Claim::calls).sum();
        return (int) Math.min(sum, Integer.MAX_VALUE / 2);
    }

    /** Milliseconds until {@link #held} for this window falls (Long.MAX_VALUE: not before another record). */
    long millisUntilFall(long windowMillis, long now) {
        long soonest = overflowUntil + windowMillis > now ? overflowUntil + windowMillis - now : Long.MAX_VALUE;
        return Math.min(soonest, claims.values().stream().filter(c -> c.calls > 0).mapToLong(c -> c.end + windowMillis - now)
                .filter(left -> left > 0).min().orElse(Long.MAX_VALUE));
    }

    /** Forgets claims no window of {@code longestMillis} can hold any more. */
    void prune(long longestMillis, long now) {
        claims.values().removeIf(c -> c.end + longestMillis <= now);
    }

    int size() {
        return claims.size();
    }
}
