package com.warroom.routes.templates;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.EmptyListConfirmation;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.OutRecords;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional periodic full template sync (TEMPLATE_SYNC_INTERVAL; empty = off: no route
 * {@code template-sync}): at start and every interval, every template is listed into TEMPLATE_TOPIC,
 * and each template the topic still shows as found but the account no longer lists gets a tombstone, so the topic can serve as a compacted catalog.
 * What the topic holds is read from the topic itself, so a restart does not forget what to tombstone.
 * Only a list that proves itself removes anything: every page arrived (the server's own "no next
 * page" ended it, {@link TemplateLookups}) and it is not empty, or empty twice a sync apart; and a
 * template is removed only when two complete syncs in a row did not list it.
 */
public final class TemplateSync implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TemplateSync.class);
    static final String PRESET = "000000000000000000000001";

    private final long intervalMillis;
    private final CompactedTopicView topic;
    private final ObjectMapper mapper;
    private final EmptyListConfirmation emptyLists;
    /** found templates the last complete sync did not list */
    private Set<String> missingBefore = Set.of();

    /** intervalMillis 0: the sync is off (it also times when an empty list is believed). */
    public TemplateSync(long intervalMillis, CompactedTopicView topic, ObjectMapper mapper) {
        this.intervalMillis = intervalMillis;
        this.topic = topic;
        this.mapper = mapper;
        this.emptyLists = new EmptyListConfirmation(Duration.ofMillis(Math.max(0, intervalMillis)), System::nanoTime);
    }

    public boolean isEnabled() {
        return intervalMillis > 0;
    }

    /** At stop: the topic's follower, if a sync started it. */
    @Override
    public void close() {
        topic.close();
    }

    /** Lists everything: no filters, no lookup id; the topic view is read back on the first sync. */
    public void begin(Exchange exchange) {
        topic.load();
        exchange.removeProperty(TemplateLookups.FILTERS);
        exchange.removeProperty(TemplateLookups.LOOKUP_ID);
    }

    /** After the last page: tombstones for templates that disappeared. A sync cut short removes nothing. */
    @SuppressWarnings("unchecked")
    public void tombstones(Exchange exchange) throws IOException {
        OutRecords.clear(exchange);
        if (!exchange.getProperty(TemplateLookups.LIST_COMPLETE, false, Boolean.class)) {
            LOG.warn("template sync did not list every page; no template is removed this time");
            return;
        }
        Set<String> seen = exchange.getProperty(TemplateLookups.SEEN, Set.class);
        if (!emptyLists.accepts(seen.size())) {
            LOG.warn("template sync: the account lists no template; believed only when the next sync"
                    + " (TEMPLATE_SYNC_INTERVAL later) lists none too, so no template is removed this time");
            return;
        }
        int removed = 0;
        Set<String> missing = new java.util.HashSet<>();
        for (String key : topic.keys()) {
            if (!IncidentEventParser.isObjectId(key) || PRESET.equals(key) || seen.contains(key)) {
                continue;
            }
            byte[] value = topic.get(key);
            JsonNode v = value == null ? null : mapper.readTree(value);
            if (v != null && "found".equals(v.path("lookup_status").asText())) {
                missing.add(key);
                // a template deleted while a sync pages moves the later ones up a page, so one sync can miss
                // a template that exists: only one missing from two complete syncs in a row is removed
                if (missingBefore.contains(key)) {
                    OutRecords.add(exchange, key, null);
                    removed++;
                }
            }
        }
        missingBefore = missing;
        LOG.info("template sync: {} templates listed, {} removed, {} more missing once (removed if the next sync misses them too)",
                seen.size(), removed, missing.size() - removed);
    }
}
