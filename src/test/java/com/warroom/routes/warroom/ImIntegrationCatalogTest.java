package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import com.warroom.routes.flashduty.FlashdutyCallState;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ImIntegrationCatalogTest {

    private final DefaultCamelContext context = new DefaultCamelContext();

    @Test
    void aLoadAskedForWhileAnotherRunsSharesItsAnswer() throws Exception {
        ImIntegrationCatalog catalog = new ImIntegrationCatalog(null);
        Exchange first = new DefaultExchange(context);
        catalog.beginLoad(first);
        assertEquals(false, first.getProperty(ImIntegrationCatalog.JOINED_LOAD));

        Exchange second = new DefaultExchange(context);
        CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
            try {
                catalog.beginLoad(second);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !waiting.isDone());
        first.setProperty(FlashdutyCallState.OUTCOME, "success");
        catalog.endLoad(first);
        waiting.get();
        assertEquals(true, second.getProperty(ImIntegrationCatalog.JOINED_LOAD));
        assertEquals("success", second.getProperty(FlashdutyCallState.OUTCOME), "the shared call's outcome");

        catalog.endLoad(second); // a joined load made no call: nothing to end
        Exchange third = new DefaultExchange(context);
        catalog.beginLoad(third);
        assertFalse(third.getProperty(ImIntegrationCatalog.JOINED_LOAD, Boolean.class), "the next refresh calls again");
    }
}
