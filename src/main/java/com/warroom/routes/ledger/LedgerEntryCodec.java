package com.warroom.routes.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

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

    /** The held form of an entry's JSON bytes. */
    public byte[] compact(byte[] json) {
        JsonNode e;
        try {
            e = mapper.readTree(json);
        } catch (IOException | RuntimeException ex) {
            e = null;
        }
        if (e == null || !e.isObject()) {
            return raw(json);
        }
        byte[][] texts = new byte[TEXTS.length][];
        int size = 1 + 1 + 8;
        for (int i = 0; i < TEXTS.length; i++) {
            JsonNode n = e.get(TEXTS[i]);
            texts[i] = n == null || n.isNull() ? null : n.asText().getBytes(StandardCharsets.UTF_8);
            size += 4 + (texts[i] == null ? 0 : texts[i].length);
        }
        JsonNode integration = e.get("integration_id");
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(COMPACT);
        if (integration != null && integration.canConvertToLong()) {
            b.put((byte) 1).putLong(integration.asLong());
        } else {
            b.put((byte) 0).putLong(0);
        }
        for (byte[] t : texts) {
            b.putInt(t == null ? -1 : t.length);
            if (t != null) {
                b.put(t);
            }
        }
        return b.array();
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
