package com.warroom.routes.catalog;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.OutRecords;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.warroom.ImIntegrationCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** A failed or partial refresh publishes nothing, tombstones least of all; a complete one publishes what changed. */
class ImCatalogPublisherTest {

    static final ObjectMapper MAPPER = TestKafka.MAPPER;
    final DefaultCamelContext context = new DefaultCamelContext();
    // never loaded: only what put() records, i.e. what the topic held after the last good refresh
    final CompactedTopicView topic = new CompactedTopicView(new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1")), "im",
            CompactedTopicView.Restart.logOnly());
    final ImCatalogPublisher publisher = new ImCatalogPublisher(topic, new ImIntegrationCatalog(null,
            new EmptyListConfirmation(Duration.ZERO, System::nanoTime), new SimpleMeterRegistry()), MAPPER);
    final RocketChatPages pages = RocketChatPagesTest.pages(3, 1000, 1000);

    ImCatalogPublisherTest() {
        for (String id : List.of("a", "b", "c")) {
            topic.put("rocketchat:" + id, ("{\"provider\":\"rocketchat\",\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        topic.put("flashduty:362", "{}".getBytes(StandardCharsets.UTF_8));
    }

    /** A refresh that ends with these ids: complete when the list says no more follow, else cut after its first page. */
    Exchange rocketChatRefresh(boolean complete, String... ids) throws Exception {
        Exchange e = new DefaultExchange(context);
        RocketChatPages.Refresh refresh = pages.begin();
        ObjectNode page = MAPPER.createObjectNode().put("offset", 0).put("total", complete ? ids.length : ids.length + 10);
        ArrayNode list = page.putArray("integrations");
        for (String id : ids) {
            list.addObject().put("_id", id);
        }
        pages.page(refresh, null, 200, null, MAPPER.writeValueAsBytes(page));
        e.setVariable(RocketChatPages.REFRESH, refresh);
        return e;
    }

    @Test
    void aFailedOrPartialRocketChatRefreshPublishesNoRecordAndNoTombstone() throws Exception {
        Exchange partial = rocketChatRefresh(false, "a");
        publisher.rocketChat(partial);
        assertTrue(OutRecords.list(partial).isEmpty(), "b and c are not tombstoned by a refresh that stopped early");

        Exchange failed = rocketChatRefresh(false);
        publisher.rocketChat(failed);
        assertTrue(OutRecords.list(failed).isEmpty());
    }

    @Test
    void aCompleteRocketChatRefreshTombstonesWhatVanishedAndLeavesFlashdutyAlone() throws Exception {
        Exchange e = rocketChatRefresh(true, "a", "b");
        publisher.rocketChat(e);
        List<Map<String, String>> out = OutRecords.list(e);
        assertTrue(out.stream().anyMatch(r -> "rocketchat:c".equals(r.get("key")) && r.get("value") == null), out.toString());
        assertTrue(out.stream().noneMatch(r -> r.get("key").startsWith("flashduty:")), out.toString());
    }

    @Test
    void aFailedFlashdutyRefreshPublishesNothing() throws Exception {
        Exchange e = new DefaultExchange(context);
        e.setProperty(FlashdutyCallState.OUTCOME, "failed");
        publisher.flashduty(e);
        assertTrue(OutRecords.list(e).isEmpty(), "flashduty:362 is kept");
    }
}
