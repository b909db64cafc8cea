package com.warroom.routes.ops;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.warroom.routes.app.Settings;
import com.warroom.routes.StartupProblem;
import com.warroom.routes.app.WarRoomBeans;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.incident.InvalidRecordException;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.ledger.LedgerEntryCodec;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.warroom.ImIntegrationCatalog;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.Model;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.SimpleRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The dry run: what the live service would decide for each record, with nothing written anywhere
 * and no Flashduty call. The decision table is the shipped one: routes {@code war-room} and
 * {@code open-war-room} ({@code routes/20-war-room.yaml}) run unchanged in a Camel context of their
 * own (no other route is loaded, nothing is woven), over the beans they name, built from the same
 * {@link Settings} by the service's own {@link WarRoomBeans#bind}, except two read from Kafka as the service sees them:
 * the ledger, read back from {@code LEDGER_TOPIC}, and the IM catalog, from what the live service
 * publishes on {@code INTEGRATION_TOPIC}.
 * <p>
 * The two endpoints those routes call outside themselves are answered here, without a call:
 * {@code direct:flashduty-call} is reached only by the create ({@code would_create}), and
 * {@code direct:im-catalog-load} only when the catalog topic held no Flashduty integration (then
 * {@code would_create} / {@code integration_not_checked}: the integration could not be checked).
 * Before the routes, each record gets what the incident route's {@code capture-record} and
 * {@code parse-event} give it (parsed by the same {@link IncidentEventParser}); a record the parser
 * refuses is {@code dead_letter} with its reason.
 */
record ReplayDryRun(CamelContext context, WarRoomLedger ledger, IncidentEventParser parser, boolean catalogKnown, ProducerTemplate template,
                    Set<String> wouldCreate) implements AutoCloseable {

    /** The routes the dry run runs (validate checks they are there). */
    static final List<String> ROUTES = List.of("war-room", "open-war-room");
    static final String CREATE_PATH = "/incident/war-room/create";
    private static final String WOULD_CREATE = "replayWouldCreate";
    private static final String CATALOG_NOT_CHECKED = "replayCatalogNotChecked";

    /**
     * Builds the beans, reads the ledger and the catalog back, loads the decision routes and starts
     * them. {@code context} is the never-started context whose properties the command resolved.
     */
    static ReplayDryRun open(CamelContext context, Path routesDir, Settings settings) throws Exception {
        Settings.Topics topics = settings.topics();
        KafkaClientSettings kafka = settings.kafka().client();
        // the service's beans (nothing in them starts or connects); the decision routes' are copied below
        SimpleRegistry beans = new SimpleRegistry();
        WarRoomBeans.bind(beans, settings);
        ObjectMapper mapper = beans.lookupByNameAndType("objectMapper", ObjectMapper.class);
        // records read back were taken by the topic
        RecordLimits limits = new RecordLimits(topics.incident(), topics.templateRequest(), topics.deadLetter(), Integer.MAX_VALUE);
        ImIntegrationCatalog catalog = beans.findSingleByType(ImIntegrationCatalog.class);
        boolean catalogKnown = loadCatalog(catalog, kafka, topics.integration(), mapper);
        // the ledger and its retention as the service reads them (same pruning, same compact entries)
        LedgerRetention retention = beans.findSingleByType(LedgerRetention.class);
        WarRoomLedger ledger = new WarRoomLedger(new CompactedTopicView(kafka, topics.ledger(), CompactedTopicView.Restart.logOnly(),
                retention.keepMillis(), retention.clock(), new LedgerEntryCodec(mapper)::compact), mapper);
        context.disableJMX();
        var registry = context.getRegistry();
        for (String name : List.of("objectMapper", "imIntegrationCatalog", "eventAge", "warRoomRequests", "ledgerRetention")) {
            registry.bind(name, beans.lookupByName(name));
        }
        registry.bind("warRoomLedger", ledger);
        try {
            ledger.load();
            loadDecisionRoutes(context, routesDir);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:flashduty-call").routeId("dry-run-no-flashduty-call").process(ReplayDryRun::noCall);
                    from("direct:im-catalog-load").routeId("dry-run-no-catalog-call").setProperty(CATALOG_NOT_CHECKED, constant(true));
                }
            });
            context.start();
        } catch (Exception e) {
            ledger.close();
            context.close();
            throw e;
        }
        return new ReplayDryRun(context, ledger, new IncidentEventParser(limits), catalogKnown, context.createProducerTemplate(),
                new HashSet<>());
    }

    /**
     * The decision for one record, as the JSON line {@code --out} writes. The live service would have
     * written the ledger on a create: a later event of the same incident in the range finds it there.
     */
    Decision decide(ConsumerRecord<byte[], byte[]> r) {
        Exchange ex = new DefaultExchange(context);
        ex.setProperty(IncomingRecord.TOPIC, r.topic());
        ex.setProperty(IncomingRecord.PARTITION, r.partition());
        ex.setProperty(IncomingRecord.OFFSET, r.offset());
        ex.setProperty(IncomingRecord.TIMESTAMP, r.timestamp());
        ex.setProperty(IncomingRecord.KEY, r.key());
        ex.setProperty(IncomingRecord.VALUE, r.value());
        ex.getMessage().setBody(r.value()); // no header: the record's headers are never read, as in the service
        Outcome outcome;
        try {
            parser.parse(ex);
            outcome = decide(ex);
        } catch (InvalidRecordException e) {
            outcome = new Outcome("dead_letter", e.reason());
        } catch (RuntimeException e) {
            outcome = new Outcome("dead_letter", "processing_error");
        }
        String incidentId = ex.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        if (incidentId != null && wouldCreate.contains(incidentId)) {
            outcome = new Outcome("already_exists", null);
        } else if (incidentId != null && outcome.decision().equals("would_create")) {
            wouldCreate.add(incidentId);
        }
        return new Decision(r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()).toString(), incidentId,
                ex.getProperty(IncidentEventParser.EVENT_ID, String.class), ex.getProperty(IncidentEventParser.EVENT_TYPE, String.class),
                outcome.decision(), outcome.reason());
    }

    /** A decision, as the JSON line {@code --out} writes (snake_case keys). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Decision(int partition, long offset, String recordTime, String incidentId, String eventId, String eventType, String decision,
                    String reason) {
    }

    private record Outcome(String decision, String reason) {
    }

    private Outcome decide(Exchange ex) {
        template.send("direct:war-room", ex); // the route's unit of work lets go of the incident it holds
        String status = ex.getProperty("warRoomStatus", String.class);
        if (ex.getException() != null) {
            return new Outcome("dead_letter", "processing_error");
        } else if (ex.getProperty(WOULD_CREATE, false, Boolean.class)) {
            return new Outcome("would_create", null);
        } else if (ex.getProperty(CATALOG_NOT_CHECKED, false, Boolean.class) && "failed".equals(status)) {
            return new Outcome("would_create", "integration_not_checked");
        }
        return new Outcome(status, ex.getProperty("warRoomReason", String.class));
    }

    /** Stands in for every Flashduty call the decision routes could make: only the create reaches it, and it is not made. */
    private static void noCall(Exchange ex) {
        if (!CREATE_PATH.equals(ex.getProperty(FlashdutyCallState.PATH, String.class))) {
            throw new IllegalStateException("dry run: no Flashduty call");
        }
        ex.setProperty(WOULD_CREATE, true);
        ex.setProperty(FlashdutyCallState.OUTCOME, "dry_run");
    }

    /** Loads every route file of {@code routesDir}, keeps only the decision routes (nothing else is created or started). */
    private static void loadDecisionRoutes(CamelContext context, Path routesDir) throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(
                PluginHelper.getPackageScanResourceResolver(context).findResources("file:" + routesDir.toAbsolutePath() + "/*.yaml"));
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        if (!missing(model).isEmpty()) {
            throw new StartupProblem("the routes lack what the dry run runs: no route " + String.join(", ", missing(model)));
        }
        model.removeRouteDefinitions(new ArrayList<>(model.getRouteDefinitions().stream().filter(d -> !ROUTES.contains(d.getRouteId())).toList()));
    }

    /** The ids of {@link #ROUTES} the loaded routes lack. */
    static List<String> missing(Model model) {
        return ROUTES.stream().filter(id -> model.getRouteDefinition(id) == null).toList();
    }

    /**
     * The catalog as the live service last published it (INTEGRATION_TOPIC, keys {@code flashduty:<id>}),
     * turned back into the list items the catalog bean selects from. False when there is none.
     */
    private static boolean loadCatalog(ImIntegrationCatalog catalog, KafkaClientSettings kafka, String topic, ObjectMapper mapper) {
        List<JsonNode> items = new ArrayList<>();
        try (CompactedTopicView view = new CompactedTopicView(kafka, topic, CompactedTopicView.Restart.logOnly())) {
            view.load();
            for (String key : view.keys().stream().filter(k -> k.startsWith("flashduty:") && view.get(k) != null).toList()) {
                JsonNode i = mapper.readTree(view.get(key));
                items.add(mapper.createObjectNode().put("integration_id", i.path("id").asLong(0)).put("plugin_type", i.path("type").asText(""))
                        .put("status", i.path("enabled").asBoolean(false) ? "enabled" : "disabled"));
            }
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: the creates are reported without the integration check
        }
        if (items.isEmpty()) {
            return false; // not loaded: the decision routes ask direct:im-catalog-load, answered as not checked
        }
        catalog.load(items);
        return true;
    }

    @Override
    public void close() {
        try (ledger) {
            context.close();
        } catch (Exception e) {
            // nothing was written: closing is best effort
        }
    }
}
