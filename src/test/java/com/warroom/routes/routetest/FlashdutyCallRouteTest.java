package com.warroom.routes.routetest;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.http.AnswerTooLarge;
import com.warroom.routes.kafka.RecordDeadline;
import com.warroom.routes.observe.ReadinessCheck;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static com.warroom.routes.routetest.FlashdutyStub.INFO;
import static com.warroom.routes.routetest.FlashdutyStub.LIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The call loop of routes/40-flashduty-call.yaml, one branch on Flashduty's {@code error.code} (or on
 * the lack of an answer) at a time: what is retried, how often, and the outcome the caller reads.
 * The tests run with FLASHDUTY_RETRY_MAX_ATTEMPTS=3 and RATE_LIMITED_ATTEMPTS=3 (RouteTestSupport).
 */
class FlashdutyCallRouteTest extends RouteTestSupport {

    static final String BODY = "{\"incident_id\":\"64b1352e376e32c85c56e25b\",\"integration_id\":362,\"add_observers\":true}";

    static Stream<Arguments> branches() {
        return Stream.of(
                branch("success: data, request_id of the envelope", CREATE, List.of(Answer.ok(FlashdutyStub.chat("oc_1"))),
                        "success", null, 1),
                branch("RequestTooFrequently (429 with Retry-After): waits and retries", CREATE,
                        List.of(Answer.error(429, "RequestTooFrequently", "slow down").withHeader("Retry-After", "0"),
                                Answer.ok(FlashdutyStub.chat("oc_1"))), "success", null, 2),
                branch("a bare 429 is RequestTooFrequently too", LIST,
                        List.of(Answer.page(429, "Too Many Requests"), Answer.ok(FlashdutyStub.noIntegration())), "success", null, 2),
                branch("RequestTooFrequently until the rate-limited attempts run out: failed", CREATE,
                        List.of(Answer.error(429, "RequestTooFrequently", "slow down"), Answer.error(429, "RequestTooFrequently", "slow down"),
                                Answer.error(429, "RequestTooFrequently", "slow down")), "failed", "RequestTooFrequently", 3),
                branch("Unauthorized: failed at once", CREATE, List.of(Answer.error(401, "Unauthorized", "invalid app_key")),
                        "failed", "Unauthorized", 1),
                branch("InvalidParameter: failed at once", CREATE, List.of(Answer.error(400, "InvalidParameter", "integration_id is invalid")),
                        "failed", "InvalidParameter", 1),
                branch("ResourceNotFound comes as HTTP 400: failed at once", INFO,
                        List.of(Answer.error(400, "ResourceNotFound", "template not found")), "failed", "ResourceNotFound", 1),
                branch("AccessDenied: failed at once", LIST, List.of(Answer.error(403, "AccessDenied", "no permission")),
                        "failed", "AccessDenied", 1),
                branch("InternalError: backs off and retries", CREATE,
                        List.of(Answer.error(500, "InternalError", "oops"), Answer.ok(FlashdutyStub.chat("oc_1"))), "success", null, 2),
                branch("ServiceUnavailable until the attempts run out: failed", CREATE,
                        List.of(Answer.error(503, "ServiceUnavailable", "down"), Answer.error(503, "ServiceUnavailable", "down"),
                                Answer.error(503, "ServiceUnavailable", "down")), "failed", "ServiceUnavailable", 3),
                branch("UndonedOrderExist (409): retried", LIST,
                        List.of(Answer.error(409, "UndonedOrderExist", "busy"), Answer.ok(FlashdutyStub.noIntegration())), "success", null, 2),
                branch("RequestLocked (423): retried", INFO,
                        List.of(Answer.error(423, "RequestLocked", "locked"), Answer.ok(FlashdutyStub.template("6605a1b2c3d4e5f6a7b8c9d0"))),
                        "success", null, 2),
                branch("create answered 502 without an envelope: outcome_unknown, not repeated", CREATE,
                        List.of(Answer.page(502, "<html>Bad Gateway</html>")), "failed", FlashdutyResponses.OUTCOME_UNKNOWN, 1),
                branch("create answered 200 without an envelope: outcome_unknown, not repeated", CREATE,
                        List.of(Answer.page(200, "<html>ok</html>")), "failed", FlashdutyResponses.OUTCOME_UNKNOWN, 1),
                branch("a list answered 502 without an envelope: ServiceUnavailable, retried", LIST,
                        List.of(Answer.page(502, "<html>Bad Gateway</html>"), Answer.ok(FlashdutyStub.noIntegration())), "success", null, 2),
                branch("a 404 page without an envelope: invalid_response, failed at once", INFO,
                        List.of(Answer.page(404, "not here")), "failed", FlashdutyResponses.INVALID_RESPONSE, 1),
                branch("create sent but not answered in time: timeout, not repeated", CREATE,
                        List.of(Answer.fails(new SocketTimeoutException("Read timed out"))), "failed", FlashdutyResponses.TIMEOUT, 1),
                branch("a list not answered in time: retried", LIST,
                        List.of(Answer.fails(new SocketTimeoutException("Read timed out")), Answer.ok(FlashdutyStub.noIntegration())),
                        "success", null, 2),
                branch("create never sent (connection refused): retried", CREATE,
                        List.of(Answer.fails(new ConnectException("Connection refused")), Answer.ok(FlashdutyStub.chat("oc_1"))),
                        "success", null, 2),
                // the HTTP client stopped reading at FLASHDUTY_MAX_ANSWER_BYTES (BoundedAnswers): the request was sent
                branch("create answered past FLASHDUTY_MAX_ANSWER_BYTES: outcome_unknown, not repeated", CREATE,
                        List.of(Answer.fails(new AnswerTooLarge("FLASHDUTY_MAX_ANSWER_BYTES", 8_388_608)), Answer.ok(FlashdutyStub.chat("oc_1"))),
                        "failed", FlashdutyResponses.OUTCOME_UNKNOWN, 1),
                branch("a list answered past FLASHDUTY_MAX_ANSWER_BYTES: answer_too_large, failed at once", LIST,
                        List.of(Answer.fails(new AnswerTooLarge("FLASHDUTY_MAX_ANSWER_BYTES", 8_388_608)), Answer.ok(FlashdutyStub.noIntegration())),
                        "failed", "answer_too_large", 1),
                // within the byte cap but past the shared mapper's read limits (nesting 100, numbers of 100 digits)
                branch("create answered 150 deep: past the read limits, outcome_unknown, not repeated", CREATE,
                        List.of(Answer.page(200, "{\"request_id\":\"r\",\"data\":{\"chat_id\":\"oc_1\",\"x\":" + "[".repeat(150)
                                + "]".repeat(150) + "}}"), Answer.ok(FlashdutyStub.chat("oc_1"))),
                        "failed", FlashdutyResponses.OUTCOME_UNKNOWN, 1),
                branch("a list answered with a number of 200 digits: past the read limits, invalid_response", LIST,
                        List.of(Answer.page(200, "{\"request_id\":\"r\",\"data\":{\"items\":[],\"n\":" + "9".repeat(200) + "}}"),
                                Answer.ok(FlashdutyStub.noIntegration())),
                        "failed", FlashdutyResponses.INVALID_RESPONSE, 1));
    }

    static Arguments branch(String name, String path, List<Answer> answers, String outcome, String code, int calls) {
        return Arguments.of(name, path, answers, outcome, code, calls);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("branches")
    void eachErrorCodeBranch(String name, String path, List<Answer> answers, String outcome, String code, int calls) {
        flashduty.script(path, answers.toArray(Answer[]::new));

        Exchange done = call(path, BODY);

        assertNull(done.getException(), name);
        assertEquals(outcome, done.getProperty(FlashdutyCallState.OUTCOME), name);
        assertEquals(code, done.getProperty(FlashdutyCallState.ERROR_CODE), name);
        assertEquals(calls, flashduty.calls(path).size(), name + ": calls");
        assertEquals(calls, done.getProperty(FlashdutyCallState.ATTEMPTS, Integer.class), name + ": attempts");
        assertEquals(calls, flashduty.calls().size(), "no other endpoint was called");
        for (FlashdutyStub.Call call : flashduty.calls()) {
            assertEquals(BODY, call.body(), "every attempt sends the same request");
            assertEquals(Set.of("Content-Type", Exchange.HTTP_METHOD, Exchange.HTTP_PATH), call.headers().keySet());
            assertEquals("application/json", call.headers().get("Content-Type"));
            assertEquals("POST", call.headers().get(Exchange.HTTP_METHOD));
        }
        assertTrue(done.getMessage().getHeaders().isEmpty(), "the answer's headers are dropped: " + done.getMessage().getHeaders());
        if ("success".equals(outcome)) {
            assertTrue(done.getProperty(FlashdutyCallState.DATA, JsonNode.class).isObject());
            assertTrue(done.getProperty(FlashdutyCallState.REQUEST_ID, String.class).startsWith("req-"));
        }
        assertEquals(code != null && code.equals("Unauthorized"), !ready("flashdutyAuthHealthCheck"),
                "readiness flashduty-auth is down exactly while Flashduty answers Unauthorized");
    }

    @Test
    void afterTheRetriesRanOutLaterCallsTryOnceUntilOneSucceeds() {
        flashduty.script(CREATE, Answer.error(503, "ServiceUnavailable", "down"), Answer.error(503, "ServiceUnavailable", "down"),
                Answer.error(503, "ServiceUnavailable", "down"));
        assertEquals("failed", call(CREATE, BODY).getProperty(FlashdutyCallState.OUTCOME));
        assertEquals(3, flashduty.calls(CREATE).size());

        flashduty.script(LIST, Answer.error(500, "InternalError", "oops"));
        Exchange once = call(LIST, "{}");
        assertEquals("InternalError", once.getProperty(FlashdutyCallState.ERROR_CODE));
        assertEquals(1, flashduty.calls(LIST).size(), "Flashduty is taken as down: one attempt");

        Exchange back = call(LIST, "{}");
        assertEquals("success", back.getProperty(FlashdutyCallState.OUTCOME));
        flashduty.script(CREATE, Answer.error(500, "InternalError", "oops"), Answer.ok(FlashdutyStub.chat("oc_2")));
        assertEquals("success", call(CREATE, BODY).getProperty(FlashdutyCallState.OUTCOME));
        assertEquals(2, flashduty.calls(CREATE).size() - 3, "retried again once a call succeeded");
    }

    @Test
    void unauthorizedTurnsReadinessDownUntilACallSucceeds() {
        flashduty.script(CREATE, Answer.error(401, "Unauthorized", "invalid app_key"));
        Exchange done = call(CREATE, BODY);
        assertEquals("Unauthorized", done.getProperty(FlashdutyCallState.ERROR_CODE));
        assertFalse(ready("flashdutyAuthHealthCheck"));
        assertEquals("success", call(LIST, "{}").getProperty(FlashdutyCallState.OUTCOME));
        assertTrue(ready("flashdutyAuthHealthCheck"), "a call that succeeds again clears it");
    }

    @Test
    void anAnswerPastTheCapIsCountedUnderItsOwnCode() {
        MeterRegistry registry = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        java.util.function.DoubleSupplier tooLarge = () -> registry.find("war.room.flashduty.calls").tag("endpoint", LIST)
                .tag("code", "answer_too_large").counters().stream().mapToDouble(c -> c.count()).sum();
        double before = tooLarge.getAsDouble();
        flashduty.script(LIST, Answer.fails(new AnswerTooLarge("FLASHDUTY_MAX_ANSWER_BYTES", 8_388_608)));
        Exchange done = call(LIST, "{}");
        assertEquals("the answer is larger than FLASHDUTY_MAX_ANSWER_BYTES", done.getProperty(FlashdutyCallState.ERROR_MESSAGE));
        assertEquals(before + 1, tooLarge.getAsDouble(), "war_room_flashduty_calls_total{code=\"answer_too_large\"}, not other");
        assertEquals("success", call(LIST, "{}").getProperty(FlashdutyCallState.OUTCOME), "the next call goes on");
    }

    /** The record's time ran out before the budget gave a slot: nothing is sent, the call fails as deadline_exceeded. */
    @Test
    void aRecordPastItsDeadlineSendsNothing() {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setBody(BODY);
        ex.setProperty(FlashdutyCallState.PATH, CREATE);
        ex.setProperty(RecordDeadline.PROPERTY, System.nanoTime() - 1);
        Exchange done = template().send("direct:flashduty-call", ex);
        assertNull(done.getException());
        assertEquals("failed", done.getProperty(FlashdutyCallState.OUTCOME));
        assertEquals(FlashdutyResponses.DEADLINE_EXCEEDED, done.getProperty(FlashdutyCallState.ERROR_CODE));
        assertEquals(0, done.getProperty(FlashdutyCallState.ATTEMPTS, Integer.class));
        assertTrue(flashduty.calls().isEmpty(), "nothing sent");
        assertNull(done.getProperty(Exchange.EXCEPTION_CAUGHT), "the caught exception is not left for later error handling");
    }

    Exchange call(String path, String body) {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setBody(body);
        ex.setProperty(FlashdutyCallState.PATH, path);
        ex.setProperty(FlashdutyCallState.PRIORITY, CREATE.equals(path) ? 0 : 10);
        return template().send("direct:flashduty-call", ex);
    }

    boolean ready(String check) {
        return context.getRegistry().lookupByNameAndType(check, ReadinessCheck.class).call().getState() == HealthCheck.State.UP;
    }
}
