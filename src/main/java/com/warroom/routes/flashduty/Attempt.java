package com.warroom.routes.flashduty;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where a Flashduty call stands after its latest attempt: route variable {@code flashdutyAttempt} of
 * routes/40-flashduty-call.yaml, which loops while {@link #retry}, waiting {@link #backoffMillis} first.
 * {@code outcome} is {@code success} or {@code failed} once the call ended (null while it goes on);
 * {@code number} counts the attempts sent, {@code rateLimited} those answered RequestTooFrequently.
 */
public record Attempt(int number, int rateLimited, boolean retry, long backoffMillis,
                      String outcome, String code, String message, String requestId, JsonNode data) {

    /** Before the first attempt: one is due now. */
    public static final Attempt NONE = new Attempt(0, 0, true, 0, null, null, null, null, null);

    Attempt succeeded(Envelope answer) {
        return new Attempt(number + 1, rateLimited, false, 0, "success", null, null, answer.requestId(), answer.data());
    }

    Attempt again(int number, int rateLimited, Envelope answer, long backoffMillis) {
        return new Attempt(number, rateLimited, true, backoffMillis, null, answer.code(), answer.message(), answer.requestId(), null);
    }

    Attempt failed(int number, int rateLimited, String code, String message, String requestId) {
        return new Attempt(number, rateLimited, false, 0, "failed", code, message, requestId, null);
    }
}
