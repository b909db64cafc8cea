package com.warroom.routes.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.warroom.routes.flashduty.FlashdutyCallState;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Variable;

/**
 * Whether each catalog source's latest refresh succeeded, and when one last did. A failed refresh
 * leaves the catalog as it was (the war-room cache keeps its last good Flashduty list, the topic its
 * last good entries of that provider): the catalog is then stale, which the metrics
 * ({@code war_room_im_catalog_stale}, {@code war_room_im_catalog_last_success_timestamp_seconds}) and the {@code im-catalog}
 * health check's message show. It never makes the module unready: the war-room path works on
 * the last good list.
 */
public final class ImCatalogFreshness {

    public static final String FLASHDUTY = "flashduty";
    public static final String ROCKETCHAT = "rocketchat";

    private final List<String> providers;
    /** when each source's last refresh succeeded in this process; absent before one */
    private final Map<String, Instant> lastSuccess = new ConcurrentHashMap<>();
    /** the sources whose latest refresh failed */
    private final Set<String> stale = ConcurrentHashMap.newKeySet();

    /** @param rocketChat whether Rocket.Chat is a source (ROCKETCHAT_URL is set) */
    public ImCatalogFreshness(boolean rocketChat) {
        this.providers = rocketChat ? List.of(FLASHDUTY, ROCKETCHAT) : List.of(FLASHDUTY);
    }

    /** Route step after the war-room-enabled list call of a catalog refresh. */
    public void flashduty(@ExchangeProperty(FlashdutyCallState.OUTCOME) String outcome) {
        refreshed(FLASHDUTY, "success".equals(outcome));
    }

    /** Route step after Rocket.Chat's pages: only a refresh that got every page succeeded. */
    public void rocketChat(@Variable(RocketChatPages.REFRESH) RocketChatPages.Refresh refresh) {
        refreshed(ROCKETCHAT, refresh != null && refresh.complete());
    }

    void refreshed(String provider, boolean ok) {
        if (!providers.contains(provider)) {
            return;
        }
        if (ok) {
            lastSuccess.put(provider, Instant.now());
            stale.remove(provider);
        } else {
            stale.add(provider);
        }
    }

    /** The sources, in a fixed order: flashduty, then rocketchat when configured. */
    public List<String> providers() {
        return providers;
    }

    /** True while this source's latest refresh failed (before its first refresh: false). */
    public boolean isStale(String provider) {
        return stale.contains(provider);
    }

    /** Epoch seconds of this source's last successful refresh in this process; 0 before one. */
    public double lastSuccessEpochSeconds(String provider) {
        Instant at = lastSuccess.get(provider);
        return at == null ? 0 : at.toEpochMilli() / 1000.0;
    }

    /** For the im-catalog health check: which sources are stale, as fixed text; null when none is. */
    public String staleNote() {
        List<String> names = providers.stream().filter(stale::contains)
                .map(p -> p + (lastSuccess.containsKey(p) ? "" : " (never loaded)")).toList();
        return names.isEmpty() ? null
                : "stale: " + String.join(", ", names) + ": the latest refresh failed, the catalog keeps its last good entries";
    }
}
