package com.warroom.routes.flashduty;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.kafka.RecordDeadline;
import org.apache.camel.ExchangeProperty;

/**
 * One deadline for the whole exchange of a Flashduty attempt: connection lease, connect, send and
 * every read of the answer together. The HTTP client's own time-outs apply per read, so an answer
 * trickling a byte every few seconds never trips them; it held a record past its deadline, the group
 * took the partition away, and the next owner created the room again.
 * <p>
 * The deadline is the earlier of FLASHDUTY_CALL_TIMEOUT_MS from the attempt's start and the record's
 * deadline plus the one response time-out {@link RecordDeadline} keeps for the attempt that started
 * just before it. Route step {@code flashduty-deadline} ({@link #arm}) sets it for the calling thread
 * (camel-http's classic client runs the exchange on it); the HTTP client's
 * {@link com.warroom.routes.http.BoundedAnswers} (installed by {@link com.warroom.routes.http.ClientAuth}) cuts the exchange
 * there; {@link #disarm} (doFinally) ends it. A cut attempt is a {@code timeout}
 * ({@link FlashdutyResponses#failure}): a create is not sent again, any other call is retried within the
 * record's deadline.
 */
public final class CallDeadline {

    /** this thread's attempt's deadline, {@link System#nanoTime()} */
    private static final ThreadLocal<Long> CURRENT = new ThreadLocal<>();

    private final long callTimeoutNanos;
    private final long responseTimeoutNanos;

    /** @param callTimeout positive (Settings checks FLASHDUTY_CALL_TIMEOUT_MS) */
    public CallDeadline(Duration callTimeout, Duration responseTimeout) {
        this.callTimeoutNanos = callTimeout.toNanos();
        this.responseTimeoutNanos = responseTimeout.toNanos();
    }

    /** Route step {@code flashduty-deadline}: this attempt's deadline, for the HTTP call made next on this thread. */
    public void arm(@ExchangeProperty(RecordDeadline.PROPERTY) Long recordDeadline) {
        long deadline = System.nanoTime() + callTimeoutNanos;
        if (recordDeadline != null && recordDeadline + responseTimeoutNanos - deadline < 0) {
            deadline = recordDeadline + responseTimeoutNanos;
        }
        CURRENT.set(deadline);
    }

    /** Route step {@code flashduty-deadline-end} (doFinally): the answer is read, or the attempt failed. */
    public void disarm() {
        CURRENT.remove();
    }

    /** Milliseconds left to this thread's attempt (0 when past); -1 when none is armed. */
    public static long millisLeft() {
        Long deadline = CURRENT.get();
        return deadline == null ? -1 : Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }
}
