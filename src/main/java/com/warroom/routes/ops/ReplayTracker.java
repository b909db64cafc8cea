package com.warroom.routes.ops;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.IncomingRecord;
import org.apache.camel.Exchange;

/**
 * The replay's view of its records, called from steps woven into the shipped incident route: it
 * stops records at or after each partition's end bound, and records every decision (for the
 * progress lines, the summary, and in a dry run one printed line and one JSON line per event).
 * Written here because Camel has no notion of "stop at these offsets".
 */
public final class ReplayTracker {

    private final Map<Integer, Long> start;
    private final Map<Integer, Long> end;
    private final boolean dryRun;
    private final PrintStream out;
    private final Writer jsonLines;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<Integer, AtomicLong> nextOffset = new ConcurrentHashMap<>();
    private final Set<Integer> pastEnd = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> decisions = new ConcurrentHashMap<>();
    private final Set<String> wouldCreate = ConcurrentHashMap.newKeySet();

    /**
     * @param start first offset to handle, per partition
     * @param end   first offset not to handle, per partition
     */
    ReplayTracker(Map<Integer, Long> start, Map<Integer, Long> end, boolean dryRun, PrintStream out, Writer jsonLines) {
        this.start = Map.copyOf(start);
        this.end = Map.copyOf(end);
        this.dryRun = dryRun;
        this.out = out;
        this.jsonLines = jsonLines;
        start.forEach((p, o) -> nextOffset.put(p, new AtomicLong(o)));
    }

    /** True for a record at or after its partition's end: the route stops it, unhandled and uncommitted. */
    public boolean isPastEnd(Exchange exchange) {
        Integer partition = exchange.getProperty(IncomingRecord.PARTITION, Integer.class);
        Long offset = exchange.getProperty(IncomingRecord.OFFSET, Long.class);
        Long bound = end.get(partition);
        if (bound == null || offset == null || offset >= bound) {
            pastEnd.add(partition);
            return true;
        }
        return false;
    }

    /** After the result (or its dry-run stand-in): the decision of the war-room route. */
    public void decided(Exchange exchange) {
        String status = exchange.getProperty("warRoomStatus", String.class);
        String reason = exchange.getProperty("warRoomReason", String.class);
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        if (dryRun && incidentId != null) {
            // the run would have written the ledger: a later event of the same incident finds it there
            if (wouldCreate.contains(incidentId)) {
                status = "already_exists";
                reason = null;
            } else if ("would_create".equals(status)) {
                wouldCreate.add(incidentId);
            }
        }
        record(exchange, status, reason);
    }

    /** After the dead-letter copy (or its dry-run stand-in). */
    public void deadLettered(Exchange exchange) {
        record(exchange, "dead_letter", DeadLetterPublisher.reasonOf(exchange));
    }

    private void record(Exchange exchange, String status, String reason) {
        String decision = reason == null || reason.isEmpty() ? status : status + "/" + reason;
        decisions.computeIfAbsent(decision, d -> new AtomicLong()).incrementAndGet();
        Integer partition = exchange.getProperty(IncomingRecord.PARTITION, Integer.class);
        long offset = exchange.getProperty(IncomingRecord.OFFSET, Long.class);
        nextOffset.computeIfAbsent(partition, p -> new AtomicLong()).accumulateAndGet(offset + 1, Math::max);
        if (!dryRun) {
            return;
        }
        String incidentId = exchange.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
        String eventId = exchange.getProperty(IncidentEventParser.EVENT_ID, String.class);
        synchronized (this) {
            out.println(String.format("%-40s partition=%d offset=%d incident_id=%s event_id=%s", decision, partition, offset,
                    incidentId == null ? "-" : incidentId, eventId == null ? "-" : eventId));
            if (jsonLines != null) {
                ObjectNode line = mapper.createObjectNode();
                line.put("partition", partition);
                line.put("offset", offset);
                Long timestamp = exchange.getProperty(IncomingRecord.TIMESTAMP, Long.class);
                line.put("record_time", timestamp == null ? null : Instant.ofEpochMilli(timestamp).toString());
                line.put("incident_id", incidentId);
                line.put("event_id", eventId);
                line.put("event_type", exchange.getProperty(IncidentEventParser.EVENT_TYPE, String.class));
                line.put("decision", status);
                line.put("reason", reason);
                try {
                    jsonLines.write(mapper.writeValueAsString(line));
                    jsonLines.write('\n');
                    jsonLines.flush();
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                } catch (java.io.IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** Records handled so far in a partition. */
    long done(int partition) {
        long s = start.getOrDefault(partition, 0L);
        long e = end.getOrDefault(partition, s);
        AtomicLong next = nextOffset.get(partition);
        return Math.max(0, Math.min(e, next == null ? s : next.get()) - s);
    }

    long total(int partition) {
        return Math.max(0, end.getOrDefault(partition, 0L) - start.getOrDefault(partition, 0L));
    }

    long done() {
        return end.keySet().stream().mapToLong(this::done).sum();
    }

    long total() {
        return end.keySet().stream().mapToLong(this::total).sum();
    }

    /** Every partition handled up to its end (or a record past its end was seen). */
    boolean complete() {
        return end.keySet().stream().allMatch(p -> done(p) >= total(p) || pastEnd.contains(p));
    }

    /** Decisions and how often each was made, most frequent first. */
    Map<String, Long> decisions() {
        Map<String, Long> sorted = new TreeMap<>();
        decisions.forEach((k, v) -> sorted.put(k, v.get()));
        Map<String, Long> byCount = new LinkedHashMap<>();
        sorted.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> byCount.put(e.getKey(), e.getValue()));
        return byCount;
    }

    Map<Integer, Long> partitions() {
        return new TreeMap<>(end);
    }
}
