package com.warroom.routes.flashduty;

import java.io.InputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one attempt got back: Flashduty's envelope ({@code request_id}, {@code data} or {@code error.code}
 * and {@code error.message}), or, without one, the code its HTTP status or transport failure stands for.
 * Every text is bounded where it enters ({@link AnswerFields}): it reaches the ledger, results and logs.
 * {@code data} is set on success only; {@code status} is 0 when no answer came.
 */
public record Envelope(int status, String requestId, String code, String message, JsonNode data, String retryAfter) {

    public boolean succeeded() {
        return data != null;
    }

    /**
     * Reads an answer. Without Flashduty's envelope: 429 is {@code RequestTooFrequently}; a create answered
     * 5xx or 2xx is {@value FlashdutyResponses#OUTCOME_UNKNOWN} (a gateway's page does not say the room was
     * not opened); other 5xx {@code ServiceUnavailable}; anything else {@value FlashdutyResponses#INVALID_RESPONSE}.
     */
    static Envelope read(ObjectMapper mapper, int status, String headerRequestId, String retryAfter, Object body, boolean create) {
        JsonNode envelope = parse(mapper, body);
        String requestId = AnswerFields.id(envelope != null && envelope.path("request_id").isTextual()
                ? envelope.path("request_id").asText() : headerRequestId);
        if (status >= 200 && status < 300 && envelope != null && envelope.has("data")) {
            JsonNode data = envelope.get("data");
            return new Envelope(status, requestId, null, null, create ? AnswerFields.warRoom(data) : data, retryAfter);
        }
        JsonNode error = envelope == null ? null : envelope.path("error");
        if (error != null && error.path("code").isTextual()) {
            return new Envelope(status, requestId, AnswerFields.id(error.path("code").asText()),
                    AnswerFields.message(error.path("message").asText("")), null, retryAfter);
        }
        String bare = "HTTP " + status + " without a Flashduty envelope";
        String code = status == 429 ? FlashdutyResponses.RATE_LIMITED
                : (status >= 500 || status >= 200 && status < 300) && create ? FlashdutyResponses.OUTCOME_UNKNOWN
                : status >= 500 ? "ServiceUnavailable" : FlashdutyResponses.INVALID_RESPONSE;
        String message = status == 429 ? "rate limited"
                : FlashdutyResponses.OUTCOME_UNKNOWN.equals(code) ? bare + ": the war room may exist" : bare;
        return new Envelope(status, requestId, code, message, null, retryAfter);
    }

    /**
     * No answer to read ({@link FlashdutyResponses#failure}): a transport failure's code. An answer past the
     * byte cap is {@value FlashdutyResponses#OUTCOME_UNKNOWN} for a create (Flashduty answered: the room may exist).
     */
    static Envelope none(String failure, boolean create) {
        String message = switch (failure) {
            case FlashdutyResponses.ANSWER_TOO_LARGE -> "the answer is larger than FLASHDUTY_MAX_ANSWER_BYTES"
                    + (create ? ": the war room may exist" : "");
            case FlashdutyResponses.CONNECTION_ERROR -> "Flashduty could not be reached";
            case FlashdutyResponses.TIMEOUT -> "Flashduty did not answer in time";
            default -> "Flashduty closed the connection without an answer";
        };
        String code = create && FlashdutyResponses.ANSWER_TOO_LARGE.equals(failure) ? FlashdutyResponses.OUTCOME_UNKNOWN : failure;
        return new Envelope(0, null, code, message, null, null);
    }

    /** An HTTP answer's body as a JSON object; null when it is none (also read by RocketChatPages). */
    public static JsonNode parse(ObjectMapper mapper, Object body) {
        try {
            JsonNode node = body == null ? null : body instanceof InputStream in ? mapper.readTree(in)
                    : body instanceof byte[] bytes ? mapper.readTree(bytes) : mapper.readTree(body.toString());
            return node != null && node.isObject() ? node : null;
        } catch (Exception e) {
            return null; // past the mapper's read limits, or not JSON: no envelope
        }
    }
}
