package com.warroom.routes.templates;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.OutRecords;
import com.warroom.routes.support.TestKafka;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Only a list that proves itself removes templates from the topic. */
class TemplateSyncTest {

    static final String A = "6605a1b2c3d4e5f6a7b8c9d0";
    static final String B = "6605a1b2c3d4e5f6a7b8c9d1";

    final DefaultCamelContext context = new DefaultCamelContext();
    // never loaded: only what put() records, i.e. what the topic held before this sync
    final CompactedTopicView topic = new CompactedTopicView(new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1")), "templates",
            CompactedTopicView.Restart.logOnly());
    final TemplateSync sync = new TemplateSync(3_600_000L, topic, TestKafka.MAPPER);

    TemplateSyncTest() {
        for (String id : List.of(A, B)) {
            topic.put(id, ("{\"template_id\":\"" + id + "\",\"lookup_status\":\"found\"}").getBytes(StandardCharsets.UTF_8));
        }
    }

    List<Map<String, String>> tombstones(boolean complete, String... listed) throws Exception {
        Exchange e = new DefaultExchange(context);
        e.setProperty(TemplateLookups.LIST_COMPLETE, complete);
        e.setProperty(TemplateLookups.SEEN, new HashSet<>(Set.of(listed)));
        sync.tombstones(e);
        return OutRecords.list(e);
    }

    @Test
    void aTemplateMissingFromTwoCompleteListsInARowIsTombstoned() throws Exception {
        assertTrue(tombstones(true, A).isEmpty(), "missing once: it may have moved a page while the list was read");
        List<Map<String, String>> removed = tombstones(true, A);
        assertEquals(1, removed.size());
        assertEquals(B, removed.get(0).get("key"));
    }

    @Test
    void aTemplateMissedByOneSyncOnlyIsKept() throws Exception {
        assertTrue(tombstones(true, A).isEmpty());
        assertTrue(tombstones(true, A, B).isEmpty(), "listed again: it never went");
        assertTrue(tombstones(true, A).isEmpty(), "missing once more, but not twice in a row");
    }

    @Test
    void aListCutShortRemovesNothing() throws Exception {
        assertTrue(tombstones(false, A).isEmpty());
    }

    @Test
    void oneEmptyListRemovesNothing() throws Exception {
        assertTrue(tombstones(true).isEmpty(), "an account that suddenly lists no template is not believed at once");
        tombstones(true, A);
        assertEquals(1, tombstones(true, A).size(), "a non-empty list is believed (B missing twice)");
        assertTrue(tombstones(true).isEmpty(), "nor is an empty list right after one that was not");
    }
}
