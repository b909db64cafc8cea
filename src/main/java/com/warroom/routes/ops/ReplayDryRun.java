package com.warroom.routes.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.app.Settings;
import com.warroom.routes.StartupProblem;
import com.warroom.routes.app.WarRoomBeans;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.incident.InvalidRecordException;
import com.warroom.routes.kafka.BrokerClock;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.ledger.LedgerEntryCodec;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.warroom.ImIntegrationCatalog;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.Model;
import org.apache.camel.model.OptionalIdentifiedDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.ProcessorDefinitionHelper;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The dry run: what the live service would decide for each record, with nothing written anywhere
 * and no Flashduty call. The decision table is the shipped one: routes {@code war-room} and
 * {@code open-war-room} ({@code routes/20-war-room.yaml}) run unchanged in a Camel context of their
 * own (no other route is loaded, nothing is woven), over the beans they name, built from the same
 * {@link Settings} by the same {@link WarRoomBeans} methods the service uses, except two read from Kafka as the service sees them:
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
final class ReplayDryRun implements AutoCloseable {

    /** The routes the dry run runs, with the step ids it relies on (validate checks them). */
    static final Map<String, List<String>> ROUTES = Map.of(
            "war-room", List.of("hold-incident", "look-up-ledger", "decide"),
            "open-war-room", List.of("pick-integration", "call-war-room-create"));
    static final String CREATE_PATH = "/incident/war-room/create";
    private static final String WOULD_CREATE = "replayWouldCreate";
    private static final String CATALOG_NOT_CHECKED = "replayCatalogNotChecked";

    private final CamelContext context;
    private final WarRoomLedger ledger;
    private final IncidentEventParser parser;
    private final ProducerTemplate template;
    private final boolean catalogKnown;

    private ReplayDryRun(CamelContext context, WarRoomLedger ledger, IncidentEventParser parser, boolean catalogKnown) {
        this.context = context;
        this.ledger = ledger;
        this.parser = parser;
        this.catalogKnown = catalogKnown;
        this.template = context.createProducerTemplate();
    }

    /**
     * Builds the beans, reads the ledger and the catalog back, loads the decision routes and starts
     * them. {@code context} is the never-started context whose properties the command resolved.
     */
    static ReplayDryRun open(CamelContext context, Path routesDir, Settings settings) throws Exception {
        Settings.Topics topics = settings.topics();
        KafkaClientSettings kafka = settings.kafka().client();
        MeterRegistry metrics = new SimpleMeterRegistry();
        ObjectMapper mapper = WarRoomBeans.objectMapper(Math.max(settings.flashduty().maxAnswerBytes(), settings.rocketChat().maxAnswerBytes()));
        // records read back were taken by the topic
        RecordLimits limits = new RecordLimits(topics.incident(), topics.templateRequest(), topics.deadLetter(), Integer.MAX_VALUE);
        ImIntegrationCatalog catalog = WarRoomBeans.imIntegrationCatalog(settings.warRoom(), metrics);
        boolean catalogKnown = loadCatalog(catalog, kafka, topics.integration(), mapper);
        // the ledger and its retention as the service reads them (same pruning, same compact entries)
        LedgerRetention retention = WarRoomBeans.ledgerRetention(settings.warRoom());
        WarRoomLedger ledger = new WarRoomLedger(new CompactedTopicView(kafka, topics.ledger(), CompactedTopicView.Restart.logOnly(),
                retention.keepMillis(), retention.clock(), new LedgerEntryCodec(mapper)::compact), mapper);
        context.disableJMX();
        var registry = context.getRegistry();
        registry.bind("objectMapper", mapper);
        registry.bind("imIntegrationCatalog", catalog);
        registry.bind("eventAge", WarRoomBeans.eventAge(settings.warRoom(), new BrokerClock(), metrics));
        registry.bind("warRoomRequests", WarRoomBeans.warRoomRequests(settings.warRoom(), mapper));
        registry.bind("warRoomLedger", ledger);
        registry.bind("ledgerRetention", retention);
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
        return new ReplayDryRun(context, ledger, WarRoomBeans.incidentEventParser(limits), catalogKnown);
    }

    /** False when the catalog topic held no Flashduty integration (or could not be read): creates are then not checked against it. */
    boolean catalogKnown() {
        return catalogKnown;
    }

    /** War rooms read back from the ledger. */
    int ledgerSize() {
        return ledger.size();
    }

    /** The decision for one record. */
    ReplayTracker.Decision decide(ConsumerRecord<byte[], byte[]> r) {
        Exchange ex = new DefaultExchange(context);
        ex.setProperty(IncomingRecord.TOPIC, r.topic());
        ex.setProperty(IncomingRecord.PARTITION, r.partition());
        ex.setProperty(IncomingRecord.OFFSET, r.offset());
        ex.setProperty(IncomingRecord.TIMESTAMP, r.timestamp());
        ex.setProperty(IncomingRecord.KEY, r.key());
        ex.setProperty(IncomingRecord.VALUE, r.value());
        ex.getMessage().setBody(r.value()); // no header: the record's headers are never read, as in the service
        try {
            parser.parse(ex);
        } catch (InvalidRecordException e) {
            return decision(r, ex, "dead_letter", e.reason());
        } catch (RuntimeException e) {
            return decision(r, ex, "dead_letter", "processing_error");
        }
        try {
            template.send("direct:war-room", ex);
        } finally {
            ledger.release(ex);
        }
        if (ex.getException() != null) {
            return decision(r, ex, "dead_letter", "processing_error");
        }
        if (ex.getProperty(WOULD_CREATE, false, Boolean.class)) {
            return decision(r, ex, ReplayTracker.WOULD_CREATE, null);
        }
        if (ex.getProperty(CATALOG_NOT_CHECKED, false, Boolean.class) && "failed".equals(ex.getProperty("warRoomStatus", String.class))) {
            return decision(r, ex, ReplayTracker.WOULD_CREATE, "integration_not_checked");
        }
        return decision(r, ex, ex.getProperty("warRoomStatus", String.class), ex.getProperty("warRoomReason", String.class));
    }

    private static ReplayTracker.Decision decision(ConsumerRecord<byte[], byte[]> r, Exchange ex, String status, String reason) {
        return new ReplayTracker.Decision(r.partition(), r.offset(), r.timestamp(), ex.getProperty(IncidentEventParser.INCIDENT_ID, String.class),
                ex.getProperty(IncidentEventParser.EVENT_ID, String.class), ex.getProperty(IncidentEventParser.EVENT_TYPE, String.class),
                status, reason);
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
        List<Path> files;
        try (Stream<Path> s = Files.list(routesDir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        for (Path file : files) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveResource(context, "file:" + file.toAbsolutePath()));
        }
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        List<Missing> missing = missing(model);
        if (!missing.isEmpty()) {
            throw new StartupProblem("the routes lack what the dry run runs: "
                    + missing.stream().map(Missing::toString).collect(Collectors.joining("; ")));
        }
        List<RouteDefinition> others = model.getRouteDefinitions().stream().filter(d -> !ROUTES.containsKey(d.getRouteId())).toList();
        model.removeRouteDefinitions(new ArrayList<>(others));
    }

    /** A route or step the dry run needs but the loaded routes lack ({@code stepId} null: the whole route). */
    record Missing(String routeId, String stepId) {
        @Override
        public String toString() {
            return stepId == null ? "no route " + routeId : "route " + routeId + " has no step " + stepId;
        }
    }

    /** Each route or step id of {@link #ROUTES} the loaded routes lack. */
    static List<Missing> missing(Model model) {
        List<Missing> missing = new ArrayList<>();
        ROUTES.forEach((routeId, stepIds) -> {
            RouteDefinition route = model.getRouteDefinition(routeId);
            if (route == null) {
                missing.add(new Missing(routeId, null));
                return;
            }
            Set<String> ids = ProcessorDefinitionHelper.filterTypeInOutputs(route.getOutputs(), ProcessorDefinition.class).stream()
                    .map(OptionalIdentifiedDefinition::getId).filter(Objects::nonNull).collect(Collectors.toSet());
            stepIds.stream().filter(id -> !ids.contains(id)).forEach(id -> missing.add(new Missing(routeId, id)));
        });
        missing.sort(java.util.Comparator.comparing(Missing::toString));
        return missing;
    }

    /**
     * The catalog as the live service last published it (INTEGRATION_TOPIC, keys {@code flashduty:<id>}),
     * turned back into the list items the catalog bean selects from. False when there is none.
     */
    private static boolean loadCatalog(ImIntegrationCatalog catalog, KafkaClientSettings kafka, String topic, ObjectMapper mapper) {
        ArrayNode items = mapper.createArrayNode();
        try (CompactedTopicView view = new CompactedTopicView(kafka, topic)) {
            view.load();
            for (String key : view.keys()) {
                byte[] raw = key.startsWith("flashduty:") ? view.get(key) : null;
                if (raw == null) {
                    continue;
                }
                JsonNode i = mapper.readTree(raw);
                ObjectNode item = items.addObject();
                item.put("integration_id", i.path("id").asLong(0));
                item.put("plugin_type", i.path("type").asText(""));
                item.put("status", i.path("enabled").asBoolean(false) ? "enabled" : "disabled");
            }
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: the creates are reported without the integration check
        }
        if (items.isEmpty()) {
            return false;
        }
        Exchange ex = new DefaultExchange(new org.apache.camel.impl.DefaultCamelContext(false));
        ex.setProperty(FlashdutyCallState.OUTCOME, "success");
        ObjectNode data = mapper.createObjectNode();
        data.set("items", items);
        ex.setProperty(FlashdutyCallState.DATA, data);
        catalog.update(ex);
        return true;
    }

    @Override
    public void close() {
        try {
            context.close();
        } catch (Exception e) {
            // nothing was written: closing is best effort
        } finally {
            ledger.close();
        }
    }
}
