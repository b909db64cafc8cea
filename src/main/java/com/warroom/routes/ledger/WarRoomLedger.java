package com.warroom.routes.ledger;

import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.AnswerFields;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.KafkaFailures;
import com.warroom.routes.warroom.WarRoomState;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * incident_id → war room, kept in the compacted ledger topic and read through a
 * {@link CompactedTopicView}: read back to its end before any incident is handled, then followed,
 * so entries written by other replicas appear too. Entries are held in the compact form of
 * {@link LedgerEntryCodec} (what {@code already_exists} reads), for LEDGER_RETENTION plus a day
 * ({@link LedgerRetention}; {@link #prune}).
 * <p>
 * {@link #claim} serialises the handling of one incident inside this process (two events of the
 * same incident on different partitions would otherwise both miss the ledger and both create).
 * <p>
 * A war room this process opened stays in memory as "unrecorded" from its {@link #entry} until
 * Kafka acknowledged the ledger record ({@link #remember}). The write is retried in place while Kafka
 * cannot take it (routes/30-results.yaml); should the record still be handled again (the exchange
 * failed another way), {@link #recover} hands the kept answer to the routes instead of a second
 * create, and at stop {@link #close} names every war room still unrecorded.
 */
public final class WarRoomLedger implements KafkaFailures.Unrecorded, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WarRoomLedger.class);
    /** Exchange property set by {@link #lookUp}: {@code recorded}, {@code opened_not_recorded} or {@code none}. */
    public static final String STATE = "ledgerState";

    private final CompactedTopicView view;
    private final ObjectMapper mapper;
    private final Semaphore[] stripes = new Semaphore[1024];
    private final Map<String, ObjectNode> unrecorded = new ConcurrentHashMap<>();
    private final LedgerEntryCodec codec;

    /**
     * Over a view of the ledger topic, whose follower should fail closed (no call while it cannot see other
     * replicas' entries); one never loaded holds only what is put into it (route tests).
     */
    public WarRoomLedger(CompactedTopicView view, ObjectMapper mapper) {
        this.view = view;
        this.mapper = mapper;
        this.codec = new LedgerEntryCodec(mapper);
        Arrays.setAll(stripes, i -> new Semaphore(1));
    }

    /** Reads the ledger back to its end; no incident is handled before this returns. */
    public void load() {
        view.load();
    }

    /**
     * Holds this incident for the calling exchange until that exchange is done, whatever happened; waits while
     * another exchange holds it. Let go of by the exchange's unit of work, which runs even when the route was
     * stopped mid-exchange (an onCompletion step does not, and left the incident held for good).
     */
    public void claim(Exchange exchange) throws InterruptedException {
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        Semaphore s = stripes[Math.floorMod(incidentId.hashCode(), stripes.length)];
        while (!s.tryAcquire(30, TimeUnit.SECONDS)) {
            LOG.info("incident {} is still being handled by another consumer thread; waiting", incidentId);
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                s.release();
            }
        });
    }

    /**
     * Where the incident stands in the ledger, as exchange property {@value #STATE}: {@code recorded}
     * ({@link #find}), {@code opened_not_recorded} ({@link #recover}) or {@code none}. One bean step
     * the routes' choice then reads, instead of bean predicates: Camel evaluates a {@code method}
     * predicate on a copy of the exchange, which cost a tenth of the replay's routing CPU (README,
     * Performance).
     */
    public void lookUp(Exchange exchange) throws IOException {
        String state = find(exchange) ? "recorded" : recover(exchange) ? "opened_not_recorded" : "none";
        exchange.setProperty(STATE, state);
    }

    /** True when the incident already has a war room; the stored entry goes to exchange property {@code ledgerEntry}. */
    public boolean find(Exchange exchange) throws IOException {
        byte[] raw = view.get(exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class));
        if (raw == null) {
            return false;
        }
        exchange.setProperty(WarRoomState.LEDGER_ENTRY, codec.expand(raw));
        return true;
    }

    /**
     * True when this process opened the incident's war room but its ledger entry never reached Kafka:
     * the answer Flashduty gave then becomes this exchange's create outcome, and no create is sent again.
     */
    public boolean recover(Exchange exchange) {
        ObjectNode kept = unrecorded.get(exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class));
        if (kept == null) {
            return false;
        }
        exchange.setProperty(FlashdutyCallState.DATA, kept.deepCopy().retain("chat_id", "chat_name", "share_link"));
        exchange.setProperty(FlashdutyCallState.REQUEST_ID, kept.path("request_id").asText());
        exchange.setProperty(FlashdutyCallState.ATTEMPTS, 0);
        exchange.setProperty(WarRoomState.INTEGRATION_ID, kept.path("integration_id").asLong());
        exchange.setProperty(WarRoomState.PLUGIN_TYPE, kept.path("plugin_type").asText());
        LOG.warn("incident {}: its war room was opened but the ledger write failed; writing it now, no second create",
                kept.path("incident_id").asText());
        return true;
    }

    /** The war rooms opened whose ledger record Kafka has not acknowledged yet, for a log line: {@code incident_id=… chat_id=…, …}. */
    @Override
    public String unrecordedIncidents() {
        return unrecorded.entrySet().stream().map(e -> "incident_id=" + e.getKey() + " chat_id=" + e.getValue().path("chat_id").asText())
                .collect(Collectors.joining(", "));
    }

    /** War rooms opened whose ledger record Kafka has not acknowledged yet. */
    @Override
    public int unrecordedCount() {
        return unrecorded.size();
    }

    /** Turns the created war room into the ledger record: JSON body, key incident_id, no other header. */
    public void entry(Exchange exchange) throws IOException {
        ObjectNode e = mapper.createObjectNode();
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        JsonNode data = exchange.getProperty(FlashdutyCallState.DATA, JsonNode.class);
        e.put("incident_id", incidentId);
        e.put("event_id", exchange.getProperty(IncidentEventParser.EVENT_ID, String.class));
        e.put("integration_id", exchange.getProperty(WarRoomState.INTEGRATION_ID, Long.class));
        e.put("plugin_type", exchange.getProperty(WarRoomState.PLUGIN_TYPE, String.class));
        // bounded where the answer was read (FlashdutyResponses); again here, so no entry can outgrow the topic
        e.put("chat_id", AnswerFields.bounded(text(data, "chat_id"), AnswerFields.MAX_ID_CHARS));
        e.put("chat_name", AnswerFields.bounded(text(data, "chat_name"), AnswerFields.MAX_NAME_CHARS));
        e.put("share_link", AnswerFields.bounded(text(data, "share_link"), AnswerFields.MAX_LINK_CHARS));
        e.put("request_id", AnswerFields.id(exchange.getProperty(FlashdutyCallState.REQUEST_ID, String.class)));
        e.put("created_at", Instant.now().toString());
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setHeader(KafkaConstants.KEY, incidentId);
        exchange.getMessage().setBody(mapper.writeValueAsString(e));
        exchange.setProperty(WarRoomState.LEDGER_ENTRY, e);
        unrecorded.put(incidentId, e);
    }

    /** Called once Kafka acknowledged the ledger record. */
    public void remember(Exchange exchange) throws IOException {
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        view.put(incidentId, mapper.writeValueAsBytes(exchange.getProperty(WarRoomState.LEDGER_ENTRY, JsonNode.class)));
        unrecorded.remove(incidentId);
    }

    private static String text(JsonNode data, String field) {
        return data == null ? "" : data.path(field).asText(""); // "" for a missing or null field too
    }

    public int size() {
        return view.size();
    }

    /** Timer route ledger-prune: drops from memory the entries older than LEDGER_RETENTION (see {@link LedgerRetention}). */
    public int prune() {
        return view.prune();
    }

    /**
     * At stop: war rooms opened whose ledger entry Kafka never took are said by incident and chat
     * (a process that handles these incidents again, finding no entry, opens a second room: check the
     * IM before replaying them).
     */
    @Override
    public void close() {
        if (!unrecorded.isEmpty()) {
            LOG.error("{} war room(s) opened but not in the ledger at the stop (Kafka did not take the entry): {}; handled again, "
                    + "such an incident gets a second room: check the IM before replaying it", unrecorded.size(), unrecordedIncidents());
        }
        view.close();
    }
}
