package com.warroom.routes.ops;

import java.io.IOException;
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

/**
 * How far a replay got, per partition, and what it did with each record: {@code republished} once
 * Kafka acknowledged the copy, or in a dry run the decision (one printed line and, with
 * {@code --out}, one JSON line per record). Feeds the progress lines and the summary.
 */
final class ReplayTracker {

    /** One record's dry-run decision; {@code status} as in the result records, plus {@code would_create}. */
    record Decision(int partition, long offset, long timestamp, String incidentId, String eventId, String eventType, String status,
                    String reason) {
    }

    static final String REPUBLISHED = "republished";
    static final String WOULD_CREATE = "would_create";

    private final Map<Integer, Long> start;
    private final Map<Integer, Long> end;
    private final PrintStream out;
    private final Writer jsonLines;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<Integer, AtomicLong> nextOffset = new ConcurrentHashMap<>();
    private final Set<Integer> reached = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> decisions = new ConcurrentHashMap<>();
    private final Set<String> wouldCreate = ConcurrentHashMap.newKeySet();

    /**
     * @param start first offset to handle, per partition
     * @param end   first offset not to handle, per partition
     */
    ReplayTracker(Map<Integer, Long> start, Map<Integer, Long> end, PrintStream out, Writer jsonLines) {
        this.start = Map.copyOf(start);
        this.end = Map.copyOf(end);
        this.out = out;
        this.jsonLines = jsonLines;
        start.forEach((p, o) -> nextOffset.put(p, new AtomicLong(o)));
    }

    /** Kafka acknowledged the copy of this record (called on the producer's thread). */
    void republished(int partition, long offset) {
        count(REPUBLISHED);
        advance(partition, offset);
    }

    /** Every record of the partition was handed over (read, and in a re-publish acknowledged). */
    void reached(int partition) {
        reached.add(partition);
    }

    /**
     * A dry run's decision. The live service would have written the ledger on a create: a later
     * event of the same incident in the range finds it there ({@code already_exists}).
     */
    synchronized void decided(Decision d) {
        String status = d.status();
        String reason = d.reason();
        if (d.incidentId() != null) {
            if (wouldCreate.contains(d.incidentId())) {
                status = "already_exists";
                reason = null;
            } else if (WOULD_CREATE.equals(status)) {
                wouldCreate.add(d.incidentId());
            }
        }
        String decision = reason == null || reason.isEmpty() ? status : status + "/" + reason;
        count(decision);
        advance(d.partition(), d.offset());
        out.println(String.format("%-40s partition=%d offset=%d incident_id=%s event_id=%s", decision, d.partition(), d.offset(),
                d.incidentId() == null ? "-" : d.incidentId(), d.eventId() == null ? "-" : d.eventId()));
        if (jsonLines != null) {
            ObjectNode line = mapper.createObjectNode();
            line.put("partition", d.partition());
            line.put("offset", d.offset());
            line.put("record_time", Instant.ofEpochMilli(d.timestamp()).toString());
            line.put("incident_id", d.incidentId());
            line.put("event_id", d.eventId());
            line.put("event_type", d.eventType());
            line.put("decision", status);
            line.put("reason", reason);
            try {
                jsonLines.write(mapper.writeValueAsString(line));
                jsonLines.write('\n');
                jsonLines.flush();
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void count(String decision) {
        decisions.computeIfAbsent(decision, k -> new AtomicLong()).incrementAndGet();
    }

    private void advance(int partition, long offset) {
        nextOffset.computeIfAbsent(partition, p -> new AtomicLong()).accumulateAndGet(offset + 1, Math::max);
    }

    /** Offsets of a partition handled so far (transaction markers between records included). */
    long done(int partition) {
        long s = start.getOrDefault(partition, 0L);
        long e = end.getOrDefault(partition, s);
        if (reached.contains(partition)) {
            return Math.max(0, e - s);
        }
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

    /** Every partition handed over to its end. */
    boolean complete() {
        return reached.containsAll(end.keySet());
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
