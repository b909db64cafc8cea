package com.warroom.routes.incident;

import com.warroom.routes.kafka.RecordRejected;

/**
 * A record that can never be handled as an incident event (malformed, too large, missing or
 * mistyped fields). It carries a stable reason code and the field concerned, never the value.
 */
public final class InvalidRecordException extends RecordRejected {

    public InvalidRecordException(String reason, String detail) {
        super(reason, detail);
    }
}
