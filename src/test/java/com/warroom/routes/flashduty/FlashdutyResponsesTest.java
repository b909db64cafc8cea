package com.warroom.routes.flashduty;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import com.warroom.routes.Backoff;
import com.warroom.routes.support.TestKafka;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class FlashdutyResponsesTest {

    private final com.warroom.routes.budget.AccountRateBudget budget = new com.warroom.routes.budget.AccountRateBudget(50, 1000, 1000, 60_000,
            System::nanoTime);
    private final FlashdutyResponses responses =
            new FlashdutyResponses(TestKafka.MAPPER, budget, new RetryPolicy(3, 4, new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000)), false));

    /** One call as the route makes it: each answer judged against the attempt before. */
    private final class Call {
        String path = "/template/info";
        Integer priority;
        Attempt last = Attempt.NONE;

        Call answer(int status, String body, String retryAfter) {
            last = responses.judge(last, null, path, priority, null, status, "hdr-id", retryAfter, body);
            return this;
        }

        Call transport(Exception e) {
            last = responses.judge(last, responses.failure(e), path, priority, null, null, null, null, null);
            return this;
        }
    }

    private Call call() {
        return new Call();
    }

    private static String error(String code) {
        return "{\"request_id\":\"req-" + code + "\",\"error\":{\"code\":\"" + code + "\",\"message\":\"m\"}}";
    }

    @Test
    void successKeepsDataAndRequestId() {
        Call ex = call();
        ex.answer(200, "{\"request_id\":\"r1\",\"data\":{\"chat_id\":\"c\"}}", null);
        assertEquals("success", ex.last.outcome());
        assertEquals("r1", ex.last.requestId());
        assertEquals("c", ex.last.data().path("chat_id").asText());
        assertEquals(false, ex.last.retry());
        assertEquals(1, ex.last.number());
    }

    @Test
    void resourceNotFoundAsHttp400IsTerminal() {
        Call ex = call();
        ex.answer(400, error("ResourceNotFound"), null);
        assertEquals("failed", ex.last.outcome());
        assertEquals("ResourceNotFound", ex.last.code());
        assertEquals("req-ResourceNotFound", ex.last.requestId());
        assertEquals(false, ex.last.retry());
    }

    @Test
    void branchesOnCodeNotStatus() {
        // a retryable code behind an unusual status is still retried; a terminal one behind 500 is not
        Call a = call();
        a.answer(400, error("ServiceUnavailable"), null);
        assertEquals(true, a.last.retry());
        Call b = call();
        b.answer(500, error("NoLicense"), null);
        assertEquals("failed", b.last.outcome());
        assertEquals("NoLicense", b.last.code());
    }

    @Test
    void rateLimitedPausesTheWholeBudgetForRetryAfter() throws Exception {
        Call ex = call();
        ex.answer(429, error("RequestTooFrequently"), "2");
        assertEquals(true, ex.last.retry());
        assertNull(budget.acquire(10, 0, java.util.concurrent.TimeUnit.SECONDS.toNanos(1), null), "no call starts during Retry-After");
        ex.answer(200, "{\"request_id\":\"r2\",\"data\":{}}", null);
        assertEquals("success", ex.last.outcome());
        assertEquals(2, ex.last.number());
    }

    @Test
    void rateLimitedWithoutRetryAfterBacksOffAndIsBounded() {
        Call ex = call();
        for (int i = 0; i < 3; i++) {
            ex.answer(429, error("RequestTooFrequently"), null);
            assertEquals(true, ex.last.retry());
            assertEquals(0L, ex.last.backoffMillis(), "the budget pause does the waiting");
        }
        ex.answer(429, error("RequestTooFrequently"), null);
        assertEquals("failed", ex.last.outcome());
        assertEquals("RequestTooFrequently", ex.last.code());
    }

    @Test
    void transientErrorsAreRetriedThenFailAndLaterCallsTryOnce() {
        Call ex = call();
        ex.answer(500, error("InternalError"), null);
        assertEquals(true, ex.last.retry());
        ex.transport(new ConnectException("Connection refused"));
        assertEquals(true, ex.last.retry());
        assertEquals(FlashdutyResponses.CONNECTION_ERROR, ex.last.code());
        ex.transport(new SocketTimeoutException("Read timed out"));
        assertEquals("failed", ex.last.outcome());
        assertEquals(FlashdutyResponses.TIMEOUT, ex.last.code());
        assertTrue(responses.health().isDown(false));

        Call next = call();
        next.answer(503, error("ServiceUnavailable"), null);
        assertEquals("failed", next.last.outcome(), "while Flashduty is down a call gets one attempt");

        Call recovered = call();
        recovered.answer(200, "{\"request_id\":\"r\",\"data\":{}}", null);
        assertFalse(responses.health().isDown(false));
        Call after = call();
        after.answer(503, error("ServiceUnavailable"), null);
        assertEquals(true, after.last.retry(), "full retries again once it answered");
    }

    @Test
    void anOutageOrA429RunSeenByOtherCallsDoesNotCutWarRoomCreationToOneAttempt() {
        Call lookup = call(); // a template lookup: priority 10
        for (int i = 0; i < 3; i++) {
            lookup.answer(500, error("InternalError"), null);
        }
        assertEquals("failed", lookup.last.outcome());
        assertTrue(responses.health().isDown(false));
        assertFalse(responses.health().isDown(true), "set by another caller's failures only for the others");
        Call another = call();
        another.answer(503, error("ServiceUnavailable"), null);
        assertEquals("failed", another.last.outcome(), "the other callers try once each");
        Call create = warRoomCall();
        create.answer(503, error("ServiceUnavailable"), null);
        assertEquals(true, create.last.retry(), "war-room creation keeps its retries");

        Call limited = call();
        for (int i = 0; i < 4; i++) {
            limited.answer(429, error("RequestTooFrequently"), "0");
        }
        assertEquals("failed", limited.last.outcome());
        Call createLimited = warRoomCall();
        createLimited.answer(429, error("RequestTooFrequently"), "0");
        assertEquals(true, createLimited.last.retry(), "nor its rate-limited attempts");

        Call createDown = warRoomCall();
        for (int i = 0; i < 3; i++) {
            createDown.answer(503, error("ServiceUnavailable"), "0");
        }
        assertTrue(responses.health().isDown(true), "a war-room call's own outage sets it");
        call().answer(200, "{\"request_id\":\"r\",\"data\":{}}", null);
        assertFalse(responses.health().isDown(true), "any success: Flashduty answers");
        assertFalse(responses.health().isDown(false));
    }

    private Call warRoomCall() {
        Call ex = call();
        ex.path = "/incident/war-room/create";
        ex.priority = 0;
        return ex;
    }

    @Test
    void aCreateSentButNotAnsweredIsNotRepeated() {
        Call ex = call();
        ex.path = "/incident/war-room/create";
        ex.transport(new SocketTimeoutException("Read timed out"));
        assertEquals("failed", ex.last.outcome());
        assertEquals(FlashdutyResponses.TIMEOUT, ex.last.code());
        assertFalse(responses.health().isDown(false));
        Call refused = call();
        refused.path = "/incident/war-room/create";
        refused.transport(new ConnectException("Connection refused"));
        assertEquals(true, refused.last.retry(), "never sent: safe to repeat");
        Call dropped = call();
        dropped.path = "/incident/war-room/create";
        dropped.transport(new org.apache.hc.core5.http.NoHttpResponseException("no response"));
        assertEquals("failed", dropped.last.outcome());
        assertEquals(FlashdutyResponses.NO_RESPONSE, dropped.last.code());
    }

    @Test
    void answerWithoutEnvelope() {
        Call a = call();
        a.answer(502, "<html>Bad Gateway</html>", null);
        assertEquals(true, a.last.retry());
        assertEquals("hdr-id", a.last.requestId());
        Call b = call();
        b.answer(404, "not found", null);
        assertEquals("failed", b.last.outcome());
        assertEquals(FlashdutyResponses.INVALID_RESPONSE, b.last.code());
    }

    @Test
    void unauthorizedIsTerminalAndRemembered() {
        Call ex = call();
        ex.answer(401, error("Unauthorized"), null);
        assertEquals("failed", ex.last.outcome());
        assertTrue(responses.health().isUnauthorized());
    }

    @Test
    void retryAfterForms() {
        assertEquals(-1, RetryPolicy.retryAfterMillis(null));
        assertEquals(-1, RetryPolicy.retryAfterMillis("soon"));
        assertEquals(1500, RetryPolicy.retryAfterMillis("1.5"));
        assertEquals(300_000, RetryPolicy.retryAfterMillis("86400"));
    }

    /**
     * A create answered by a gateway (502/504 and its own page, no Flashduty envelope) may have opened
     * the room: it is not repeated. Other calls, and answers with Flashduty's envelope, keep their rules.
     */
    @Test
    void aCreateAnsweredWithoutAnEnvelopeIsNotRepeated() {
        for (int status : new int[] {500, 502, 504, 200}) {
            Call create = call();
            create.path = "/incident/war-room/create";
            create.answer(status, "<html><body>" + status + " from the gateway</body></html>", null);
            assertEquals("failed", create.last.outcome(), "HTTP " + status);
            assertEquals(FlashdutyResponses.OUTCOME_UNKNOWN, create.last.code());
            assertEquals(false, create.last.retry());
            assertEquals(1, create.last.number());
        }
        assertFalse(responses.health().isDown(false), "an unknown outcome says nothing about Flashduty being down");

        Call withEnvelope = call();
        withEnvelope.path = "/incident/war-room/create";
        withEnvelope.answer(503, error("ServiceUnavailable"), null);
        assertEquals(true, withEnvelope.last.retry(), "Flashduty's own error says nothing was done");

        Call info = call();
        info.answer(502, "<html>502</html>", null);
        assertEquals(true, info.last.retry(), "a look-up is safe to repeat");
        assertEquals("ServiceUnavailable", info.last.code());
    }

    @Test
    void theBudgetStepsWaitNoLongerThanTheRecordsDeadlineAndReleaseOnce() throws Exception {
        org.apache.camel.CamelContext camel = new org.apache.camel.impl.DefaultCamelContext();
        assertThrows(com.warroom.routes.budget.DeadlineExceeded.class, () -> responses.acquire(Attempt.NONE, 0, System.nanoTime() - 1, camel),
                "the record's time is up: nothing is sent");
        com.warroom.routes.budget.AccountRateBudget.Permit permit = responses.acquire(null, null, null, camel);
        assertEquals(1, budget.inFlight());
        responses.release(permit);
        responses.release(permit);
        responses.release(null);
        assertEquals(0, budget.inFlight());
        assertEquals(1, budget.permitsGranted());
    }
}
