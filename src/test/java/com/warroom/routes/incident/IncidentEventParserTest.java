package com.warroom.routes.incident;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.support.Events;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IncidentEventParserTest {

    private final IncidentEventParser parser = new IncidentEventParser(new RecordLimits("incidents", "template-requests", "incidents-dlq", 1_048_576));
    private final DefaultCamelContext context = new DefaultCamelContext();

    private Exchange parse(byte[] value) {
        Exchange ex = new DefaultExchange(context);
        ex.setProperty(IncomingRecord.VALUE, value);
        parser.parse(ex);
        return ex;
    }

    private String reason(byte[] value) {
        return assertThrows(InvalidRecordException.class, () -> parse(value)).reason();
    }

    private String reason(String value) {
        return reason(value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void documentedExampleParses() {
        Exchange ex = parse(Events.exampleJson().getBytes(StandardCharsets.UTF_8));
        assertEquals("fac0599a2a25529ba2362c0c184b6cfb", ex.getProperty(IncidentEventParser.EVENT_ID));
        assertEquals("i_new", ex.getProperty(IncidentEventParser.EVENT_TYPE));
        assertEquals(1689335086948L, ex.getProperty(IncidentEventParser.EVENT_TIME));
        assertEquals("64b1352e376e32c85c56e25b", ex.getProperty(IncidentEventParser.INCIDENT_ID));
        assertEquals("Critical", ex.getProperty(IncidentEventParser.SEVERITY));
        assertEquals("Triggered", ex.getProperty(IncidentEventParser.PROGRESS));
        assertEquals(1, ex.getProperty(IncidentEventParser.RESPONDERS));
    }

    @Test
    void malformedAndTruncatedJson() {
        assertEquals("malformed_json", reason("{\"event_id\": "));
        assertEquals("malformed_json", reason(Events.exampleJson().substring(0, 200)));
        assertEquals("malformed_json", reason("not json at all"));
        assertEquals("not_an_object", reason("[1,2,3]"));
        assertEquals("not_an_object", reason("\"a string\""));
    }

    /** A key given twice is ambiguous (which value did the sender mean?): not a valid event, at any depth. */
    @Test
    void aKeyGivenTwiceIsNotAValidEvent() {
        String example = Events.exampleJson();
        assertEquals("malformed_json", reason(example.replaceFirst("\\{", "{\"event_type\": \"i_snooze\", ")));
        assertEquals("malformed_json", reason(example.replace("\"incident\": {", "\"incident\": {\"incident_severity\": \"Info\", ")));
        assertEquals("malformed_json", reason("{\"a\": {\"b\": [{\"c\": 1, \"c\": 2}]}}"));
        assertEquals("missing_field", reason("{\"a\": {\"b\": [{\"c\": 1}, {\"c\": 2}]}}"), "the same key in sibling objects is fine");
    }

    @Test
    void emptyAndTooLarge() {
        assertEquals("empty_value", reason(new byte[0]));
        assertEquals("empty_value", reason((byte[]) null));
        byte[] big = new byte[1_048_577];
        java.util.Arrays.fill(big, (byte) ' ');
        assertEquals("record_too_large", reason(big));
    }

    @Test
    void nonUtf8Bytes() {
        byte[] bytes = Events.exampleJson().getBytes(StandardCharsets.UTF_8);
        int at = Events.exampleJson().indexOf("ysy028");
        bytes[at] = (byte) 0xC3;
        bytes[at + 1] = (byte) 0x28; // invalid continuation byte
        assertEquals("malformed_json", reason(bytes));
    }

    @Test
    void deeplyNestedJsonIsRejectedNotOverflowing() {
        String nested = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
        assertEquals("malformed_json", reason(nested));
    }

    @Test
    void missingFields() {
        for (String field : new String[] {"event_id", "event_type", "event_time", "incident"}) {
            ObjectNode e = Events.example();
            e.remove(field);
            assertEquals("missing_field", reason(Events.json(e)), field);
        }
        ObjectNode e = Events.example();
        Events.incident(e).remove("incident_id");
        InvalidRecordException ex = assertThrows(InvalidRecordException.class,
                () -> parse(Events.json(e).getBytes(StandardCharsets.UTF_8)));
        assertEquals("missing_field", ex.reason());
        assertEquals("incident.incident_id", ex.detail());
    }

    @Test
    void wrongTypes() {
        ObjectNode a = Events.example();
        a.put("event_time", "yesterday");
        assertEquals("wrong_type", reason(Events.json(a)));
        ObjectNode b = Events.example();
        b.put("event_id", 42);
        assertEquals("wrong_type", reason(Events.json(b)));
        ObjectNode c = Events.example();
        c.put("incident", "64b1352e376e32c85c56e25b");
        assertEquals("wrong_type", reason(Events.json(c)));
        ObjectNode d = Events.example();
        Events.incident(d).put("responders", "everyone");
        assertEquals("wrong_type", reason(Events.json(d)));
        ObjectNode f = Events.example();
        Events.incident(f).put("incident_severity", 3);
        assertEquals("wrong_type", reason(Events.json(f)));
    }

    @Test
    void incidentIdMustBe24Hex() {
        for (String bad : new String[] {"64b1352e376e32c85c56e25", "64b1352e376e32c85c56e25bz", "zzb1352e376e32c85c56e25b",
                "'; DROP TABLE incidents; --", "../../etc/passwd000000000", "64b1352e376e32c85c56e25b\n"}) {
            ObjectNode e = Events.example();
            Events.incident(e).put("incident_id", bad);
            assertEquals("invalid_incident_id", reason(Events.json(e)), bad);
        }
    }

    @Test
    void noRespondersIsValidAndCountedAsZero() {
        ObjectNode e = Events.example();
        Events.incident(e).putArray("responders");
        Events.incident(e).putArray("responder_ids");
        Exchange ex = parse(Events.json(e).getBytes(StandardCharsets.UTF_8));
        assertEquals(0, ex.getProperty(IncidentEventParser.RESPONDERS));
    }

    /** Fields the outputs copy are bounded: one more character than the bound is refused, naming the field. */
    @Test
    void echoedFieldsAreBounded() {
        for (String field : new String[] {"event_id", "event_type"}) {
            ObjectNode atBound = Events.example();
            atBound.put(field, "e".repeat(EchoedFields.MAX_CHARS));
            assertEquals("e".repeat(EchoedFields.MAX_CHARS), parse(Events.json(atBound).getBytes(StandardCharsets.UTF_8)).getProperty(
                    field.equals("event_id") ? IncidentEventParser.EVENT_ID : IncidentEventParser.EVENT_TYPE));
            ObjectNode over = Events.example();
            over.put(field, "e".repeat(EchoedFields.MAX_CHARS + 1));
            InvalidRecordException ex = assertThrows(InvalidRecordException.class,
                    () -> parse(Events.json(over).getBytes(StandardCharsets.UTF_8)));
            assertEquals("field_too_long", ex.reason());
            assertEquals(field, ex.detail());
        }
        ObjectNode huge = Events.example();
        huge.put("event_id", "x".repeat(900_000));
        assertEquals("field_too_long", reason(Events.json(huge)));
    }

    /** The limit is the incident topic's, as read at start, not a constant. */
    @Test
    void theSizeLimitIsTheTopics() {
        IncidentEventParser small = new IncidentEventParser(new RecordLimits("incidents", "template-requests", "incidents-dlq", 2_000));
        ObjectNode e = Events.example();
        Events.incident(e).put("title", "t".repeat(2_000));
        Exchange ex = new DefaultExchange(context);
        ex.setProperty(IncomingRecord.VALUE, Events.json(e).getBytes(StandardCharsets.UTF_8));
        assertEquals("record_too_large", assertThrows(InvalidRecordException.class, () -> small.parse(ex)).reason());
        byte[] big = Events.json(e).getBytes(StandardCharsets.UTF_8);
        Exchange fits = parse(big); // the 1 MiB parser takes the same record
        assertEquals(Events.example().path("event_id").asText(), fits.getProperty(IncidentEventParser.EVENT_ID));
    }
}
