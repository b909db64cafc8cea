package com.warroom.routes.warroom;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.flashduty.FlashdutyCallState;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last good list of the account's war-room-enabled IM integrations, refreshed by the catalog
 * route (never fetched per event), and the choice of the one a war room opens in: the pinned
 * {@code WAR_ROOM_INTEGRATION_ID} when set, else the enabled one. Secrets ({@code integration_key})
 * are dropped the moment a list arrives, so they are never held, copied or published.
 */
public final class ImIntegrationCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(ImIntegrationCatalog.class);
    static final List<String> SECRET_FIELDS = List.of("integration_key");

    private final Long pinnedIntegrationId;
    private volatile List<JsonNode> items = List.of();
    private volatile boolean loaded;
    /** one list call at a time: a load asked for while another runs waits for it and shares its answer */
    private boolean loading;
    private String lastOutcome;
    public static final String JOINED_LOAD = "imCatalogJoinedLoad";

    /** An answer that is not a list of objects. */
    public static final String INVALID_LIST = "invalid_list";
    /** An empty list not yet confirmed by the next refresh. */
    public static final String EMPTY_UNCONFIRMED = "empty_list_unconfirmed";

    private final EmptyListConfirmation emptyLists;
    private final MeterRegistry registry;

    public ImIntegrationCatalog(Long pinnedIntegrationId, EmptyListConfirmation emptyLists, MeterRegistry registry) {
        this.pinnedIntegrationId = pinnedIntegrationId;
        this.emptyLists = emptyLists;
        this.registry = registry;
        // at 0 from the start: each reason's series exists before its first rejection
        for (String reason : new String[] {INVALID_LIST, EMPTY_UNCONFIRMED}) {
            registry.counter("war.room.im.catalog.answers.rejected", "provider", "flashduty", "reason", reason);
        }
    }

    /**
     * Takes a successful war-room-enabled/list answer ({@code data.items}) only when it proves itself:
     * a list of objects, non-empty or confirmed empty ({@link EmptyListConfirmation}). A failed call
     * keeps the last good list; so does an answer that does not prove itself, which then counts as a
     * failed call ({@code flashdutyOutcome=failed}, {@code flashdutyErrorCode} {@value #INVALID_LIST} or
     * {@value #EMPTY_UNCONFIRMED}), so the catalog is marked stale and nothing is tombstoned.
     */
    public void update(Exchange exchange) {
        if (!"success".equals(exchange.getProperty(FlashdutyCallState.OUTCOME, String.class))) {
            LOG.warn("IM catalog refresh failed ({}); keeping the last good list of {} integration(s)",
                    exchange.getProperty(FlashdutyCallState.ERROR_CODE), items.size());
            return;
        }
        JsonNode data = exchange.getProperty(FlashdutyCallState.DATA, JsonNode.class);
        JsonNode list = data == null ? null : data.get("items");
        if (list == null || !list.isArray()) {
            reject(exchange, INVALID_LIST, "the answer holds no items list");
            return;
        }
        List<JsonNode> fresh = new ArrayList<>();
        for (JsonNode item : list) {
            if (!item.isObject()) {
                reject(exchange, INVALID_LIST, "an item of the list is not an object");
                return;
            }
            ObjectNode copy = ((ObjectNode) item).deepCopy();
            copy.remove(SECRET_FIELDS);
            fresh.add(copy);
        }
        if (!emptyLists.accepts(fresh.size())) {
            reject(exchange, EMPTY_UNCONFIRMED, "the list is empty; an empty list is believed only when the next refresh"
                    + " (CATALOG_REFRESH later) is empty too");
            return;
        }
        if (fresh.isEmpty() && !items.isEmpty()) {
            LOG.warn("IM catalog: Flashduty lists no war-room-enabled integration any more (two empty answers a refresh"
                    + " apart); incidents are skipped as no_war_room_integration until one is enabled");
        }
        items = List.copyOf(fresh);
        if (!loaded) {
            LOG.info("IM catalog loaded: {} war-room-enabled integration(s)", fresh.size());
        }
        loaded = true;
    }

    private void reject(Exchange exchange, String code, String why) {
        exchange.setProperty(FlashdutyCallState.OUTCOME, "failed");
        exchange.setProperty(FlashdutyCallState.ERROR_CODE, code);
        registry.counter("war.room.im.catalog.answers.rejected", "provider", "flashduty", "reason", code).increment();
        LOG.warn("IM catalog answer not taken ({}): {}; keeping the last good list of {} integration(s)", code, why, items.size());
    }

    /**
     * Before a list call: when another load is in flight (the timer's first load and an early event's
     * load at start), waits for it and marks the exchange {@value #JOINED_LOAD} with that load's outcome,
     * so the account budget pays for one call, not two.
     */
    public synchronized void beginLoad(Exchange exchange) throws InterruptedException {
        if (!loading) {
            loading = true;
            exchange.setProperty(JOINED_LOAD, false);
            return;
        }
        while (loading) {
            wait();
        }
        exchange.setProperty(JOINED_LOAD, true);
        exchange.setProperty(FlashdutyCallState.OUTCOME, lastOutcome);
    }

    /** After the list call this exchange made (joined loads make none). */
    public synchronized void endLoad(Exchange exchange) {
        if (!exchange.getProperty(JOINED_LOAD, true, Boolean.class)) {
            lastOutcome = exchange.getProperty(FlashdutyCallState.OUTCOME, String.class);
            loading = false;
            notifyAll();
        }
    }

    /** The replay's dry run: the items the live service published (no secrets there), taken as they are. */
    public void load(List<JsonNode> published) {
        items = List.copyOf(published);
        loaded = true;
    }

    public boolean isLoaded() {
        return loaded;
    }

    /** The sanitised items (no secrets). */
    public List<JsonNode> items() {
        return items;
    }

    /** Picks the integration for a war room; false when there is none (the event is skipped). */
    public boolean select(Exchange exchange) {
        for (JsonNode item : items) {
            long id = item.path("integration_id").asLong(item.path("data_source_id").asLong(0));
            boolean enabled = item.path("settings").path("war_room_enabled").asBoolean(true)
                    && !"disabled".equalsIgnoreCase(item.path("status").asText("enabled"));
            boolean wanted = pinnedIntegrationId != null
                    ? id == pinnedIntegrationId || item.path("data_source_id").asLong(-1) == pinnedIntegrationId
                    : enabled;
            if (wanted && id != 0) {
                exchange.setProperty(WarRoomState.INTEGRATION_ID, id);
                exchange.setProperty(WarRoomState.PLUGIN_TYPE, item.path("plugin_type").asText(""));
                return true;
            }
        }
        return false;
    }
}
