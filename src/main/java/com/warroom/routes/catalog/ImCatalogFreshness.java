package com.warroom.routes.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.warroom.routes.flashduty.FlashdutyCallState;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Variable;

/**
 * Whether each catalog source's latest refresh succeeded, and when one last did. A failed refresh
 * leaves the catalog as it was (the war-room cache keeps its last good Flashduty list, the topic its
 * last good entries of that provider): the catalog is then stale, which the metrics
 * ({@code im_catalog_stale}, {@code im_catalog_last_success_seconds}) and the {@code im-catalog}
 * health check's message show. It never makes the module unready: the war-room path works on
 * the last good list.
 */
public final class ImCatalogFreshness {

    public static final String FLASHDUTY = "flashduty";
    public static final String ROCKETCHAT = "rocketchat";

    private static final class Source {
        volatile boolean lastFailed;
        volatile Instant lastSuccess;
    }

    private final Map<String, Source> sources = new LinkedHashMap<>();

    /** @param rocketChat whether Rocket.Chat is a source (ROCKETCHAT_URL is set) */
    public ImCatalogFreshness(boolean rocketChat) {
        sources.put(FLASHDUTY, new Source());
        if (rocketChat) {
            sources.put(ROCKETCHAT, new Source());
        }
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
        Source s = sources.get(provider);
        if (s == null) {
            return;
        }
        if (ok) {
            s.lastSuccess = Instant.now();
        }
        s.lastFailed = !ok;
    }

    /** The sources, in a fixed order: flashduty, then rocketchat when configured. */
    public List<String> providers() {
        return List.copyOf(sources.keySet());
    }

    /** True while this source's latest refresh failed (before its first refresh: false). */
    public boolean isStale(String provider) {
        Source s = sources.get(provider);
        return s != null && s.lastFailed;
    }

    /** Epoch seconds of this source's last successful refresh in this process; 0 before one. */
    public double lastSuccessEpochSeconds(String provider) {
        Source s = sources.get(provider);
        Instant at = s == null ? null : s.lastSuccess;
        return at == null ? 0 : at.toEpochMilli() / 1000.0;
    }

    /** For the im-catalog health check: which sources are stale, as fixed text; null when none is. */
    public String staleNote() {
        List<String> stale = new ArrayList<>();
        for (String p : sources.keySet()) {
            if (isStale(p)) {
                stale.add(p + (sources.get(p).lastSuccess == null ? " (never loaded)" : ""));
            }
        }
        return stale.isEmpty() ? null
                : "stale: " + String.join(", ", stale) + ": the latest refresh failed, the catalog keeps its last good entries";
    }
}
