package com.warroom.routes.flashduty;

/** Names of the exchange properties a Flashduty call reads and writes (see routes/40-flashduty-call.yaml, whose header lists them). */
public final class FlashdutyCallState {
    /** in: the API path, e.g. /incident/war-room/create */
    public static final String PATH = "flashdutyPath";
    /** in: the budget priority; 0 = war-room creation, 10 = everything else */
    public static final String PRIORITY = "flashdutyPriority";
    /** kept: the JSON request body, re-sent on every attempt */
    public static final String REQUEST_BODY = "flashdutyRequestBody";
    /** loop condition: true while another attempt is due */
    public static final String NEXT_ATTEMPT = "flashdutyNextAttempt";
    /** wait before the next attempt, in milliseconds */
    public static final String BACKOFF_MILLIS = "flashdutyBackoffMillis";
    public static final String ATTEMPTS = "flashdutyAttempts";
    static final String RATE_LIMITED_ATTEMPTS = "flashdutyRateLimitedAttempts";
    static final String TRANSPORT_ERROR = "flashdutyTransportError";
    /** out: success | failed */
    public static final String OUTCOME = "flashdutyOutcome";
    /** out: the envelope's data object (Jackson JsonNode) on success */
    public static final String DATA = "flashdutyData";
    public static final String REQUEST_ID = "flashdutyRequestId";
    public static final String ERROR_CODE = "flashdutyErrorCode";
    public static final String ERROR_MESSAGE = "flashdutyErrorMessage";
    public static final String HTTP_STATUS = "flashdutyHttpStatus";

    private FlashdutyCallState() {
    }
}
