package com.warroom.routes.kafka;

/**
 * An input record set aside for what it holds (never retried): the dead-letter reason and a detail
 * made of names only. The parsers' exceptions extend it, so this package needs none of theirs.
 */
public abstract class RecordRejected extends RuntimeException {

    private final String reason;
    private final String detail;

    protected RecordRejected(String reason, String detail) {
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
