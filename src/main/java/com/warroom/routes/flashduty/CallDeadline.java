package com.warroom.routes.flashduty;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.kafka.RecordDeadline;
import org.apache.camel.ExchangeProperty;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;

/**
 * One deadline for the whole exchange of a Flashduty attempt: connection lease, connect, send and
 * every read of the answer together. The HTTP client's own time-outs apply per read, so an answer
 * trickling a byte every few seconds never trips them; it held a record past its deadline, the group
 * took the partition away, and the next owner created the room again.
 * <p>
 * The deadline is the earlier of FLASHDUTY_CALL_TIMEOUT_MS from the attempt's start and the record's
 * deadline plus the one response time-out {@link RecordDeadline} keeps for the attempt that started
 * just before it. Route step {@code flashduty-deadline} ({@link #arm}) sets it for the calling thread
 * (camel-http's classic client runs the exchange on it); the HTTP client's exec interceptor
 * {@link #INTERCEPTOR} (added by {@link FlashdutyAuth}) has the request cancelled at that moment,
 * which closes its connection whatever phase it is in; {@link #disarm} (doFinally) ends it once the
 * answer is read. A cut attempt is a {@code timeout} ({@link FlashdutyResponses#failure}): a
 * create is not sent again, any other call is retried within the record's deadline.
 */
public final class CallDeadline {

    private static final ThreadLocal<Call> CURRENT = new ThreadLocal<>();
    /** cancels the requests whose deadline came; a cancel only closes a socket, it never blocks */
    private static final ScheduledThreadPoolExecutor CUTTER = cutter();

    /** The exec interceptor of the Flashduty HTTP client: the first in its chain. */
    public static final ExecChainHandler INTERCEPTOR = CallDeadline::execute;

    private final long callTimeoutNanos;
    private final long responseTimeoutNanos;

    private static final class Call {
        final long deadlineNanos;
        volatile ScheduledFuture<?> cutter;
        volatile boolean cut;

        Call(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }
    }

    public CallDeadline(Duration callTimeout, Duration responseTimeout) {
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("flashduty.call-timeout-ms must be positive");
        }
        this.callTimeoutNanos = callTimeout.toNanos();
        this.responseTimeoutNanos = responseTimeout.toNanos();
    }

    private static ScheduledThreadPoolExecutor cutter() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "flashduty-call-deadline");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    /** Route step {@code flashduty-deadline}: this attempt's deadline, for the HTTP call made next on this thread. */
    public void arm(@ExchangeProperty(RecordDeadline.PROPERTY) Long recordDeadline) {
        long deadline = System.nanoTime() + callTimeoutNanos;
        if (recordDeadline != null && recordDeadline + responseTimeoutNanos - deadline < 0) {
            deadline = recordDeadline + responseTimeoutNanos;
        }
        disarm();
        CURRENT.set(new Call(deadline));
    }

    /** Route step {@code flashduty-deadline-end} (doFinally): the answer is read, or the attempt failed. */
    public void disarm() {
        Call call = CURRENT.get();
        CURRENT.remove();
        if (call != null && call.cutter != null) {
            call.cutter.cancel(false);
        }
    }

    /** True when this thread's attempt was cut by its deadline (asked by the doCatch, before {@link #disarm}). */
    public static boolean wasCut() {
        Call call = CURRENT.get();
        return call != null && call.cut;
    }

    private static ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        Call call = CURRENT.get();
        if (call != null && call.cutter == null) {
            // the request Camel made: cancelling it aborts the lease or connect, or closes the connection
            // (also while the answer's body is still being read, after this returns)
            Cancellable sent = scope.originalRequest instanceof Cancellable c ? c
                    : scope.execRuntime instanceof Cancellable r ? r : null;
            if (sent != null) {
                call.cutter = CUTTER.schedule(() -> {
                    call.cut = true;
                    sent.cancel();
                }, Math.max(0, call.deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        }
        return chain.proceed(request, scope);
    }
}
