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

    /** The attempt after this one, with its answer: another is due at once unless {@link #ended}. */
    Attempt then(Envelope answer, boolean rateLimitedAnswer) {
        return new Attempt(number + 1, rateLimited + (rateLimitedAnswer ? 1 : 0), true, 0,
                answer.succeeded() ? "success" : null, answer.code(), answer.message(), answer.requestId(), answer.data());
    }

    Attempt after(long millis) {
        return new Attempt(number, rateLimited, retry, millis, outcome, code, message, requestId, data);
    }

    /** The call ends here: {@code success}, else {@code failed}. */
    Attempt ended() {
        return new Attempt(number, rateLimited, false, 0, outcome == null ? "failed" : outcome, code, message, requestId, data);
    }
}
