package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.templates.TemplateLookups;
import com.warroom.routes.templates.TemplateSync;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.TEMPLATES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The template sync of routes/60-template-lookups.yaml (route {@code template-sync}): a sync lists
 * every page of /template/list without filters and answers every template found on TEMPLATE_TOPIC;
 * a template the topic holds as found that two complete syncs in a row did not list gets a
 * tombstone; a sync that failed, was cut short or listed nothing (once) removes nothing.
 * <p>
 * TEMPLATE_TOPIC is read back at a sync's start ({@code template-sync-begin}): a Kafka edge, replaced
 * here like the others. The sync's topic view is the test's, and follows what the route writes, as
 * the view's follower would follow the topic.
 */
class TemplateSyncRouteTest extends RouteTestSupport {

    static final String TOPIC = "templates";
    static final String PRESET = "000000000000000000000001";

    final CompactedTopicView view = new CompactedTopicView(NO_KAFKA, TOPIC, CompactedTopicView.Restart.logOnly());
    final TemplateSync sync = new TemplateSync(1, view, MAPPER);
    CompactedTopic topic;

    @EndpointInject("mock:template-sync-read-back")
    MockEndpoint readBack;

    @Override
    protected Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>(PROPERTIES);
        p.put("template.sync-interval", "1s");
        return p;
    }

    @Override
    protected void replaceMore(ModelCamelContext camel) throws Exception {
        camel.getRegistry().bind("templateSync", TemplateSync.class, sync);
        AdviceWith.adviceWith(camel.getRouteDefinition("template-sync"), camel, new AdviceWithRouteBuilder() {
            @Override
            public void configure() {
                weaveById("template-sync-begin").replace().to("mock:template-sync-read-back");
            }
        });
    }

    @BeforeEach
    void anEmptyTopic() {
        view.keys().forEach(k -> view.put(k, null));
        topic = new CompactedTopic(TOPIC);
        records.whenAnyExchangeReceived(e -> {
            topic.process(e);
            String value = e.getMessage().getBody(String.class);
            view.put(e.getMessage().getHeader(KafkaConstants.KEY, String.class), value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        });
    }

    @Test
    void aSyncListsEveryPageWithoutFiltersAndAnswersEveryTemplateFound() throws Exception {
        List<String> ids = ids("61", 120);
        flashduty.script(TEMPLATES, page(ids.subList(0, 100), true), page(ids.subList(100, 120), false));

        sync();

        List<FlashdutyStub.Call> pages = flashduty.calls(TEMPLATES);
        assertEquals(2, pages.size());
        for (int p = 0; p < 2; p++) {
            JsonNode body = MAPPER.readTree(pages.get(p).body());
            assertEquals(Set.of("p", "limit"), ImCatalogRouteTest.fieldNames(body), "no filters: " + body);
            assertEquals(p + 1, body.path("p").asInt());
            assertEquals(100, body.path("limit").asInt());
        }
        List<CompactedTopic.Written> written = topic.writes();
        assertEquals(ids, written.stream().map(CompactedTopic.Written::key).toList());
        for (CompactedTopic.Written w : written) {
            assertEquals(Map.of(KafkaConstants.KEY, w.key()), w.headers());
            JsonNode answer = MAPPER.readTree(w.value());
            assertEquals("found", answer.path("lookup_status").asText());
            assertEquals(w.key(), answer.path("template_id").asText());
            assertTrue(answer.path("lookup_id").isMissingNode() || answer.path("lookup_id").isNull(), "a sync has no lookup id: " + answer);
        }
        assertEquals(1, readBack.getReceivedCounter(), "the topic is read back as the sync begins");
    }

    @Test
    void aTemplateTheTopicHoldsThatTwoCompleteSyncsInARowDidNotListIsTombstoned() {
        List<String> ids = ids("62", 3);
        String a = ids.get(0);
        String b = ids.get(1);
        String c = ids.get(2);
        sync(page(List.of(a, b, c, PRESET), false));
        assertEquals(Set.of(a, b, c, PRESET), topic.held().keySet());

        int before = topic.writes().size();
        sync(page(List.of(a, b), false));
        assertTrue(tombstones(topic.writesSince(before)).isEmpty(), "missing from one sync only: kept");

        before = topic.writes().size();
        sync(page(List.of(a, b), false));
        assertEquals(List.of(c), tombstones(topic.writesSince(before)), "the preset template is never removed");
        assertEquals(Set.of(a, b, PRESET), topic.held().keySet());
    }

    @Test
    void aSyncThatFailedWasCutShortOrListedNothingOnceRemovesNothing() throws Exception {
        List<String> ids = ids("63", 2);
        String kept = ids.get(0);
        String gone = ids.get(1);
        sync(page(ids, false));
        sync(page(List.of(kept), false)); // gone: missing from one complete sync

        int before = topic.writes().size();
        sync(Answer.error(403, "AccessDenied", "no permission"));
        sync(page(List.of(), true)); // says more follow, holds nothing: cut short
        sync(page(List.of(), false)); // empty, not yet believed

        List<CompactedTopic.Written> since = topic.writesSince(before);
        assertEquals(List.of(), tombstones(since), "none of these is a second complete sync without it: " + since);
        assertTrue(topic.held().keySet().containsAll(ids), topic.held().keySet().toString());
        List<CompactedTopic.Written> failed = since.stream().filter(w -> TemplateLookups.FAILED_KEY.equals(w.key())).toList();
        assertEquals(2, failed.size(), "the failed and the cut-short list are answered failed, under their own key: " + since);
        assertEquals("failed", MAPPER.readTree(failed.get(0).value()).path("lookup_status").asText());

        before = topic.writes().size();
        sync(page(List.of(kept), false));
        assertEquals(List.of(gone), tombstones(topic.writesSince(before)), "the next complete sync without it removes it");
    }

    /** One sync, its pages answered these. */
    void sync(Answer... pages) {
        flashduty.script(TEMPLATES, pages);
        sync();
    }

    void sync() {
        int calls = flashduty.calls(TEMPLATES).size();
        Exchange done = template().send("direct:template-sync", new DefaultExchange(context));
        assertNull(done.getException());
        assertTrue(flashduty.calls(TEMPLATES).size() > calls, "the sync listed");
    }

    static List<String> tombstones(List<CompactedTopic.Written> writes) {
        return writes.stream().filter(w -> w.value() == null).map(CompactedTopic.Written::key).toList();
    }

    static List<String> ids(String prefix, int n) {
        return new ArrayList<>(IntStream.range(0, n).mapToObj(i -> prefix + String.format("%022x", 0x1000 + i)).toList());
    }

    static Answer page(List<String> ids, boolean hasNext) {
        String items = String.join(",", ids.stream().map(FlashdutyStub::template).toList());
        return Answer.ok("{\"total\":" + ids.size() + ",\"has_next_page\":" + hasNext + ",\"items\":[" + items + "]}");
    }
}
