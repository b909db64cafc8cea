package com.warroom.routes.incident;

import java.io.IOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.RecordLimits;
import org.apache.camel.Exchange;

/**
 * Parses and validates a Flashduty incident webhook event (see CONTRACT.md) from the record's raw
 * bytes and puts the fields the routes decide on into exchange properties. Anything that is not a
 * usable event throws {@link InvalidRecordException} with a reason code, which sends the record to
 * the dead-letter topic: larger than the incident topic accepts ({@link RecordLimits}; only a
 * compressed record can be), or a field the outputs copy longer than {@link EchoedFields#MAX_CHARS}.
 */
public final class IncidentEventParser {

    public static final String EVENT = "incidentEvent";
    public static final String EVENT_ID = "eventId";
    public static final String EVENT_TYPE = "eventType";
    public static final String EVENT_TIME = "eventTime";
    public static final String INCIDENT_ID = "incidentId";
    public static final String SEVERITY = "incidentSeverity";
    public static final String PROGRESS = "incidentProgress";
    public static final String RESPONDERS = "responderCount";
    /** the incident's start ({@code incident.start_time}, else {@code created_at}) in epoch ms; absent when unknown */
    public static final String INCIDENT_START = "incidentStartMillis";

    static final Pattern OBJECT_ID = Pattern.compile("^[0-9a-fA-F]{24}$");
    static final int MAX_DEPTH = 64;

    private final ObjectMapper mapper;
    private final RecordLimits limits;

    public IncidentEventParser(RecordLimits limits) {
        this.limits = limits;
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH)
                        // no string is longer than the record, whose size is checked first
                        .maxStringLength(Integer.MAX_VALUE)
                        .maxNumberLength(40)
                        .build())
                .build();
        // A key given twice is ambiguous input: the record is not a valid event. Checked while the
        // tree is built (a replaced value fails), not by the parser's own duplicate detection, which
        // keeps a set of every object's names and cost a quarter of the parse (README, Performance).
        this.mapper = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    public static boolean isObjectId(String s) {
        return s != null && OBJECT_ID.matcher(s).matches();
    }

    public void parse(Exchange exchange) {
        byte[] value = exchange.getProperty(IncomingRecord.VALUE, byte[].class);
        if (value == null) {
            value = exchange.getMessage().getBody(byte[].class);
        }
        JsonNode event = read(value);
        String eventId = EchoedFields.bounded(requiredText(event, "event_id", "event_id"), "event_id");
        String eventType = EchoedFields.bounded(requiredText(event, "event_type", "event_type"), "event_type");
        long eventTime = requiredLong(event, "event_time", "event_time");
        JsonNode incident = event.get("incident");
        if (incident == null || incident.isNull()) {
            throw new InvalidRecordException("missing_field", "incident");
        }
        if (!incident.isObject()) {
            throw new InvalidRecordException("wrong_type", "incident");
        }
        String incidentId = requiredText(incident, "incident_id", "incident.incident_id");
        if (!isObjectId(incidentId)) {
            throw new InvalidRecordException("invalid_incident_id", "incident.incident_id");
        }
        String severity = optionalText(incident, "incident_severity", "incident.incident_severity");
        String progress = optionalText(incident, "progress", "incident.progress");
        int responders = countResponders(incident);
        JsonNode person = event.get("person");
        if (person != null && !person.isNull() && !person.isObject()) {
            throw new InvalidRecordException("wrong_type", "person");
        }

        exchange.setProperty(EVENT, event);
        exchange.setProperty(EVENT_ID, eventId);
        exchange.setProperty(EVENT_TYPE, eventType);
        exchange.setProperty(EVENT_TIME, eventTime);
        exchange.setProperty(INCIDENT_ID, incidentId.toLowerCase());
        exchange.setProperty(SEVERITY, severity == null ? "" : severity);
        exchange.setProperty(PROGRESS, progress == null ? "" : progress);
        exchange.setProperty(RESPONDERS, responders);
        long start = incidentStart(incident);
        if (start > 0) {
            exchange.setProperty(INCIDENT_START, start);
        } else {
            exchange.removeProperty(INCIDENT_START);
        }
        exchange.getMessage().setBody(null);
    }

    private JsonNode read(byte[] value) {
        if (value == null || value.length == 0) {
            throw new InvalidRecordException("empty_value", null);
        }
        int maxRecordBytes = limits.incidentBytes();
        if (value.length > maxRecordBytes) {
            throw new InvalidRecordException("record_too_large", value.length + " bytes > " + maxRecordBytes);
        }
        JsonNode node;
        try {
            node = mapper.readTree(value);
        } catch (IOException | RuntimeException e) {
            // no message: Jackson quotes the offending input
            throw new InvalidRecordException("malformed_json", e.getClass().getSimpleName());
        }
        if (node == null || node.isMissingNode()) {
            throw new InvalidRecordException("malformed_json", "no JSON value");
        }
        if (!node.isObject()) {
            throw new InvalidRecordException("not_an_object", node.getNodeType().name().toLowerCase());
        }
        return node;
    }

    private static String requiredText(JsonNode parent, String field, String path) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw new InvalidRecordException("missing_field", path);
        }
        if (!n.isTextual()) {
            throw new InvalidRecordException("wrong_type", path);
        }
        if (n.asText().isBlank()) {
            throw new InvalidRecordException("missing_field", path);
        }
        return n.asText();
    }

    private static long requiredLong(JsonNode parent, String field, String path) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw new InvalidRecordException("missing_field", path);
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new InvalidRecordException("wrong_type", path);
        }
        return n.asLong();
    }

    private static String optionalText(JsonNode parent, String field, String path) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidRecordException("wrong_type", path);
        }
        return n.asText();
    }

    /**
     * {@code incident.start_time}, else {@code created_at} (epoch seconds), in milliseconds; 0 when
     * neither is a positive integer that fits. Not a reason to set the record aside: an unknown start
     * is judged by the decision (LedgerRetention).
     */
    static long incidentStart(JsonNode incident) {
        for (String field : new String[] {"start_time", "created_at"}) {
            JsonNode n = incident.get(field);
            if (n != null && n.isIntegralNumber() && n.canConvertToLong()) {
                long seconds = n.asLong();
                if (seconds > 0 && seconds <= Long.MAX_VALUE / 1000) {
                    return seconds * 1000;
                }
            }
        }
        return 0;
    }

    private static int countResponders(JsonNode incident) {
        JsonNode responders = incident.get("responders");
        JsonNode ids = incident.get("responder_ids");
        if (responders != null && !responders.isNull() && !responders.isArray()) {
            throw new InvalidRecordException("wrong_type", "incident.responders");
        }
        if (ids != null && !ids.isNull() && !ids.isArray()) {
            throw new InvalidRecordException("wrong_type", "incident.responder_ids");
        }
        int count = 0;
        if (responders != null && responders.isArray()) {
            for (JsonNode r : responders) {
                if (!r.isObject()) {
                    throw new InvalidRecordException("wrong_type", "incident.responders[]");
                }
                JsonNode pid = r.get("person_id");
                if (pid != null && !pid.isNull() && !pid.isIntegralNumber()) {
                    throw new InvalidRecordException("wrong_type", "incident.responders[].person_id");
                }
            }
            count = responders.size();
        }
        if (ids != null && ids.isArray()) {
            for (JsonNode id : ids) {
                if (!id.isIntegralNumber()) {
                    throw new InvalidRecordException("wrong_type", "incident.responder_ids[]");
                }
            }
            count = Math.max(count, ids.size());
        }
        return count;
    }
}
