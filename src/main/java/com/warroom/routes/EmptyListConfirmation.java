package com.warroom.routes;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Whether a complete, well-formed list answer may replace the last good list. A non-empty one may.
 * An empty one only when it is confirmed: the answer before it was empty too, and at least one
 * refresh period earlier. A server or proxy that answers "nothing" once (a bug, a wrong account, a
 * hostile upstream) then cannot wipe the catalog or the templates: every incident skipped, every
 * entry tombstoned. A real "no entries" takes one refresh longer to be believed.
 */
public final class EmptyListConfirmation {

    private final long gapNanos;
    private final LongSupplier nanoClock;
    private boolean emptySeen;
    private long firstEmptyAt;

    public EmptyListConfirmation(Duration refresh, LongSupplier nanoClock) {
        // a period of centuries (past what nanoseconds hold): an empty list is then never believed
        this.gapNanos = refresh.compareTo(Duration.ofNanos(Long.MAX_VALUE)) < 0 ? refresh.toNanos() : Long.MAX_VALUE;
        this.nanoClock = nanoClock;
    }

    /** A complete list of this many entries arrived: may it replace the last good one? */
    public synchronized boolean accepts(int entries) {
        if (entries > 0) {
            emptySeen = false;
            return true;
        }
        long now = nanoClock.getAsLong();
        if (!emptySeen) {
            emptySeen = true;
            firstEmptyAt = now;
            return false;
        }
        return now - firstEmptyAt >= gapNanos;
    }
}
