package com.warroom.routes.incident;

/**
 * The bounds of what a record may make the module write. A field copied from a record into an output
 * (a result, a ledger entry, a template answer, a record key, a log line) has at most
 * {@value #MAX_CHARS} characters: a longer one is refused as {@code field_too_long}, so no record can
 * make an output larger than Kafka accepts and no API call is made for it. Text that comes from a
 * server (Flashduty's error messages) is not the record's fault: it is cut where it enters
 * ({@link com.warroom.routes.flashduty.AnswerFields}).
 */
public final class EchoedFields {

    /** event_id, event_type, template_id, lookup_id and the template filters' text */
    public static final int MAX_CHARS = 256;
    /** the template filter team_ids */
    public static final int MAX_ITEMS = 1_000;

    private EchoedFields() {
    }

    /** The value, or {@link InvalidRecordException} {@code field_too_long} naming the field (never the value). */
    public static String bounded(String value, String field) {
        if (value != null && value.length() > MAX_CHARS) {
            throw new InvalidRecordException("field_too_long", field);
        }
        return value;
    }
}
