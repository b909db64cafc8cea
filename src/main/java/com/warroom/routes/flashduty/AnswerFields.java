package com.warroom.routes.flashduty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The bounds of what Flashduty's answer may put into a ledger entry, a result or a log line
 * (README, "Topics and records"). Every such field is bounded where it enters
 * ({@link FlashdutyResponses}): control characters are escaped ({@code \n}, {@code \r},
 * {@code \u0000}...), so no answer can forge a log line, and a longer text is clipped to its bound
 * with {@value #CLIPPED} at the end. So a ledger entry is at most a few KiB whatever the answer,
 * and Kafka always takes it (a 2 MB chat_name once made an entry Kafka refused: the room stayed
 * out of the ledger and the next event for the incident opened a second one).
 */
public final class AnswerFields {

    /** request_id, chat_id, error.code */
    public static final int MAX_ID_CHARS = 128;
    /** chat_name */
    public static final int MAX_NAME_CHARS = 512;
    /** share_link */
    public static final int MAX_LINK_CHARS = 2048;
    /** error.message, which results and template answers copy */
    public static final int MAX_MESSAGE_CHARS = 1_000;
    /** ends a clipped field */
    public static final String CLIPPED = "…[clipped]";

    private AnswerFields() {
    }

    public static String id(String value) {
        return bounded(value, MAX_ID_CHARS);
    }

    public static String message(String value) {
        return bounded(value, MAX_MESSAGE_CHARS);
    }

    /**
     * The war room of a create answer: only chat_id, chat_name and share_link, each bounded (a
     * missing or non-text one is left out; the routes read them as empty).
     */
    public static ObjectNode warRoom(JsonNode data) {
        ObjectNode room = JsonNodeFactory.instance.objectNode();
        put(room, data, "chat_id", MAX_ID_CHARS);
        put(room, data, "chat_name", MAX_NAME_CHARS);
        put(room, data, "share_link", MAX_LINK_CHARS);
        return room;
    }

    private static void put(ObjectNode room, JsonNode data, String field, int max) {
        JsonNode n = data == null ? null : data.get(field);
        if (n != null && n.isValueNode() && !n.isNull()) {
            room.put(field, bounded(n.asText(), max));
        }
    }

    /** Control characters escaped, then at most {@code max} characters, the last ones {@value #CLIPPED} when cut. */
    public static String bounded(String value, int max) {
        if (value == null) {
            return null;
        }
        StringBuilder escaped = new StringBuilder();
        // no more than max + 1 characters are looked at: whatever follows is clipped anyway
        for (int i = 0; i < Math.min(value.length(), max + 1); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                escaped.append(c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : String.format("\\u%04x", (int) c));
            } else {
                escaped.append(c);
            }
        }
        if (escaped.length() <= max && value.length() <= max) {
            return escaped.toString();
        }
        int end = max - CLIPPED.length();
        if (Character.isHighSurrogate(escaped.charAt(end - 1))) {
            end--;
        }
        return escaped.substring(0, end) + CLIPPED;
    }
}
