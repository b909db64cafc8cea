package com.warroom.routes.catalog;

import java.util.List;

import com.warroom.routes.support.TestKafka;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ImCatalogFreshnessTest {

    /** A refresh that got its one page, or one Rocket.Chat refused. */
    static RocketChatPages.Refresh rocketChatRefresh(boolean complete) {
        RocketChatPages pages = RocketChatPagesTest.pages(3, 1000, 1000);
        RocketChatPages.Refresh refresh = pages.begin();
        pages.page(refresh, null, complete ? 200 : 401, null, "{\"integrations\":[{\"_id\":\"a\"}],\"total\":1}");
        return refresh;
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
        flashdutyOnly.flashduty("failed");
        assertTrue(flashdutyOnly.isStale("flashduty"));
    }
}
