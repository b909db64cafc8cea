package com.warroom.routes.catalog;

import java.util.List;

import com.warroom.routes.flashduty.FlashdutyCallState;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ImCatalogFreshnessTest {

    final DefaultCamelContext context = new DefaultCamelContext();

    Exchange rocketChatRefresh(boolean complete) {
        Exchange e = new DefaultExchange(context);
        e.setProperty(RocketChatPages.COMPLETE, complete);
        return e;
    }

    @Test
    void staleWhileTheLatestRefreshFailedUntilOneSucceeds() {
        ImCatalogFreshness freshness = new ImCatalogFreshness(true);
        assertEquals(List.of("flashduty", "rocketchat"), freshness.providers());
        assertNull(freshness.staleNote());
        freshness.rocketChat(rocketChatRefresh(false));
        assertTrue(freshness.isStale("rocketchat"));
        assertEquals(0, freshness.lastSuccessEpochSeconds("rocketchat"));
        assertTrue(freshness.staleNote().contains("rocketchat (never loaded)"), freshness.staleNote());
        freshness.rocketChat(rocketChatRefresh(true));
        assertFalse(freshness.isStale("rocketchat"));
        assertTrue(freshness.lastSuccessEpochSeconds("rocketchat") > 0);
        freshness.rocketChat(rocketChatRefresh(false));
        assertEquals("stale: rocketchat: the latest refresh failed, the catalog keeps its last good entries", freshness.staleNote());
        assertFalse(freshness.isStale("flashduty"));

        ImCatalogFreshness flashdutyOnly = new ImCatalogFreshness(false);
        assertEquals(List.of("flashduty"), flashdutyOnly.providers());
        Exchange failed = new DefaultExchange(context);
        failed.setProperty(FlashdutyCallState.OUTCOME, "failed");
        flashdutyOnly.flashduty(failed);
        assertTrue(flashdutyOnly.isStale("flashduty"));
    }
}
