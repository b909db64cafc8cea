package com.warroom.routes.ops;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.app.Settings;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.TimeUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code replay --from TIME [--to TIME] [--dry-run [--out FILE]]}: hands the incident records of a
 * time range to the live service again, by re-publishing each to the incident topic, to the
 * partition number it came from. The partition's owner, which also gets the live events of those
 * incidents, then handles them one after another under its ledger and budget: an incident that has
 * a war room gets {@code already_exists}, and no second process ever decides a create, so a replay
 * cannot race the live service. The replay itself makes no Flashduty call, takes no budget, runs no
 * route, binds no port and joins no consumer group (it reads by assignment and commits nothing).
 * <p>
 * Each partition's start is found with {@code offsetsForTimes} and its end fixed before anything is
 * read, so the copies it writes are never read again by the same run. {@code --dry-run} writes
 * nothing and calls no one: it runs the shipped decision routes ({@link ReplayDryRun}).
 */
public final class ReplayCommand {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TIME = "an ISO-8601 time with a zone (e.g. 2026-11-23T08:00:00Z or 2026-11-23T09:00:00+01:00)";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** No record read for this long while reading the range: Kafka is not answering. */
    private static final Duration STALL = Duration.ofSeconds(60);
    private static final Map<String, String> GONE = Map.of(
            "--group", "a replay re-publishes the records to the incident topic for the live service and reads them under no consumer group",
            "--max-age", "the live service judges every replayed event by its own limit, which no record can widen;"
                    + " raise WAR_ROOM_MAX_EVENT_AGE on the service for the time of the replay");

    private final Instant from;
    private final Instant to;
    private final boolean dryRun;
    private final Path outFile;
    private final long progressNanos;
    private final Path routes;
    private final PrintStream out;
    private final DefaultCamelContext context = new DefaultCamelContext();
    private final Settings settings;
    private final String topic;
    /** Per partition: the first offset to handle and the first one not to handle. */
    private final Map<Integer, Long> start = new TreeMap<>();
    private final Map<Integer, Long> end = new TreeMap<>();
    /** Per partition: one past the last offset handled (acknowledged copy, or dry-run decision). */
    private final Map<Integer, Long> next = new ConcurrentHashMap<>();
    private final Map<String, Long> decisions = new ConcurrentHashMap<>();
    private long t0;
    private long nextReport;

    /**
     * The command. {@code overrides} are extra properties (tests point it at their broker and topics);
     * returns the exit code: 0 done, 1 the replay failed while running, 2 bad usage or start-up problem.
     */
    public static int run(String[] args, Map<String, String> overrides, PrintStream out, PrintStream err) {
        try {
            return CommandLine.exitCode(err, () -> new ReplayCommand(args, overrides, out).replay());
        } catch (Exception e) {
            // the class only: a message could quote a URI or a value
            return CommandLine.fail(err, "replay failed: " + e.getClass().getName());
        }
    }

    private ReplayCommand(String[] args, Map<String, String> overrides, PrintStream out) {
        for (String a : args) {
            if (GONE.containsKey(a)) {
                throw new CommandLine.UsageError(a + " is gone: " + GONE.get(a));
            }
        }
        CommandLine command = CommandLine.parse("replay", args, Set.of("--from", "--to", "--out", "--progress"), Set.of("--dry-run"));
        Map<String, String> cl = command.values();
        if (!cl.containsKey("--from")) {
            throw new CommandLine.UsageError("replay needs --from TIME (ISO-8601, e.g. 2026-11-23T08:00:00Z)");
        }
        from = command.value("--from", v -> OffsetDateTime.parse(v).toInstant(), TIME);
        to = command.value("--to", v -> OffsetDateTime.parse(v).toInstant(), TIME);
        if (to != null && !to.isAfter(from)) {
            throw new CommandLine.UsageError("--to " + to + " is not after --from " + from);
        }
        dryRun = cl.containsKey("--dry-run");
        outFile = cl.containsKey("--out") ? Path.of(cl.get("--out")) : null;
        if (outFile != null && !dryRun) {
            throw new CommandLine.UsageError("--out writes the dry run's decisions: use it with --dry-run");
        }
        Long progressMillis = command.value("--progress", TimeUtils::toMilliSeconds, "a duration (e.g. 5s, 1m)");
        progressNanos = Math.max(progressMillis == null ? 5_000 : progressMillis, 100) * 1_000_000;
        routes = command.path("--routes");
        this.out = out;
        // the same property resolution Camel Main does; only a dry run starts this context
        PropertiesComponent pc = context.getPropertiesComponent();
        pc.setLocation("file:" + command.path("--config").toAbsolutePath());
        Properties p = new Properties();
        p.putAll(overrides);
        pc.setOverrideProperties(p);
        settings = Settings.read(pc::resolveProperty);
        topic = settings.topics().incident();
    }

    private int replay() throws Exception {
        plan();
        String range = "from " + from + " to " + (to != null ? to : "the end offsets at start");
        out.println((dryRun ? "replay (dry run: no Flashduty call, nothing written): " : "replay: ") + total() + " records of " + topic + " " + range
                + (dryRun ? "" : ", re-published to " + topic + " (each to the partition it came from) for the live service"));
        StringJoiner partitions = new StringJoiner(", ");
        start.forEach((p, s) -> partitions.add("p" + p + " " + s + ".." + end.get(p)));
        out.println("  partitions (start..end): " + partitions);
        if (total() == 0) {
            out.println("replay done: nothing to replay");
            return 0;
        }
        t0 = System.nanoTime();
        nextReport = t0 + progressNanos;
        boolean finished;
        try {
            finished = dryRun ? dryRun() : republish();
        } catch (KafkaException e) {
            out.println("replay stopped before the end: reading " + topic + " failed (" + e.getClass().getSimpleName() + ")");
            finished = false;
        }
        if (finished) {
            next.putAll(end);
        }
        out.println(progress());
        out.println(String.format("replay %s: %d of %d records in %.1f s", finished ? "done" : "incomplete", done(), total(),
                (System.nanoTime() - t0) / 1e9));
        decisions.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(d -> out.println(String.format("  %-40s %d", d.getKey(), d.getValue())));
        return finished ? 0 : 1;
    }

    /**
     * Start: the first record at or after {@code --from}; end: the first at or after {@code --to}, else
     * the end offset now, then moved back to one past the last record before it (see {@link #pastLastRecord}).
     */
    private void plan() {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            if (partitions.isEmpty()) {
                throw new CommandLine.UsageError("topic " + topic + " does not exist on Kafka at " + settings.kafka().client().brokers());
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
            Map<TopicPartition, Long> first = at(consumer, from, ends);
            Map<TopicPartition, Long> last = to == null ? ends : at(consumer, to, ends);
            for (TopicPartition tp : partitions) {
                start.put(tp.partition(), first.get(tp));
                end.put(tp.partition(), pastLastRecord(consumer, tp, first.get(tp), last.get(tp)));
            }
        } catch (TimeoutException e) {
            throw new CommandLine.UsageError("cannot reach Kafka at " + settings.kafka().client().brokers() + " (no answer within " + TIMEOUT.toSeconds() + " s)");
        } catch (KafkaException e) {
            throw new CommandLine.UsageError("cannot read topic " + topic + " from Kafka at " + settings.kafka().client().brokers() + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Per partition, the first offset whose record is at or after {@code time}, else the end. */
    private static Map<TopicPartition, Long> at(KafkaConsumer<byte[], byte[]> consumer, Instant time, Map<TopicPartition, Long> ends) {
        Map<TopicPartition, Long> offsets = new HashMap<>(ends);
        consumer.offsetsForTimes(ends.keySet().stream().collect(Collectors.toMap(tp -> tp, tp -> time.toEpochMilli())), TIMEOUT)
                .forEach((tp, o) -> offsets.merge(tp, o == null ? Long.MAX_VALUE : o.offset(), Math::min));
        return offsets;
    }

    /**
     * Offsets count transaction markers too, and no consumer ever receives a marker (nor, reading
     * committed records only, an aborted record): a replay waiting for such an offset would wait for
     * ever. The end becomes one past the last record before it (or the start when there is none),
     * found by reading back from the end in growing steps.
     */
    private static long pastLastRecord(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long first, long upTo) {
        consumer.assign(List.of(tp));
        for (long step = 1; upTo > first; step *= 16) {
            long from = Math.max(first, upTo - step);
            consumer.seek(tp, from);
            long last = -1;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(tp, TIMEOUT) < upTo) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading " + tp);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    last = r.offset() < upTo ? r.offset() : last;
                }
            }
            if (last >= 0) {
                return last + 1;
            }
            upTo = from;
        }
        return first;
    }

    /**
     * Hands every record of the plan to {@code handler}, in offset order per partition, until every
     * position has passed its end. Gives up when no record comes for {@link #STALL}.
     */
    private void read(Consumer<ConsumerRecord<byte[], byte[]>> handler) {
        Map<TopicPartition, Long> remaining = new HashMap<>();
        start.forEach((p, s) -> {
            if (end.get(p) > s) {
                remaining.put(new TopicPartition(topic, p), end.get(p));
            }
        });
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            consumer.assign(remaining.keySet());
            remaining.keySet().forEach(tp -> consumer.seek(tp, start.get(tp.partition())));
            long lastRecord = System.nanoTime();
            while (!remaining.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    lastRecord = System.nanoTime();
                    if (r.offset() < remaining.getOrDefault(new TopicPartition(r.topic(), r.partition()), -1L)) {
                        handler.accept(r);
                    }
                }
                for (TopicPartition tp : List.copyOf(remaining.keySet())) {
                    if (consumer.position(tp, TIMEOUT) >= remaining.get(tp)) {
                        remaining.remove(tp);
                        consumer.pause(List.of(tp));
                    }
                }
                if (System.nanoTime() >= nextReport) { // a progress line every --progress
                    out.println(progress());
                    nextReport = System.nanoTime() + progressNanos;
                }
                if (System.nanoTime() - lastRecord > STALL.toNanos()) {
                    throw new TimeoutException("no record of " + topic + " read for " + STALL.toSeconds() + " s");
                }
            }
        }
    }

    /**
     * Each record to the partition it came from, key, value and headers as they were plus where it came
     * from ({@code replayed-from-*}, UTF-8 text, replacing earlier ones); the service reads no record
     * header, they only tell a reader of the topic what a record is. Idempotent, {@code acks=all}: a
     * retried send is written once and a partition's copies stay in order.
     */
    private boolean republish() {
        AtomicReference<String> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            try {
                read(r -> {
                    if (failure.get() != null) {
                        throw new CancellationException();
                    }
                    Map<String, Object> origin = Map.of("replayed-from-topic", r.topic(), "replayed-from-partition", r.partition(),
                            "replayed-from-offset", r.offset(), "replayed-from-timestamp", r.timestamp());
                    RecordHeaders headers = new RecordHeaders(r.headers().toArray());
                    origin.forEach((k, v) -> headers.remove(k).add(k, v.toString().getBytes(StandardCharsets.UTF_8)));
                    producer.send(new ProducerRecord<>(topic, r.partition(), null, r.key(), r.value(), headers), (m, e) -> {
                        if (e == null) {
                            handled("republished", r.partition(), r.offset());
                        } else {
                            failure.compareAndSet(null, "partition " + r.partition() + " offset " + r.offset() + " (" + e.getClass().getSimpleName() + ")");
                        }
                    });
                });
            } catch (CancellationException stopped) {
                // reported below, once the sends in flight are answered
            }
            producer.flush();
            if (failure.get() != null) {
                out.println("replay stopped before the end: Kafka did not take the copy of " + failure.get()
                        + "; run it again: what the live service already handled gets already_exists");
            }
            return failure.get() == null;
        }
    }

    private boolean dryRun() throws Exception {
        try (ReplayDryRun dry = ReplayDryRun.open(context, routes, settings);
             PrintStream jsonLines = outFile == null ? null : new PrintStream(Files.newOutputStream(outFile), true, StandardCharsets.UTF_8)) {
            out.println("  ledger: " + dry.ledger().size() + " war rooms read back from " + settings.topics().ledger());
            if (!dry.catalogKnown()) {
                out.println("  no IM integration found on " + settings.topics().integration()
                        + ": creates are reported as would_create/integration_not_checked");
            }
            read(r -> decided(dry.decide(r), jsonLines));
            if (jsonLines != null && jsonLines.checkError()) {
                out.println("replay stopped before the end: writing " + outFile + " failed");
                return false;
            }
            return true;
        }
    }

    /** A dry run's decision: one line, and with {@code --out} one JSON line. */
    private void decided(ReplayDryRun.Decision d, PrintStream jsonLines) {
        String decision = d.decision() + (d.reason() == null || d.reason().isEmpty() ? "" : "/" + d.reason());
        handled(decision, d.partition(), d.offset());
        out.println(String.format("%-40s partition=%d offset=%d incident_id=%s event_id=%s", decision, d.partition(), d.offset(),
                Objects.requireNonNullElse(d.incidentId(), "-"), Objects.requireNonNullElse(d.eventId(), "-")));
        if (jsonLines != null) {
            jsonLines.println(JSON.valueToTree(d));
        }
    }

    private void handled(String decision, int partition, long offset) {
        decisions.merge(decision, 1L, Long::sum);
        next.merge(partition, offset + 1, Math::max);
    }

    private String progress() {
        double seconds = Math.max((System.nanoTime() - t0) / 1e9, 0.001);
        StringJoiner parts = new StringJoiner(", ");
        end.forEach((p, e) -> parts.add("p" + p + " " + done(p) + "/" + (e - start.get(p))));
        return String.format("replay: %d/%d records (%d%%), %.1f rec/s; %s", done(), total(), done() * 100 / total(), done() / seconds, parts);
    }

    /** Offsets of a partition handled so far (transaction markers between records included). */
    private long done(int partition) {
        return Math.min(next.getOrDefault(partition, start.get(partition)), end.get(partition)) - start.get(partition);
    }

    private long done() {
        return end.keySet().stream().mapToLong(this::done).sum();
    }

    private long total() {
        return end.entrySet().stream().mapToLong(e -> e.getValue() - start.get(e.getKey())).sum();
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = settings.kafka().client().common("war-room-routes-replay");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // the routes' kafka.isolation-level: the end and the last record are those they see
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, settings.kafka().isolationLevel());
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private KafkaProducer<byte[], byte[]> producer() {
        int maxRequestBytes = settings.kafka().producerMaxRequestBytes();
        Properties p = settings.kafka().client().common("war-room-routes-replay");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, settings.kafka().deliveryTimeoutMs());
        // Kafka 4's default is 5 ms; 0 keeps delivery.timeout.ms >= linger.ms + request.timeout.ms at its 30 s floor
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestBytes);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L * 1024 * 1024, 2L * maxRequestBytes));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
