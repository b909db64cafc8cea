package com.warroom.routes.incident;

/**
 * A record that can never be handled as an incident event (malformed, too large, missing or
 * mistyped fields). It carries a stable reason code and the field concerned, never the value.
 */
public final class InvalidRecordException extends RuntimeException {

    private final String reason;
    private final String detail;

    public InvalidRecordException(String reason, String detail) {
        super(detail == null ? reason : reason + ": " + detail, null, false, false);
        this.reason = reason;
        this.detail = detail;
    }

    public String reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }
}
