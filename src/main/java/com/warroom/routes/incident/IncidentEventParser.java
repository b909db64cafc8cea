package com.warroom.routes.incident;

import java.io.IOException;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
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
        JsonNode event = readObject(mapper, exchange.getProperty(IncomingRecord.VALUE, byte[].class), limits.incidentBytes());
        String eventId = EchoedFields.bounded(required(event, "event_id", "event_id", JsonNode::isTextual).asText(), "event_id");
        String eventType = EchoedFields.bounded(required(event, "event_type", "event_type", JsonNode::isTextual).asText(), "event_type");
        long eventTime = required(event, "event_time", "event_time", n -> n.isIntegralNumber() && n.canConvertToLong()).asLong();
        JsonNode incident = required(event, "incident", "incident", JsonNode::isObject);
        String incidentId = required(incident, "incident_id", "incident.incident_id", JsonNode::isTextual).asText();
        if (!isObjectId(incidentId)) {
            throw new InvalidRecordException("invalid_incident_id", "incident.incident_id");
        }
        String severity = field(incident, "incident_severity", "incident.incident_severity", JsonNode::isTextual).asText();
        String progress = field(incident, "progress", "incident.progress", JsonNode::isTextual).asText();
        int responders = countResponders(incident);
        field(event, "person", "person", JsonNode::isObject);

        exchange.setProperty(EVENT, event);
        exchange.setProperty(EVENT_ID, eventId);
        exchange.setProperty(EVENT_TYPE, eventType);
        exchange.setProperty(EVENT_TIME, eventTime);
        exchange.setProperty(INCIDENT_ID, incidentId.toLowerCase());
        exchange.setProperty(SEVERITY, severity);
        exchange.setProperty(PROGRESS, progress);
        exchange.setProperty(RESPONDERS, responders);
        exchange.setProperty(INCIDENT_START, incidentStart(incident)); // null (unknown) removes it
        exchange.getMessage().setBody(null);
    }

    /**
     * A record's value as a JSON object, or {@link InvalidRecordException}: empty, larger than
     * {@code maxBytes}, not JSON (the parser's message is dropped: it quotes the input) or not an object.
     */
    public static JsonNode readObject(ObjectMapper mapper, byte[] value, int maxBytes) {
        if (value == null || value.length == 0) {
            throw new InvalidRecordException("empty_value", null);
        }
        if (value.length > maxBytes) {
            throw new InvalidRecordException("record_too_large", value.length + " bytes > " + maxBytes);
        }
        JsonNode node;
        try {
            node = mapper.readTree(value);
        } catch (IOException | RuntimeException e) {
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

    /** The field, a missing node when absent or null, else {@code wrong_type} naming {@code path} when not of its type. */
    public static JsonNode field(JsonNode parent, String name, String path, Predicate<JsonNode> type) {
        JsonNode n = parent.path(name);
        if (n.isMissingNode() || n.isNull()) {
            return MissingNode.getInstance();
        }
        if (!type.test(n)) {
            throw new InvalidRecordException("wrong_type", path);
        }
        return n;
    }

    /** As {@link #field}, but absent, null or blank text is {@code missing_field}. */
    private static JsonNode required(JsonNode parent, String name, String path, Predicate<JsonNode> type) {
        JsonNode n = field(parent, name, path, type);
        if (n.isMissingNode() || n.isTextual() && n.asText().isBlank()) {
            throw new InvalidRecordException("missing_field", path);
        }
        return n;
    }

    /**
     * {@code incident.start_time}, else {@code created_at} (epoch seconds), in milliseconds; null when
     * neither is a positive integer that fits. Not a reason to set the record aside: an unknown start
     * is judged by the decision (LedgerRetention).
     */
    static Long incidentStart(JsonNode incident) {
        for (String field : new String[] {"start_time", "created_at"}) {
            JsonNode n = incident.get(field);
            if (n != null && n.isIntegralNumber() && n.canConvertToLong()) {
                long seconds = n.asLong();
                if (seconds > 0 && seconds <= Long.MAX_VALUE / 1000) {
                    return seconds * 1000;
                }
            }
        }
        return null;
    }

    private static int countResponders(JsonNode incident) {
        JsonNode responders = field(incident, "responders", "incident.responders", JsonNode::isArray);
        JsonNode ids = field(incident, "responder_ids", "incident.responder_ids", JsonNode::isArray);
        for (JsonNode r : responders) {
            if (!r.isObject()) {
                throw new InvalidRecordException("wrong_type", "incident.responders[]");
            }
            field(r, "person_id", "incident.responders[].person_id", JsonNode::isIntegralNumber);
        }
        for (JsonNode id : ids) {
            if (!id.isIntegralNumber()) {
                throw new InvalidRecordException("wrong_type", "incident.responder_ids[]");
            }
        }
        return Math.max(responders.size(), ids.size());
    }
}
