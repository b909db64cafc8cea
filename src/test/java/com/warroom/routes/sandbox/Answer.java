package com.warroom.routes.sandbox;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.warroom.routes.support.FlashdutyEnvelope;

/**
 * What the sandbox answers one request with: a status and a JSON body (or a raw page), extra
 * response headers, and what the call log records of it (error code, request id, the incident or
 * template it was about). The factories write Flashduty's envelopes.
 */
final class Answer {

    private static final AtomicLong REQUEST_IDS = new AtomicLong();

    int status;
    Object body;
    /** a body that is not Flashduty's (a gateway's page), sent as it is */
    byte[] raw;
    String errorCode;
    String requestId;
    String incidentId;
    String templateId;
    final Map<String, String> headers = new LinkedHashMap<>();

    /** Flashduty's success envelope: {@code {request_id, data}}. */
    static Answer ok(Object data) {
        Answer a = new Answer();
        a.status = 200;
        a.requestId = nextRequestId();
        a.body = FlashdutyEnvelope.ok(a.requestId, data);
        return a;
    }

    /** Flashduty's error envelope: {@code {request_id, error: {code, message}}}. */
    static Answer error(int status, String code, String message) {
        Answer a = new Answer();
        a.status = status;
        a.errorCode = code;
        a.requestId = nextRequestId();
        a.body = FlashdutyEnvelope.error(a.requestId, code, message);
        return a;
    }

    /** A gateway's own HTML page in place of Flashduty's envelope. */
    static Answer gatewayPage(int status) {
        Answer a = new Answer();
        a.status = status;
        a.errorCode = "gateway_" + status;
        a.raw = ("<html><body><h1>" + status + " from the gateway</h1></body></html>").getBytes(StandardCharsets.UTF_8);
        return a;
    }

    /** A JSON answer that is not Flashduty's envelope (Rocket.Chat's). */
    static Answer json(int status, Object body) {
        Answer a = new Answer();
        a.status = status;
        a.body = body;
        return a;
    }

    Answer about(String incident, String template) {
        incidentId = incident;
        templateId = template;
        return this;
    }

    private static String nextRequestId() {
        return String.format("01SANDBOX%017d", REQUEST_IDS.incrementAndGet());
    }
}
