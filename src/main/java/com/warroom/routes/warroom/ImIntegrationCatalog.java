package com.warroom.routes.warroom;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.flashduty.FlashdutyCallState;
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
    private volatile Instant loadedAt;
    /** one list call at a time: a load asked for while another runs waits for it and shares its answer */
    private boolean loading;
    private String lastOutcome;
    public static final String JOINED_LOAD = "imCatalogJoinedLoad";

    public ImIntegrationCatalog(Long pinnedIntegrationId) {
        this.pinnedIntegrationId = pinnedIntegrationId;
    }

    /** Takes a successful war-room-enabled/list answer ({@code data.items}); a failed call keeps the last good list. */
    public void update(Exchange exchange) {
        if (!"success".equals(exchange.getProperty(FlashdutyCallState.OUTCOME, String.class))) {
            LOG.warn("IM catalog refresh failed ({}); keeping the last good list of {} integration(s)",
                    exchange.getProperty(FlashdutyCallState.ERROR_CODE), items.size());
            return;
        }
        JsonNode data = exchange.getProperty(FlashdutyCallState.DATA, JsonNode.class);
        List<JsonNode> fresh = new ArrayList<>();
        if (data != null && data.path("items").isArray()) {
            for (JsonNode item : data.path("items")) {
                if (item.isObject()) {
                    ObjectNode copy = ((ObjectNode) item).deepCopy();
                    copy.remove(SECRET_FIELDS);
                    fresh.add(copy);
                }
            }
        }
        items = List.copyOf(fresh);
        boolean first = loadedAt == null;
        loadedAt = Instant.now();
        if (first) {
            LOG.info("IM catalog loaded: {} war-room-enabled integration(s)", fresh.size());
        }
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

    public boolean isLoaded() {
        return loadedAt != null;
    }

    public Instant loadedAt() {
        return loadedAt;
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
