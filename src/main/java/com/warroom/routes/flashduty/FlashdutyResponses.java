package com.warroom.routes.flashduty;

import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.Backoff;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.http.AnswerTooLarge;
import com.warroom.routes.kafka.RecordDeadline;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static com.warroom.routes.flashduty.FlashdutyCallState.*;

/**
 * Reads Flashduty's envelope and decides, on {@code error.code} rather than the HTTP status,
 * whether a call succeeded, failed for good, or is retried and after how long.
 * <ul>
 * <li>{@code RequestTooFrequently}: the whole budget pauses for {@code Retry-After} (else the backoff),
 * then the call is retried.</li>
 * <li>{@code InternalError}, {@code ServiceUnavailable}, {@code UndonedOrderExist}, {@code RequestLocked},
 * time-outs and connection errors: bounded retries with exponential backoff and jitter. A war-room
 * create whose outcome is unknown is not repeated (unless configured for time-outs): sent but never
 * answered, or answered without Flashduty's envelope (a gateway's 502/504 may come after the backend
 * opened the room: {@value #OUTCOME_UNKNOWN}). A second create could open a second room.</li>
 * <li>an answer larger than FLASHDUTY_MAX_ANSWER_BYTES ({@value #ANSWER_TOO_LARGE}): terminal; for a create
 * {@value #OUTCOME_UNKNOWN} (Flashduty answered, the room may exist), never sent again.</li>
 * <li>every other code (ResourceNotFound arrives as HTTP 400): terminal.</li>
 * </ul>
 * When a call ran out of retries on a transient error, Flashduty is taken as down: later calls get one
 * attempt each until one succeeds, so a long outage turns a backlog into {@code failed} results
 * (replayable) instead of stalling the consumer past {@code max.poll.interval.ms}. A run of
 * {@code RequestTooFrequently} that outlasts a call's rate-limited attempts is taken the same way:
 * later calls get one attempt each until an answer other than 429 comes. And a call of a consumed
 * record never retries past the record's deadline ({@link com.warroom.routes.kafka.RecordDeadline}):
 * it fails with its last code, or {@value #DEADLINE_EXCEEDED} when it never got to be sent.
 * <p>
 * Both states are kept per class of caller: war-room creation (priority
 * {@value AccountRateBudget#WAR_ROOM_PRIORITY}) and the rest (template lookups, the sync, the catalog
 * refresh). A war-room call that ran out sets both; any other sets only the others', so a flood of
 * template lookups failing cannot cut war-room creation to one attempt. Any success, or any answer
 * other than 429, clears both: Flashduty answers.
 */
public final class FlashdutyResponses {

    private static final Logger LOG = LoggerFactory.getLogger(FlashdutyResponses.class);

    static final Set<String> RETRYABLE = Set.of("InternalError", "ServiceUnavailable", "UndonedOrderExist", "RequestLocked");
    /** calls that must not be repeated when their outcome is unknown (sent, but no answer) */
    static final Set<String> NOT_IDEMPOTENT = Set.of("/incident/war-room/create");
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

    private final ObjectMapper mapper;
    private final int maxAttempts;
    private final int rateLimitedAttempts;
    private final Backoff backoff;
    /** indexes of the per-class states below */
    private static final int WAR_ROOMS = 0;
    private static final int OTHERS = 1;
    private final AtomicBoolean[] flashdutyDown = {new AtomicBoolean(), new AtomicBoolean()};
    private final AtomicBoolean[] rateLimitedRun = {new AtomicBoolean(), new AtomicBoolean()};
    private final AtomicBoolean unauthorized = new AtomicBoolean();
    private final AtomicLong rateLimitedAnswers = new AtomicLong();
    private final AccountRateBudget budget;
    private final boolean retryCreateAfterTimeout;

    public FlashdutyResponses(ObjectMapper mapper, AccountRateBudget budget, int maxAttempts, int rateLimitedAttempts,
                              Duration initialBackoff, Duration maxBackoff, boolean retryCreateAfterTimeout) {
        if (maxAttempts < 1 || rateLimitedAttempts < 1) {
            throw new IllegalArgumentException("retry attempts must be at least 1");
        }
        this.mapper = mapper;
        this.budget = budget;
        this.retryCreateAfterTimeout = retryCreateAfterTimeout;
        this.maxAttempts = maxAttempts;
        this.rateLimitedAttempts = rateLimitedAttempts;
        long initialMillis = Math.max(1, initialBackoff.toMillis());
        this.backoff = new Backoff(Duration.ofMillis(initialMillis), Duration.ofMillis(Math.max(initialMillis, maxBackoff.toMillis())));
    }

    /** Starts a call: keeps the request body for every attempt and clears the previous call's outcome. */
    public void begin(Exchange exchange) {
        exchange.setProperty(REQUEST_BODY, exchange.getMessage().getBody(String.class));
        exchange.setProperty(NEXT_ATTEMPT, Boolean.TRUE);
        exchange.setProperty(BACKOFF_MILLIS, 0L);
        exchange.setProperty(ATTEMPTS, 0);
        exchange.setProperty(RATE_LIMITED_ATTEMPTS, 0);
        for (String p : new String[] {OUTCOME, DATA, REQUEST_ID, ERROR_CODE, ERROR_MESSAGE, HTTP_STATUS, TRANSPORT_ERROR}) {
            exchange.removeProperty(p);
        }
    }

    /** Called from doCatch: remembers what kind of transport failure it was, never its text (it may hold a URI). */
    public void transportError(Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        // connection_error: the request never left (safe to repeat); timeout / no_response: it was
        // sent and its outcome is unknown
        String kind = NO_RESPONSE;
        // cut by its whole-exchange deadline (CallDeadline): taken as a time-out, whatever the socket said
        for (Throwable t = CallDeadline.wasCut() ? null : caught; t != null; t = t.getCause()) {
            if (t instanceof AnswerTooLarge) {
                // sent and answered, but past the cap (BoundedAnswers): the rest was never read
                kind = ANSWER_TOO_LARGE;
                break;
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof org.apache.hc.client5.http.ConnectTimeoutException
                    || t instanceof org.apache.hc.core5.http.ConnectionRequestTimeoutException) {
                kind = CONNECTION_ERROR;
                break;
            }
            if (t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout")) {
                kind = TIMEOUT;
                break;
            }
        }
        exchange.setProperty(TRANSPORT_ERROR, CallDeadline.wasCut() ? TIMEOUT : kind);
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT);
        exchange.setException(null);
    }

    /** Called from doCatch when the record's deadline passed while the call waited for the budget: nothing was sent. */
    public void deadlineReached(Exchange exchange) {
        exchange.setProperty(TRANSPORT_ERROR, DEADLINE_EXCEEDED);
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT);
        exchange.setException(null);
    }

    /** After an attempt: success, terminal failure, or another attempt after {@link FlashdutyCallState#BACKOFF_MILLIS}. */
    public void classify(Exchange exchange) {
        Message msg = exchange.getMessage();
        String transport = exchange.getProperty(TRANSPORT_ERROR, String.class);
        exchange.removeProperty(TRANSPORT_ERROR);
        if (DEADLINE_EXCEEDED.equals(transport)) {
            // not sent: the outcome is the last attempt's (if there was one), the call ends here
            if (exchange.getProperty(ERROR_CODE) == null) {
                exchange.setProperty(ERROR_CODE, DEADLINE_EXCEEDED);
                exchange.setProperty(ERROR_MESSAGE, "the record's time ran out waiting for the rate budget");
            }
            rateLimitedRunIf(exchange, exchange.getProperty(ERROR_CODE, String.class), exchange.getProperty(PATH, String.class),
                    exchange.getProperty(ATTEMPTS, 0, Integer.class));
            fail(exchange, exchange.getProperty(PATH, String.class), exchange.getProperty(ERROR_CODE, String.class),
                    exchange.getProperty(ATTEMPTS, 0, Integer.class));
            return;
        }
        int attempts = exchange.getProperty(ATTEMPTS, 0, Integer.class) + 1;
        exchange.setProperty(ATTEMPTS, attempts);

        String code;
        String message;
        String retryAfter = null;
        if (ANSWER_TOO_LARGE.equals(transport)) {
            // a create's room may exist (Flashduty answered): outcome unknown, never sent again; any other call
            // would only read the same answer again: failed at once
            boolean create = NOT_IDEMPOTENT.contains(exchange.getProperty(PATH, String.class));
            code = create ? OUTCOME_UNKNOWN : ANSWER_TOO_LARGE;
            message = "the answer is larger than FLASHDUTY_MAX_ANSWER_BYTES" + (create ? ": the war room may exist" : "");
            exchange.removeProperty(HTTP_STATUS);
            exchange.removeProperty(REQUEST_ID);
        } else if (transport != null) {
            code = transport;
            message = CONNECTION_ERROR.equals(transport) ? "Flashduty could not be reached"
                    : TIMEOUT.equals(transport) ? "Flashduty did not answer in time" : "Flashduty closed the connection without an answer";
            exchange.removeProperty(HTTP_STATUS);
            exchange.removeProperty(REQUEST_ID);
        } else {
            int status = msg.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
            exchange.setProperty(HTTP_STATUS, status);
            String headerRequestId = msg.getHeader("Flashcat-Request-Id", String.class);
            retryAfter = msg.getHeader("Retry-After", String.class);
            JsonNode envelope = readEnvelope(msg);
            String requestId = envelope != null && envelope.path("request_id").isTextual()
                    ? envelope.path("request_id").asText() : headerRequestId;
            // what the answer gives enters the ledger, the result and log lines: bounded here (AnswerFields)
            setOrRemove(exchange, REQUEST_ID, AnswerFields.id(requestId));
            if (status >= 200 && status < 300 && envelope != null && envelope.has("data")) {
                JsonNode data = envelope.get("data");
                succeed(exchange, NOT_IDEMPOTENT.contains(exchange.getProperty(PATH, String.class)) ? AnswerFields.warRoom(data) : data);
                return;
            }
            JsonNode error = envelope == null ? null : envelope.path("error");
            if (error != null && error.path("code").isTextual()) {
                code = AnswerFields.id(error.path("code").asText());
                message = AnswerFields.message(error.path("message").asText(""));
            } else if (status == 429) {
                code = RATE_LIMITED;
                message = "rate limited";
            } else if ((status >= 500 || status >= 200 && status < 300) && NOT_IDEMPOTENT.contains(exchange.getProperty(PATH, String.class))) {
                // only Flashduty's own error says nothing was done; a gateway's page does not
                code = OUTCOME_UNKNOWN;
                message = "HTTP " + status + " without a Flashduty envelope: the war room may exist";
            } else if (status >= 500) {
                code = "ServiceUnavailable";
                message = "HTTP " + status + " without a Flashduty envelope";
            } else {
                code = INVALID_RESPONSE;
                message = "HTTP " + status + " without a Flashduty envelope";
            }
        }
        exchange.setProperty(ERROR_CODE, code);
        exchange.setProperty(ERROR_MESSAGE, message);
        if ("Unauthorized".equals(code)) {
            unauthorized.set(true);
        }
        if (!RATE_LIMITED.equals(code)) {
            rateLimitedRunEnds();
        }
        int cls = callerClass(exchange);

        String path = exchange.getProperty(PATH, String.class);
        if (RATE_LIMITED.equals(code)) {
            rateLimitedAnswers.incrementAndGet();
            int limited = exchange.getProperty(RATE_LIMITED_ATTEMPTS, 0, Integer.class) + 1;
            exchange.setProperty(RATE_LIMITED_ATTEMPTS, limited);
            long wait = retryAfterMillis(retryAfter);
            wait = wait >= 0 ? wait : backoff(limited);
            if (budget != null) {
                budget.pause(wait); // every call waits, not just this one
            }
            if (limited < (rateLimitedRun[cls].get() ? 1 : rateLimitedAttempts)) {
                retry(exchange, 0, path, code, attempts);
                return;
            }
            rateLimitedRunIf(exchange, code, path, attempts);
        } else if ((TIMEOUT.equals(code) || NO_RESPONSE.equals(code)) && NOT_IDEMPOTENT.contains(path) && !retryCreateAfterTimeout
                || OUTCOME_UNKNOWN.equals(code)) {
            // the war room may have been opened: asking again could open a second one
            LOG.warn("Flashduty {} sent, outcome unknown ({}); not repeated, the war room may exist", path, code);
        } else if (RETRYABLE.contains(code) || CONNECTION_ERROR.equals(code) || TIMEOUT.equals(code) || NO_RESPONSE.equals(code)
                || INVALID_RESPONSE.equals(code) && transport == null && exchange.getProperty(HTTP_STATUS, 0, Integer.class) >= 500) {
            int transient_ = attempts - exchange.getProperty(RATE_LIMITED_ATTEMPTS, 0, Integer.class);
            int allowed = flashdutyDown[cls].get() ? 1 : maxAttempts;
            if (transient_ < allowed) {
                long base = backoff(transient_);
                retry(exchange, "RequestLocked".equals(code) ? Math.min(backoff.max().toMillis(), base * 4) : base, path, code, attempts);
                return;
            }
            if (setFor(flashdutyDown, cls)) {
                LOG.error("Flashduty {} still failing with {} after {} attempts; until a call succeeds, later calls {}try once each",
                        path, code, attempts, cls == WAR_ROOMS ? "" : "other than war-room creation ");
            }
        }
        fail(exchange, path, code, attempts);
    }

    /** A call gave up on RequestTooFrequently: a run of them is taken like an outage, one attempt per call until it ends. */
    private void rateLimitedRunIf(Exchange exchange, String code, String path, int attempts) {
        int cls = callerClass(exchange);
        if (RATE_LIMITED.equals(code) && setFor(rateLimitedRun, cls)) {
            LOG.error("Flashduty {} still answering {} after {} attempts; until another answer comes, later calls {}try once each",
                    path, code, attempts, cls == WAR_ROOMS ? "" : "other than war-room creation ");
        }
    }

    private void rateLimitedRunEnds() {
        if (rateLimitedRun[WAR_ROOMS].getAndSet(false) | rateLimitedRun[OTHERS].getAndSet(false)) {
            LOG.info("Flashduty answers other than {} again", RATE_LIMITED);
        }
    }

    /** War-room creation or another caller, by the call's budget priority (absent: another caller). */
    private static int callerClass(Exchange exchange) {
        int priority = exchange.getProperty(PRIORITY, AccountRateBudget.DEFAULT_PRIORITY, Integer.class);
        return priority <= AccountRateBudget.WAR_ROOM_PRIORITY ? WAR_ROOMS : OTHERS;
    }

    /**
     * Sets a state for a class: a war-room call's for both (what holds for war-room creation holds for
     * the rest), another's for the others only. True when the caller's own state was not set before.
     */
    private static boolean setFor(AtomicBoolean[] state, int cls) {
        boolean changed = !state[cls].getAndSet(true);
        if (cls == WAR_ROOMS) {
            state[OTHERS].set(true);
        }
        return changed;
    }

    private void fail(Exchange exchange, String path, String code, int attempts) {
        exchange.setProperty(OUTCOME, "failed");
        exchange.setProperty(NEXT_ATTEMPT, Boolean.FALSE);
        LOG.warn("Flashduty {} failed: {} (request_id {}, attempts {})", path, code,
                exchange.getProperty(REQUEST_ID, "-", String.class), attempts);
    }

    private void succeed(Exchange exchange, JsonNode data) {
        rateLimitedRunEnds();
        exchange.setProperty(OUTCOME, "success");
        exchange.setProperty(DATA, data);
        exchange.removeProperty(ERROR_CODE);
        exchange.removeProperty(ERROR_MESSAGE);
        exchange.setProperty(NEXT_ATTEMPT, Boolean.FALSE);
        unauthorized.set(false);
        if (flashdutyDown[WAR_ROOMS].getAndSet(false) | flashdutyDown[OTHERS].getAndSet(false)) {
            LOG.info("Flashduty answers again");
        }
    }

    private void retry(Exchange exchange, long waitMillis, String path, String code, int attempts) {
        if (RecordDeadline.nanosLeft(exchange) <= TimeUnit.MILLISECONDS.toNanos(waitMillis)) {
            LOG.warn("Flashduty {} answered {} (attempt {}); the record's deadline comes first, no retry", path, code, attempts);
            rateLimitedRunIf(exchange, code, path, attempts);
            fail(exchange, path, code, attempts);
            return;
        }
        exchange.setProperty(BACKOFF_MILLIS, waitMillis);
        exchange.setProperty(NEXT_ATTEMPT, Boolean.TRUE);
        LOG.info("Flashduty {} answered {} (attempt {}), retrying in {} ms", path, code, attempts, waitMillis);
    }

    /** Exponential backoff from the initial value, capped, with +-20% jitter so replicas do not retry in step. */
    long backoff(int failures) {
        return backoff.jitteredMillis(failures);
    }

    /** Retry-After as delta-seconds or an HTTP date; -1 when absent or unreadable. Capped at 5 minutes. */
    static long retryAfterMillis(String retryAfter) {
        if (retryAfter == null || retryAfter.isBlank()) {
            return -1;
        }
        long millis;
        try {
            millis = Math.round(Double.parseDouble(retryAfter.trim()) * 1000);
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(retryAfter.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                millis = at.toInstant().toEpochMilli() - System.currentTimeMillis();
            } catch (RuntimeException e2) {
                return -1;
            }
        }
        return Math.max(0, Math.min(millis, 300_000));
    }

    private JsonNode readEnvelope(Message msg) {
        try {
            Object body = msg.getBody();
            if (body == null) {
                return null;
            }
            JsonNode node = body instanceof InputStream in ? mapper.readTree(in)
                    : mapper.readTree(msg.getBody(byte[].class));
            return node != null && node.isObject() ? node : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static void setOrRemove(Exchange exchange, String name, Object value) {
        if (value == null) {
            exchange.removeProperty(name);
        } else {
            exchange.setProperty(name, value);
        }
    }

    /** True while the last answer was {@code Unauthorized} (health reports not ready). */
    public boolean isUnauthorized() {
        return unauthorized.get();
    }

    /** Whether Flashduty is taken as down for any caller (a war-room call's outage sets it for every caller). */
    public boolean isFlashdutyDown() {
        return flashdutyDown[OTHERS].get();
    }

    /** Whether Flashduty is taken as down for war-room creation: only a war-room call's own failures set it. */
    public boolean isFlashdutyDownForWarRooms() {
        return flashdutyDown[WAR_ROOMS].get();
    }

    public long rateLimitedAnswers() {
        return rateLimitedAnswers.get();
    }
}
