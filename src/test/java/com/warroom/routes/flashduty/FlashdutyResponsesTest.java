package com.warroom.routes.flashduty;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.support.TestKafka;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.flashduty.FlashdutyCallState.*;
import static org.junit.jupiter.api.Assertions.*;

class FlashdutyResponsesTest {

    private final DefaultCamelContext context = new DefaultCamelContext();
    private final com.warroom.routes.budget.AccountRateBudget budget = new com.warroom.routes.budget.AccountRateBudget(50, 1000, 1000, 60_000);
    private final FlashdutyResponses responses =
            new FlashdutyResponses(TestKafka.MAPPER, budget, 3, 4, Duration.ofMillis(100), Duration.ofMillis(1000), false);

    private Exchange call() {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setBody("{\"incident_id\":\"64b1352e376e32c85c56e25b\"}");
        ex.setProperty(PATH, "/template/info");
        responses.begin(ex);
        return ex;
    }

    private void answer(Exchange ex, int status, String body, String retryAfter) {
        ex.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        ex.getMessage().setHeader("Flashcat-Request-Id", "hdr-id");
        if (retryAfter != null) {
            ex.getMessage().setHeader("Retry-After", retryAfter);
        }
        ex.getMessage().setBody(body);
        responses.classify(ex);
    }

    private static String error(String code) {
        return "{\"request_id\":\"req-" + code + "\",\"error\":{\"code\":\"" + code + "\",\"message\":\"m\"}}";
    }

    @Test
    void successKeepsDataAndRequestId() {
        Exchange ex = call();
        answer(ex, 200, "{\"request_id\":\"r1\",\"data\":{\"chat_id\":\"c\"}}", null);
        assertEquals("success", ex.getProperty(OUTCOME));
        assertEquals("r1", ex.getProperty(REQUEST_ID));
        assertEquals("c", ex.getProperty(DATA, JsonNode.class).path("chat_id").asText());
        assertEquals(Boolean.FALSE, ex.getProperty(NEXT_ATTEMPT));
        assertEquals(1, ex.getProperty(ATTEMPTS));
    }

    @Test
    void resourceNotFoundAsHttp400IsTerminal() {
        Exchange ex = call();
        answer(ex, 400, error("ResourceNotFound"), null);
        assertEquals("failed", ex.getProperty(OUTCOME));
        assertEquals("ResourceNotFound", ex.getProperty(ERROR_CODE));
        assertEquals("req-ResourceNotFound", ex.getProperty(REQUEST_ID));
        assertEquals(Boolean.FALSE, ex.getProperty(NEXT_ATTEMPT));
    }

    @Test
    void branchesOnCodeNotStatus() {
        // a retryable code behind an unusual status is still retried; a terminal one behind 500 is not
        Exchange a = call();
        answer(a, 400, error("ServiceUnavailable"), null);
        assertEquals(Boolean.TRUE, a.getProperty(NEXT_ATTEMPT));
        Exchange b = call();
        answer(b, 500, error("NoLicense"), null);
        assertEquals("failed", b.getProperty(OUTCOME));
        assertEquals("NoLicense", b.getProperty(ERROR_CODE));
    }

    @Test
    void rateLimitedPausesTheWholeBudgetForRetryAfter() throws Exception {
        Exchange ex = call();
        answer(ex, 429, error("RequestTooFrequently"), "2");
        assertEquals(Boolean.TRUE, ex.getProperty(NEXT_ATTEMPT));
        assertNull(budget.tryAcquire(10, 1, java.util.concurrent.TimeUnit.SECONDS), "no call starts during Retry-After");
        answer(ex, 200, "{\"request_id\":\"r2\",\"data\":{}}", null);
        assertEquals("success", ex.getProperty(OUTCOME));
        assertEquals(2, ex.getProperty(ATTEMPTS));
    }

    @Test
    void rateLimitedWithoutRetryAfterBacksOffAndIsBounded() {
        Exchange ex = call();
        for (int i = 0; i < 3; i++) {
            answer(ex, 429, error("RequestTooFrequently"), null);
            assertEquals(Boolean.TRUE, ex.getProperty(NEXT_ATTEMPT));
            assertEquals(0L, ex.getProperty(BACKOFF_MILLIS), "the budget pause does the waiting");
        }
        answer(ex, 429, error("RequestTooFrequently"), null);
        assertEquals("failed", ex.getProperty(OUTCOME));
        assertEquals("RequestTooFrequently", ex.getProperty(ERROR_CODE));
    }

    @Test
    void transientErrorsAreRetriedThenFailAndLaterCallsTryOnce() {
        Exchange ex = call();
        answer(ex, 500, error("InternalError"), null);
        assertEquals(Boolean.TRUE, ex.getProperty(NEXT_ATTEMPT));
        transport(ex, new ConnectException("Connection refused"));
        assertEquals(Boolean.TRUE, ex.getProperty(NEXT_ATTEMPT));
        assertEquals(FlashdutyResponses.CONNECTION_ERROR, ex.getProperty(ERROR_CODE));
        transport(ex, new SocketTimeoutException("Read timed out"));
        assertEquals("failed", ex.getProperty(OUTCOME));
        assertEquals(FlashdutyResponses.TIMEOUT, ex.getProperty(ERROR_CODE));
        assertTrue(responses.isFlashdutyDown());

        Exchange next = call();
        answer(next, 503, error("ServiceUnavailable"), null);
        assertEquals("failed", next.getProperty(OUTCOME), "while Flashduty is down a call gets one attempt");

        Exchange recovered = call();
        answer(recovered, 200, "{\"request_id\":\"r\",\"data\":{}}", null);
        assertFalse(responses.isFlashdutyDown());
        Exchange after = call();
        answer(after, 503, error("ServiceUnavailable"), null);
        assertEquals(Boolean.TRUE, after.getProperty(NEXT_ATTEMPT), "full retries again once it answered");
    }

    @Test
    void anOutageOrA429RunSeenByOtherCallsDoesNotCutWarRoomCreationToOneAttempt() {
        Exchange lookup = call(); // a template lookup: priority 10
        for (int i = 0; i < 3; i++) {
            answer(lookup, 500, error("InternalError"), null);
        }
        assertEquals("failed", lookup.getProperty(OUTCOME));
        assertTrue(responses.isFlashdutyDown());
        assertFalse(responses.isFlashdutyDownForWarRooms(), "set by another caller's failures only for the others");
        Exchange another = call();
        answer(another, 503, error("ServiceUnavailable"), null);
        assertEquals("failed", another.getProperty(OUTCOME), "the other callers try once each");
        Exchange create = warRoomCall();
        answer(create, 503, error("ServiceUnavailable"), null);
        assertEquals(Boolean.TRUE, create.getProperty(NEXT_ATTEMPT), "war-room creation keeps its retries");

        Exchange limited = call();
        for (int i = 0; i < 4; i++) {
            answer(limited, 429, error("RequestTooFrequently"), "0");
        }
        assertEquals("failed", limited.getProperty(OUTCOME));
        Exchange createLimited = warRoomCall();
        answer(createLimited, 429, error("RequestTooFrequently"), "0");
        assertEquals(Boolean.TRUE, createLimited.getProperty(NEXT_ATTEMPT), "nor its rate-limited attempts");

        Exchange createDown = warRoomCall();
        for (int i = 0; i < 3; i++) {
            answer(createDown, 503, error("ServiceUnavailable"), "0");
        }
        assertTrue(responses.isFlashdutyDownForWarRooms(), "a war-room call's own outage sets it");
        answer(call(), 200, "{\"request_id\":\"r\",\"data\":{}}", null);
        assertFalse(responses.isFlashdutyDownForWarRooms(), "any success: Flashduty answers");
        assertFalse(responses.isFlashdutyDown());
    }

    private Exchange warRoomCall() {
        Exchange ex = call();
        ex.setProperty(PATH, "/incident/war-room/create");
        ex.setProperty(PRIORITY, 0);
        return ex;
    }

    @Test
    void aCreateSentButNotAnsweredIsNotRepeated() {
        Exchange ex = call();
        ex.setProperty(PATH, "/incident/war-room/create");
        transport(ex, new SocketTimeoutException("Read timed out"));
        assertEquals("failed", ex.getProperty(OUTCOME));
        assertEquals(FlashdutyResponses.TIMEOUT, ex.getProperty(ERROR_CODE));
        assertFalse(responses.isFlashdutyDown());
        Exchange refused = call();
        refused.setProperty(PATH, "/incident/war-room/create");
        transport(refused, new ConnectException("Connection refused"));
        assertEquals(Boolean.TRUE, refused.getProperty(NEXT_ATTEMPT), "never sent: safe to repeat");
        Exchange dropped = call();
        dropped.setProperty(PATH, "/incident/war-room/create");
        transport(dropped, new org.apache.hc.core5.http.NoHttpResponseException("no response"));
        assertEquals("failed", dropped.getProperty(OUTCOME));
        assertEquals(FlashdutyResponses.NO_RESPONSE, dropped.getProperty(ERROR_CODE));
    }

    @Test
    void answerWithoutEnvelope() {
        Exchange a = call();
        answer(a, 502, "<html>Bad Gateway</html>", null);
        assertEquals(Boolean.TRUE, a.getProperty(NEXT_ATTEMPT));
        assertEquals("hdr-id", a.getProperty(REQUEST_ID));
        Exchange b = call();
        answer(b, 404, "not found", null);
        assertEquals("failed", b.getProperty(OUTCOME));
        assertEquals(FlashdutyResponses.INVALID_RESPONSE, b.getProperty(ERROR_CODE));
    }

    @Test
    void unauthorizedIsTerminalAndRemembered() {
        Exchange ex = call();
        answer(ex, 401, error("Unauthorized"), null);
        assertEquals("failed", ex.getProperty(OUTCOME));
        assertTrue(responses.isUnauthorized());
    }

    @Test
    void retryAfterForms() {
        assertEquals(-1, FlashdutyResponses.retryAfterMillis(null));
        assertEquals(-1, FlashdutyResponses.retryAfterMillis("soon"));
        assertEquals(1500, FlashdutyResponses.retryAfterMillis("1.5"));
        assertEquals(300_000, FlashdutyResponses.retryAfterMillis("86400"));
    }

    private void transport(Exchange ex, Exception e) {
        ex.setProperty(Exchange.EXCEPTION_CAUGHT, e);
        responses.transportError(ex);
        assertNull(ex.getException());
        responses.classify(ex);
    }

    /**
     * A create answered by a gateway (502/504 and its own page, no Flashduty envelope) may have opened
     * the room: it is not repeated. Other calls, and answers with Flashduty's envelope, keep their rules.
     */
    @Test
    void aCreateAnsweredWithoutAnEnvelopeIsNotRepeated() {
        for (int status : new int[] {500, 502, 504, 200}) {
            Exchange create = call();
            create.setProperty(PATH, "/incident/war-room/create");
            answer(create, status, "<html><body>" + status + " from the gateway</body></html>", null);
            assertEquals("failed", create.getProperty(OUTCOME), "HTTP " + status);
            assertEquals(FlashdutyResponses.OUTCOME_UNKNOWN, create.getProperty(ERROR_CODE));
            assertEquals(Boolean.FALSE, create.getProperty(NEXT_ATTEMPT));
            assertEquals(1, create.getProperty(ATTEMPTS));
        }
        assertFalse(responses.isFlashdutyDown(), "an unknown outcome says nothing about Flashduty being down");

        Exchange withEnvelope = call();
        withEnvelope.setProperty(PATH, "/incident/war-room/create");
        answer(withEnvelope, 503, error("ServiceUnavailable"), null);
        assertEquals(Boolean.TRUE, withEnvelope.getProperty(NEXT_ATTEMPT), "Flashduty's own error says nothing was done");

        Exchange info = call();
        answer(info, 502, "<html>502</html>", null);
        assertEquals(Boolean.TRUE, info.getProperty(NEXT_ATTEMPT), "a look-up is safe to repeat");
        assertEquals("ServiceUnavailable", info.getProperty(ERROR_CODE));
    }
}
