package com.warroom.routes.flashduty;

/**
 * The exchange properties a Flashduty call reads (path, priority) and sets for its caller (routes/40-flashduty-call.yaml's
 * {@code description}); what the call keeps between its attempts are route variables.
 */
public final class FlashdutyCallState {
    /** in: the API path, e.g. /incident/war-room/create */
    public static final String PATH = "flashdutyPath";
    /** in: the budget priority; 0 = war-room creation, 10 (or none) = everything else */
    public static final String PRIORITY = "flashdutyPriority";
    public static final String ATTEMPTS = "flashdutyAttempts";
    /** out: success | failed */
    public static final String OUTCOME = "flashdutyOutcome";
    /** out: the envelope's data object (Jackson JsonNode) on success */
    public static final String DATA = "flashdutyData";
    public static final String REQUEST_ID = "flashdutyRequestId";
    public static final String ERROR_CODE = "flashdutyErrorCode";
    public static final String ERROR_MESSAGE = "flashdutyErrorMessage";

    private FlashdutyCallState() {
    }
}
