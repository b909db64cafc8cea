package com.warroom.routes.ledger;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The form a ledger entry is held in memory: only what the decision and the {@code already_exists}
 * result read ({@code integration_id}, {@code plugin_type}, {@code chat_id}, {@code chat_name},
 * {@code share_link}, {@code request_id}): a format byte, the integration id and each text's
 * length as variable-length integers (one byte for most, Kafka's own varint encoding), then the UTF-8 texts; instead of the
 * entry's JSON (about 330 bytes, a third of it the incident_id, event_id and created_at nobody
 * reads back). Heap histograms of a 1,000,000-entry ledger put the entries' byte arrays at three
 * quarters of the heap, then (fixed 4- and 8-byte numbers) at 150 of 268 MiB (docs/performance.md).
 * An entry that is not a JSON object is held as it came, and read as before.
 */
public final class LedgerEntryCodec {

    static final byte RAW = 0;
    static final byte COMPACT = 1;
    /** COMPACT with an integration_id */
    static final byte COMPACT_WITH_ID = 2;
    private static final List<String> TEXTS = List.of("plugin_type", "chat_id", "chat_name", "share_link", "request_id");

    private final ObjectMapper mapper;

    public LedgerEntryCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * The held form of an entry's JSON bytes. Read with Jackson's streaming parser, no tree: every
     * entry of the ledger passes here at start (a tree took most of the read-back's CPU).
     */
    public byte[] compact(byte[] json) {
        byte[][] texts = new byte[TEXTS.size()][];
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
                int i = TEXTS.indexOf(name);
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
            ByteArrayOutputStream b = new ByteArrayOutputStream(json.length / 2);
            DataOutputStream out = new DataOutputStream(b);
            out.write(hasIntegration ? COMPACT_WITH_ID : COMPACT);
            if (hasIntegration) {
                ByteUtils.writeVarlong(integration, out); // zig-zag: a small negative id stays short
            }
            for (byte[] text : texts) {
                ByteUtils.writeUnsignedVarint(text == null ? 0 : text.length + 1, out); // 0: absent
                if (text != null) {
                    out.write(text);
                }
            }
            return b.toByteArray();
        } catch (IOException | RuntimeException e) {
            return raw(json);
        }
    }

    private static byte[] raw(byte[] json) {
        return ByteBuffer.allocate(1 + json.length).put(RAW).put(json).array();
    }

    /** The entry as the routes read it (a JSON object with the fields above), from its held form (or its JSON as written). */
    public JsonNode expand(byte[] held) throws IOException {
        if (held.length == 0 || held[0] > COMPACT_WITH_ID) {
            return mapper.readTree(held); // JSON as written: a view that holds entries as they came (route tests)
        }
        if (held[0] == RAW) {
            return mapper.readTree(held, 1, held.length - 1);
        }
        ObjectNode e = mapper.createObjectNode();
        ByteBuffer in = ByteBuffer.wrap(held, 1, held.length - 1);
        if (held[0] == COMPACT_WITH_ID) {
            e.put("integration_id", ByteUtils.readVarlong(in));
        }
        for (String field : TEXTS) {
            int length = ByteUtils.readUnsignedVarint(in) - 1;
            if (length >= 0) {
                e.put(field, new String(held, in.position(), length, StandardCharsets.UTF_8));
                in.position(in.position() + length);
            }
        }
        return e;
    }
}
