package com.warroom.routes.templates;

import java.io.IOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.EchoedFields;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.incident.InvalidRecordException;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.OutRecords;
import com.warroom.routes.kafka.RecordLimits;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Template lookups: reads a request ({@code {"template_id": ...}} or {@code {"list": {filters}}},
 * optional {@code lookup_id}), builds the /template/info and /template/list bodies, and turns the
 * answers into TEMPLATE_TOPIC records, one per template, key template_id. Every request is answered,
 * found or not ({@code lookup_status}: found, not_found, invalid, failed); the Template's own
 * {@code status} field is left as Flashduty sent it. A request larger than its topic accepts, or
 * whose ids or filters exceed {@link EchoedFields}' bounds, is dead-lettered before any call.
 */
public final class TemplateLookups {

    private static final Logger LOG = LoggerFactory.getLogger(TemplateLookups.class);
    /** A list answer that does not prove itself (no items list, an empty page that says more follow, too many pages). */
    public static final String INVALID_LIST = "invalid_list";
    /**
     * Keys of answers that are not a template: the requester chooses template_id and lookup_id, so an
     * answer keyed by them would grow the compacted topic by one key per random id, forever. Under a
     * fixed key, compaction keeps one of each; the requester finds its answer by lookup_id.
     */
    public static final String INVALID_KEY = "invalid-requests";
    public static final String FAILED_KEY = "failed-lookups";
    public static final String KIND = "templateLookup";
    public static final String TEMPLATE_ID = "templateId";
    public static final String LOOKUP_ID = "lookupId";
    static final String FILTERS = "templateFilters";
    public static final String PAGE = "templatePage";
    public static final String NEXT_PAGE = "templateNextPage";
    public static final String LIST_COMPLETE = "templateListComplete";
    public static final String SEEN = "templateIdsSeen";
    static final int PAGE_SIZE = 100;
    static final int MAX_PAGES = 10_000;
    /** The filters /template/list takes, and the JSON type each must have. */
    private static final Map<String, Predicate<JsonNode>> FILTER_TYPES = Map.of(
            "orderby", JsonNode::isTextual, "asc", JsonNode::isBoolean, "is_my_team", JsonNode::isBoolean,
            "team_ids", n -> n.isArray() && StreamSupport.stream(n.spliterator(), false).allMatch(JsonNode::isIntegralNumber),
            "creator_id", JsonNode::isIntegralNumber, "query", JsonNode::isTextual);

    private final ObjectMapper mapper;
    private final RecordLimits limits;

    public TemplateLookups(ObjectMapper mapper, RecordLimits limits) {
        this.mapper = mapper;
        this.limits = limits;
    }

    /** Validates the request; a malformed one throws {@link InvalidRecordException} (dead letter). */
    public void parse(Exchange exchange) {
        JsonNode req = IncidentEventParser.readObject(mapper, exchange.getProperty(IncomingRecord.VALUE, byte[].class),
                limits.templateRequestBytes());
        JsonNode lookupId = IncidentEventParser.field(req, "lookup_id", "lookup_id", n -> n.isTextual() || n.isIntegralNumber());
        exchange.setProperty(LOOKUP_ID, lookupId.isMissingNode() ? null : EchoedFields.bounded(lookupId.asText(), "lookup_id"));
        if (req.hasNonNull("template_id") == req.hasNonNull("list")) {
            throw new InvalidRecordException("missing_field", "exactly one of template_id, list");
        }
        if (req.hasNonNull("template_id")) {
            String id = IncidentEventParser.field(req, "template_id", "template_id", JsonNode::isTextual).asText();
            exchange.setProperty(TEMPLATE_ID, EchoedFields.bounded(id, "template_id"));
            exchange.setProperty(KIND, IncidentEventParser.isObjectId(id) ? "info" : "invalid");
            return;
        }
        JsonNode list = IncidentEventParser.field(req, "list", "list", JsonNode::isObject);
        ObjectNode filters = mapper.createObjectNode();
        for (Map.Entry<String, JsonNode> f : list.properties()) {
            Predicate<JsonNode> type = FILTER_TYPES.get(f.getKey());
            if (type == null) {
                // the name is the requester's: escaped and clipped before it reaches a log line or a dead-letter header
                throw new InvalidRecordException("unknown_field", "list." + com.warroom.routes.flashduty.AnswerFields.bounded(f.getKey(), 64));
            }
            JsonNode value = IncidentEventParser.field(list, f.getKey(), "list." + f.getKey(), type);
            if (value.isTextual()) {
                EchoedFields.bounded(value.asText(), "list." + f.getKey());
            } else if (value.size() > EchoedFields.MAX_ITEMS) {
                throw new InvalidRecordException("field_too_long", "list." + f.getKey());
            }
            if (!value.isMissingNode()) {
                filters.set(f.getKey(), value);
            }
        }
        exchange.setProperty(FILTERS, filters);
        exchange.setProperty(KIND, "list");
    }

    /** Starts listing every page: page 1, no template seen yet. */
    public void beginList(Exchange exchange) {
        exchange.setProperty(PAGE, 1);
        exchange.setProperty(NEXT_PAGE, Boolean.TRUE);
        exchange.setProperty(LIST_COMPLETE, Boolean.FALSE);
        exchange.setProperty(SEEN, new HashSet<String>());
    }

    public String listRequest(Exchange exchange) throws IOException {
        ObjectNode body = mapper.createObjectNode();
        body.put("p", exchange.getProperty(PAGE, 1, Integer.class));
        body.put("limit", PAGE_SIZE);
        ObjectNode filters = exchange.getProperty(FILTERS, ObjectNode.class);
        if (filters != null) {
            body.setAll(filters);
        }
        return mapper.writeValueAsString(body);
    }

    /** One /template/list answer: a record per template, and whether another page follows. */
    @SuppressWarnings("unchecked")
    public void listPage(Exchange exchange) throws IOException {
        OutRecords.clear(exchange);
        if (!"success".equals(exchange.getProperty(FlashdutyCallState.OUTCOME, String.class))) {
            OutRecords.add(exchange, FAILED_KEY, failure(exchange, null, "failed"));
            exchange.setProperty(NEXT_PAGE, Boolean.FALSE);
            return;
        }
        JsonNode data = exchange.getProperty(FlashdutyCallState.DATA, JsonNode.class);
        JsonNode list = data == null ? null : data.get("items");
        if (list == null || !list.isArray()) {
            cutShort(exchange, "a page without an items list");
            return;
        }
        Set<String> seen = exchange.getProperty(SEEN, Set.class);
        int items = 0;
        for (JsonNode t : list) {
            if (t.isObject() && t.path("template_id").isTextual()) {
                seen.add(t.path("template_id").asText());
                OutRecords.add(exchange, t.path("template_id").asText(), found(exchange, (ObjectNode) t));
                items++;
            }
        }
        int page = exchange.getProperty(PAGE, 1, Integer.class);
        boolean hasNext = data.path("has_next_page").asBoolean(false);
        exchange.setProperty(PAGE, page + 1);
        // only the server's own "no next page" ends a list; a page that says more follows but holds
        // nothing, or the page limit, cuts it short (never taken as the end: a sync would delete the rest)
        if (hasNext && items == 0) {
            cutShort(exchange, "page " + page + " holds no template but says a next page follows");
        } else if (hasNext && page >= MAX_PAGES) {
            cutShort(exchange, "more than " + MAX_PAGES + " pages");
        } else {
            exchange.setProperty(NEXT_PAGE, hasNext);
            exchange.setProperty(LIST_COMPLETE, !hasNext);
        }
    }

    /** The list did not prove itself: it stops here, not complete, and the request is answered as failed. */
    private void cutShort(Exchange exchange, String why) throws IOException {
        LOG.warn("template list stopped: {}; the list is not complete", why);
        exchange.setProperty(FlashdutyCallState.ERROR_CODE, INVALID_LIST);
        OutRecords.add(exchange, FAILED_KEY, failure(exchange, null, "failed"));
        exchange.setProperty(NEXT_PAGE, Boolean.FALSE);
        exchange.setProperty(LIST_COMPLETE, Boolean.FALSE);
    }

    /**
     * The /template/info answer (or its failure) as one record: a template found under its id; a
     * well-formed id that does not exist under that id, followed by its tombstone (a compacted topic
     * then drops both, as it does a template the sync no longer lists); an invalid one or a failure
     * under {@link #INVALID_KEY} or {@link #FAILED_KEY}, never over a template's last good record.
     */
    public void infoAnswer(Exchange exchange) throws IOException {
        OutRecords.clear(exchange);
        String id = exchange.getProperty(TEMPLATE_ID, String.class);
        if ("success".equals(exchange.getProperty(FlashdutyCallState.OUTCOME, String.class))) {
            JsonNode data = exchange.getProperty(FlashdutyCallState.DATA, JsonNode.class);
            OutRecords.add(exchange, id, found(exchange, data instanceof ObjectNode o ? o : mapper.createObjectNode()));
            return;
        }
        String code = exchange.getProperty(FlashdutyCallState.ERROR_CODE, String.class);
        if ("ResourceNotFound".equals(code)) {
            OutRecords.add(exchange, id, failure(exchange, id, "not_found"));
            OutRecords.add(exchange, id, null);
        } else if ("InvalidParameter".equals(code)) {
            OutRecords.add(exchange, INVALID_KEY, failure(exchange, id, "invalid"));
        } else {
            OutRecords.add(exchange, FAILED_KEY, failure(exchange, id, "failed"));
        }
    }

    /** An id that is not 24 hex: answered at once, without spending budget, under {@link #INVALID_KEY}. */
    public void invalidAnswer(Exchange exchange) throws IOException {
        OutRecords.clear(exchange);
        String id = exchange.getProperty(TEMPLATE_ID, String.class);
        exchange.removeProperty(FlashdutyCallState.REQUEST_ID);
        exchange.setProperty(FlashdutyCallState.ERROR_CODE, "InvalidParameter");
        exchange.setProperty(FlashdutyCallState.ERROR_MESSAGE, "template_id must be 24 hex characters");
        OutRecords.add(exchange, INVALID_KEY, failure(exchange, id, "invalid"));
    }

    private String found(Exchange exchange, ObjectNode template) throws IOException {
        ObjectNode v = template.deepCopy();
        v.put("lookup_status", "found");
        stamp(exchange, v);
        return mapper.writeValueAsString(v);
    }

    private String failure(Exchange exchange, String templateId, String status) throws IOException {
        ObjectNode v = mapper.createObjectNode();
        if (templateId != null) {
            v.put("template_id", templateId);
        }
        v.put("lookup_status", status);
        v.put("error_code", exchange.getProperty(FlashdutyCallState.ERROR_CODE, String.class));
        v.put("error_message", exchange.getProperty(FlashdutyCallState.ERROR_MESSAGE, String.class));
        stamp(exchange, v);
        return mapper.writeValueAsString(v);
    }

    private static void stamp(Exchange exchange, ObjectNode v) {
        v.put("looked_up_at", Instant.now().toString());
        v.put("request_id", exchange.getProperty(FlashdutyCallState.REQUEST_ID, String.class));
        v.put("lookup_id", exchange.getProperty(LOOKUP_ID, String.class));
    }
}
