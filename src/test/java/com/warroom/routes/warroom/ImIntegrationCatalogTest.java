package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.flashduty.FlashdutyCallState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImIntegrationCatalogTest {

    private final DefaultCamelContext context = new DefaultCamelContext();

    @Test
    void aLoadAskedForWhileAnotherRunsSharesItsAnswer() throws Exception {
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

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String ONE = "{\"items\":[{\"integration_id\":362,\"plugin_type\":\"feishu\",\"integration_key\":\"k\"}]}";

    final AtomicLong nanos = new AtomicLong();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ImIntegrationCatalog catalog = new ImIntegrationCatalog(null,
            new EmptyListConfirmation(Duration.ofSeconds(60), nanos::get), registry);

    Exchange answer(String data) throws Exception {
        Exchange e = new DefaultExchange(context);
        e.setProperty(FlashdutyCallState.OUTCOME, "success");
        e.setProperty(FlashdutyCallState.DATA, data == null ? null : MAPPER.readTree(data));
        catalog.update(e);
        return e;
    }

    void assertKeptTheLastList(Exchange e, String code) {
        assertEquals("failed", e.getProperty(FlashdutyCallState.OUTCOME), "taken as a failed refresh");
        assertEquals(code, e.getProperty(FlashdutyCallState.ERROR_CODE));
        assertEquals(1, catalog.items().size(), "the last good list stays");
        assertTrue(catalog.select(new DefaultExchange(context)), "war rooms still open on it");
    }

    @Test
    void anAnswerWithoutAListOfObjectsNeverReplacesTheLastGoodOne() throws Exception {
        answer(ONE);
        assertEquals(1, catalog.items().size());
        assertFalse(catalog.items().get(0).has("integration_key"), "the secret is dropped as the list arrives");
        assertKeptTheLastList(answer("{}"), ImIntegrationCatalog.INVALID_LIST);
        assertKeptTheLastList(answer(null), ImIntegrationCatalog.INVALID_LIST);
        assertKeptTheLastList(answer("{\"items\":{}}"), ImIntegrationCatalog.INVALID_LIST);
        assertKeptTheLastList(answer("{\"items\":[1,\"x\"]}"), ImIntegrationCatalog.INVALID_LIST);
        assertEquals(4, registry.counter("war.room.im.catalog.answers.rejected", "provider", "flashduty", "reason", "invalid_list").count());
    }

    @Test
    void anEmptyListIsBelievedOnlyWhenTheNextRefreshIsEmptyToo() throws Exception {
        answer(ONE);
        assertKeptTheLastList(answer("{\"items\":[]}"), ImIntegrationCatalog.EMPTY_UNCONFIRMED);
        nanos.addAndGet(Duration.ofSeconds(30).toNanos());
        assertKeptTheLastList(answer("{\"items\":[]}"), ImIntegrationCatalog.EMPTY_UNCONFIRMED);
        nanos.addAndGet(Duration.ofSeconds(30).toNanos());
        Exchange confirmed = answer("{\"items\":[]}");
        assertEquals("success", confirmed.getProperty(FlashdutyCallState.OUTCOME), "empty a refresh apart: believed");
        assertTrue(catalog.items().isEmpty());
        assertFalse(catalog.select(new DefaultExchange(context)));

        answer(ONE);
        assertEquals(1, catalog.items().size());
        assertKeptTheLastList(answer("{\"items\":[]}"), ImIntegrationCatalog.EMPTY_UNCONFIRMED);
    }

    @Test
    void anEmptyFirstListLeavesTheCatalogNotLoaded() throws Exception {
        Exchange e = answer("{\"items\":[]}");
        assertEquals(ImIntegrationCatalog.EMPTY_UNCONFIRMED, e.getProperty(FlashdutyCallState.ERROR_CODE));
        assertFalse(catalog.isLoaded(), "events fail as catalog_unavailable-like failures, to be replayed, instead of being skipped");
    }
}
