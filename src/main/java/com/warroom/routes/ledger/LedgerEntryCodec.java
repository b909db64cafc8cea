package com.warroom.routes.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The form a ledger entry is held in memory: only what the decision and the {@code already_exists}
 * result read ({@code integration_id}, {@code plugin_type}, {@code chat_id}, {@code chat_name},
 * {@code share_link}, {@code request_id}), as length-prefixed UTF-8 after a format byte, instead of
 * the entry's JSON (about 330 bytes, a third of it the incident_id, event_id and created_at nobody
 * reads back). A heap histogram of a 1,000,000-entry ledger put the entries' byte arrays at about
 * three quarters of the heap (docs/performance.md). An entry that is not a JSON object is held as
 * it came, and read as before.
 */
public final class LedgerEntryCodec {

    static final byte RAW = 0;
    static final byte COMPACT = 1;
    private static final String[] TEXTS = {"plugin_type", "chat_id", "chat_name", "share_link", "request_id"};

    private final ObjectMapper mapper;

    public LedgerEntryCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * The held form of an entry's JSON bytes. Read with Jackson's streaming parser, no tree: every
     * entry of the ledger passes here at start (a tree took most of the read-back's CPU).
     */
    public byte[] compact(byte[] json) {
        byte[][] texts = new byte[TEXTS.length][];
        boolean hasIntegration = false;
        long integration = 0;
        try (JsonParser p = mapper.getFactory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return raw(json);
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                int i = textIndex(name);
                if (i >= 0 && v.isScalarValue() && v != JsonToken.VALUE_NULL) {
                    texts[i] = p.getValueAsString().getBytes(StandardCharsets.UTF_8);
                } else if ("integration_id".equals(name) && v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                    hasIntegration = true;
                    integration = p.getLongValue();
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return raw(json);
            }
        } catch (IOException | RuntimeException e) {
            return raw(json);
        }
        int size = 1 + 1 + 8;
        for (byte[] text : texts) {
            size += 4 + (text == null ? 0 : text.length);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(COMPACT).put((byte) (hasIntegration ? 1 : 0)).putLong(integration);
        for (byte[] text : texts) {
            b.putInt(text == null ? -1 : text.length);
            if (text != null) {
                b.put(text);
            }
        }
        return b.array();
    }

    private static int textIndex(String name) {
        for (int i = 0; i < TEXTS.length; i++) {
            if (TEXTS[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] raw(byte[] json) {
        byte[] v = new byte[1 + json.length];
        v[0] = RAW;
        System.arraycopy(json, 0, v, 1, json.length);
        return v;
    }

    /** The entry as the routes read it (a JSON object with the fields above), from its held form (or its JSON as written). */
    public JsonNode expand(byte[] held) throws IOException {
        if (held.length == 0 || held[0] > COMPACT) {
            return mapper.readTree(held); // JSON as written: a view that holds entries as they came (route tests)
        }
        if (held[0] == RAW) {
            return mapper.readTree(held, 1, held.length - 1);
        }
        ByteBuffer b = ByteBuffer.wrap(held, 1, held.length - 1);
        ObjectNode e = mapper.createObjectNode();
        boolean hasIntegration = b.get() == 1;
        long integration = b.getLong();
        if (hasIntegration) {
            e.put("integration_id", integration);
        }
        for (String field : TEXTS) {
            int length = b.getInt();
            if (length >= 0) {
                e.put(field, new String(held, b.position(), length, StandardCharsets.UTF_8));
                b.position(b.position() + length);
            }
        }
        return e;
    }
}
