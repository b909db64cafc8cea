package com.warroom.routes.flashduty;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.budget.DeadlineExceeded;
import com.warroom.routes.http.AnswerDeadlinePassed;
import com.warroom.routes.http.AnswerTooLarge;
import com.warroom.routes.kafka.RecordDeadline;
import org.apache.camel.Body;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static com.warroom.routes.flashduty.FlashdutyCallState.PATH;
import static com.warroom.routes.flashduty.FlashdutyCallState.PRIORITY;

/**
 * The bean steps of one Flashduty call (routes/40-flashduty-call.yaml): each takes the values it needs
 * and returns what the route stores. {@link #judge} reads the answer ({@link Envelope}), asks the
 * {@link RetryPolicy} and keeps {@link FlashdutyHealth} up to date, and returns the call's {@link Attempt}.
 */
public final class FlashdutyResponses {

    private static final Logger LOG = LoggerFactory.getLogger(FlashdutyResponses.class);

    static final String RATE_LIMITED = "RequestTooFrequently";
    public static final String CONNECTION_ERROR = "connection_error";
    public static final String TIMEOUT = "timeout";
    public static final String NO_RESPONSE = "no_response";
    public static final String INVALID_RESPONSE = "invalid_response";
    /** a create answered by something other than Flashduty (a gateway's 502/504, a proxy's 500): it may have opened the room */
    public static final String OUTCOME_UNKNOWN = "outcome_unknown";
    /** the record's deadline passed before any attempt could be made (it waited for the budget throughout) */
    public static final String DEADLINE_EXCEEDED = "deadline_exceeded";
    /** the answer passed FLASHDUTY_MAX_ANSWER_BYTES (inflated or not): its read stopped there; a create's is {@value #OUTCOME_UNKNOWN} */
    public static final String ANSWER_TOO_LARGE = "answer_too_large";
    /** the one call that must not be repeated when its outcome is unknown */
    static final String CREATE = "/incident/war-room/create";

    private final ObjectMapper mapper;
    private final AccountRateBudget budget;
    private final RetryPolicy policy;
    private final FlashdutyHealth health = new FlashdutyHealth();

    public FlashdutyResponses(ObjectMapper mapper, AccountRateBudget budget, RetryPolicy policy) {
        this.mapper = mapper;
        this.budget = budget;
        this.policy = policy;
    }

    /** Step {@code flashduty-no-attempt-yet}: the call before its first attempt, one due now. */
    public Attempt begin() {
        return Attempt.NONE;
    }

    /**
     * Step {@code flashduty-budget}: the attempt's backoff, then a slot in the account budget, waiting no longer than
     * the record's deadline ({@link DeadlineExceeded}: nothing is sent). When Camel starts to stop (SIGTERM) either
     * wait ends at once with an InterruptedException: nothing is sent, the record is not committed and is handled
     * again by its partition's next owner (a retry only follows an answer that opened nothing, or no answer at all).
     */
    public AccountRateBudget.Permit acquire(@Variable("flashdutyAttempt") Attempt attempt, @ExchangeProperty(PRIORITY) Integer priority,
                                            @ExchangeProperty(RecordDeadline.PROPERTY) Long recordDeadline, CamelContext camel)
            throws InterruptedException, DeadlineExceeded {
        long left = recordDeadline == null ? Long.MAX_VALUE : recordDeadline - System.nanoTime();
        AccountRateBudget.Permit permit = left <= 0 ? null
                : budget.acquire(priority == null ? AccountRateBudget.DEFAULT_PRIORITY : priority,
                        TimeUnit.MILLISECONDS.toNanos(attempt == null ? 0 : attempt.backoffMillis()), left, camel::isStopping);
        if (permit == null) {
            throw new DeadlineExceeded();
        }
        return permit;
    }

    /** Step {@code flashduty-release} (doFinally): the answer came back, or the attempt failed. */
    public void release(@Variable("flashdutyPermit") AccountRateBudget.Permit permit) {
        if (permit != null) {
            permit.release();
        }
    }

    /**
     * Step {@code flashduty-transport-error} (doCatch): the kind of transport failure, never its text (it
     * may hold a URI). {@value #CONNECTION_ERROR}: never sent, safe to repeat; {@value #TIMEOUT} and
     * {@value #NO_RESPONSE}: sent, outcome unknown; {@value #ANSWER_TOO_LARGE}: answered past the cap.
     */
    public String failure(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof AnswerDeadlinePassed) {
                return TIMEOUT; // cut by its whole-exchange deadline (CallDeadline), whatever the socket said
            }
            if (t instanceof AnswerTooLarge) {
                return ANSWER_TOO_LARGE;
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof org.apache.hc.client5.http.ConnectTimeoutException
                    || t instanceof org.apache.hc.core5.http.ConnectionRequestTimeoutException) {
                return CONNECTION_ERROR;
            }
            if (t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                return TIMEOUT;
            }
        }
        return NO_RESPONSE;
    }

    /**
     * Step {@code flashduty-classify}: the call after this attempt, from its answer or {@code failure}
     * ({@link #failure}, or {@value #DEADLINE_EXCEEDED} when the record's time ran out before it was sent).
     */
    public Attempt judge(@Variable("flashdutyAttempt") Attempt previous, @Variable("flashdutyFailure") String failure,
                         @ExchangeProperty(PATH) String path, @ExchangeProperty(PRIORITY) Integer priority,
                         @ExchangeProperty(RecordDeadline.PROPERTY) Long recordDeadline,
                         @Header(Exchange.HTTP_RESPONSE_CODE) Integer status, @Header("Flashcat-Request-Id") String requestId,
                         @Header("Retry-After") String retryAfter, @Body Object body) {
        Attempt last = previous == null ? Attempt.NONE : previous;
        boolean warRoom = priority != null && priority <= AccountRateBudget.WAR_ROOM_PRIORITY;
        boolean create = CREATE.equals(path);
        if (DEADLINE_EXCEEDED.equals(failure)) {
            // not sent: the call ends with the last attempt's outcome, if there was one
            if (RATE_LIMITED.equals(last.code())) {
                health.gaveUpRateLimited(warRoom, path, last.number());
            }
            return fail(path, last.code() != null ? last : new Attempt(0, 0, false, 0, null, DEADLINE_EXCEEDED,
                    "the record's time ran out waiting for the rate budget", null, null));
        }
        Envelope answer = failure != null ? Envelope.none(failure, create)
                : Envelope.read(mapper, status == null ? 0 : status, requestId, retryAfter, body, create);
        boolean rateLimited = RATE_LIMITED.equals(answer.code());
        Attempt next = last.then(answer, rateLimited);
        if (answer.succeeded()) {
            health.succeeded();
            return next.ended();
        }
        health.failed(next.code());
        if (rateLimited) {
            if (budget != null) { // every call waits, not just this one
                budget.pause(policy.rateLimitedPauseMillis(answer.retryAfter(), next.rateLimited()));
            }
            if (next.rateLimited() < policy.rateLimitedAttempts(health.inRateLimitedRun(warRoom))) {
                return retry(path, warRoom, recordDeadline, next);
            }
            health.gaveUpRateLimited(warRoom, path, next.number());
        } else if (policy.outcomeUnknown(next.code(), create)) {
            LOG.warn("Flashduty {} sent, outcome unknown ({}); not repeated, the war room may exist", path, next.code());
        } else if (RetryPolicy.isTransient(next.code(), answer.status())) {
            int failures = next.number() - next.rateLimited();
            if (failures < policy.attempts(health.isDown(warRoom))) {
                return retry(path, warRoom, recordDeadline, next.after(policy.backoffMillis(failures, next.code())));
            }
            health.gaveUp(warRoom, path, next.code(), next.number());
        }
        return fail(path, next);
    }

    private Attempt retry(String path, boolean warRoom, Long recordDeadline, Attempt next) {
        if (!RetryPolicy.beforeDeadline(recordDeadline, next.backoffMillis())) {
            LOG.warn("Flashduty {} answered {} (attempt {}); the record's deadline comes first, no retry", path, next.code(), next.number());
            if (RATE_LIMITED.equals(next.code())) {
                health.gaveUpRateLimited(warRoom, path, next.number());
            }
            return fail(path, next);
        }
        LOG.info("Flashduty {} answered {} (attempt {}), retrying in {} ms", path, next.code(), next.number(), next.backoffMillis());
        return next;
    }

    private static Attempt fail(String path, Attempt last) {
        LOG.warn("Flashduty {} failed: {} (request_id {}, attempts {})", path, last.code(),
                last.requestId() == null ? "-" : last.requestId(), last.number());
        return last.ended();
    }

    public FlashdutyHealth health() {
        return health;
    }
}
