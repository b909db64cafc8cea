package com.warroom.routes.ledger;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.support.TestKafka;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A ledger entry is held with only what is read back, and reads back as the routes need it. */
class LedgerEntryCodecTest {

    final LedgerEntryCodec codec = new LedgerEntryCodec(TestKafka.MAPPER);

    static final String ENTRY = "{\"incident_id\":\"64b1352e376e32c85c56e25b\",\"event_id\":\"fac0599a2a25529ba2362c0c184b6cfb\","
            + "\"integration_id\":362,\"plugin_type\":\"feishu\",\"chat_id\":\"oc_64b1352e376e32c85c56e25b\","
            + "\"chat_name\":\"Incident #56E25B war room ✓\",\"share_link\":\"\",\"request_id\":\"01SANDBOX00000000000123456\","
            + "\"created_at\":\"2026-12-02T15:40:00.123456Z\"}";

    @Test
    void theHeldFormKeepsWhatAlreadyExistsReadsInAboutAThirdLess() throws Exception {
        byte[] json = ENTRY.getBytes(StandardCharsets.UTF_8);
        byte[] held = codec.compact(json);
        assertTrue(held.length < json.length * 2 / 3, held.length + " of " + json.length);
        JsonNode back = codec.expand(held);
        JsonNode original = TestKafka.MAPPER.readTree(json);
        for (String field : new String[] {"integration_id", "plugin_type", "chat_id", "chat_name", "share_link", "request_id"}) {
            assertEquals(original.get(field).toString(), back.get(field).toString(), field);
        }
        assertFalse(back.has("event_id"));
    }

    @Test
    void missingFieldsStayMissingAndWhatIsNoObjectReadsAsBefore() throws Exception {
        JsonNode back = codec.expand(codec.compact("{\"chat_id\":\"oc_1\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("{\"chat_id\":\"oc_1\"}", back.toString());
        assertEquals("[1,2]", codec.expand(codec.compact("[1,2]".getBytes(StandardCharsets.UTF_8))).toString());
        assertEquals("oc_2", codec.expand("{\"chat_id\":\"oc_2\"}".getBytes(StandardCharsets.UTF_8)).path("chat_id").asText(),
                "JSON as written (a view without the codec)");
    }

    @Test
    void anyIntegrationIdAndLongTextsReadBackAsWritten() throws Exception {
        String longName = "war room ".repeat(40) + "✓"; // longer than one length byte holds
        for (long id : new long[] {0, 1, 362, -1, -362, Long.MAX_VALUE, Long.MIN_VALUE}) {
            String json = "{\"integration_id\":" + id + ",\"chat_name\":\"" + longName + "\",\"share_link\":\"\"}";
            JsonNode back = codec.expand(codec.compact(json.getBytes(StandardCharsets.UTF_8)));
            assertEquals(id, back.get("integration_id").asLong(), "integration_id " + id);
            assertEquals(longName, back.get("chat_name").asText());
            assertEquals("", back.get("share_link").asText(), "empty is not absent");
            assertFalse(back.has("chat_id"));
        }
    }
}
