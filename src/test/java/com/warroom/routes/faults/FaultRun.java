package com.warroom.routes.faults;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.ops.ReplayCommand;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.Progress;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;

/**
 * One fault scenario: its sandbox (with short rate windows it enforces exactly), the shipped app's
 * settings on fresh topics, the good events and poison records it fed, and the invariants of
 * README ("Guarantees") checked afterwards from what actually reached Kafka and the sandbox's own call log:
 * every good event has a result; one war room per incident that should have one; every poison
 * record in the dead-letter topic byte for byte with a reason; no rate window exceeded; no call but
 * POST to a configured Flashduty path; no record on a topic that is not configured; no secret in
 * the captured logs or in any record.
 */
final class FaultRun implements AutoCloseable {

    /** Short windows (the real ones are 50 per 1000 ms and 1,000 per 60,000 ms): same rules, faster scenarios. */
    static final int PER_SECOND = 10;
    static final long SECOND_WINDOW = 200;
    static final int PER_MINUTE = 40;
    static final long MINUTE_WINDOW = 1000;

    record Sent(String topic, int partition, long offset, byte[] key, byte[] value, List<Header> headers) {
    }

    /** One line of the reliability table. */
    record Row(String scenario, int events, int lost, int duplicateWarRooms, String deadLettered, long rateLimited,
               int windowViolations, int secretsSeen) {
    }

    final String name;
    final FlashdutySandbox sandbox;
    final Map<String, String> settings;
    final KafkaTestClient kafka;
    final TopicCollector topics;
    final String brokers;
    private final LogCapture logs;
    private final Set<String> topicsBefore;
    private final Map<String, Long> offsetsBefore;
    final List<ObjectNode> good = new ArrayList<>();
    final Set<String> shouldOpen = new LinkedHashSet<>();
    final List<Sent> poison = new ArrayList<>();
    /** log lines of processes other than this JVM (the SIGKILL scenario's separate JVMs) */
    final List<String> extraLogLines = new CopyOnWriteArrayList<>();
    /** servers that must never be called (a hostile header names them) */
    final List<FlashdutySandbox> traps = new ArrayList<>();
    /** incidents whose create was in flight when the process was killed: these alone may have two */
    final Set<String> mayRepeat = new HashSet<>();
    /** incidents of records set aside after their war room was opened (Kafka refused the result) */
    final Set<String> openedThenSetAside = new HashSet<>();
    /** the health (full exposure) and metrics pages of every app this run started, read as it stopped */
    final List<String> managementPages = new CopyOnWriteArrayList<>();
    /** a page that could not be read was not scanned: each is a problem of the scenario */
    final List<String> unreadPages = new CopyOnWriteArrayList<>();
    /** said after the scenario's name in the table */
    String note = "";

    /** What the incident and template-request topics accept unless a scenario says otherwise: one poison kind is over 1 MiB. */
    static final int TOPIC_BYTES = 2_097_152;

    FaultRun(String name) throws Exception {
        this(name, KafkaBroker.shared(), TOPIC_BYTES);
    }

    FaultRun(String name, KafkaBroker broker) throws Exception {
        this(name, broker, TOPIC_BYTES);
    }

    /** @param topicBytes max.message.bytes of the incident and template-request topics (the module reads it from there) */
    FaultRun(String name, KafkaBroker broker, int topicBytes) throws Exception {
        this.name = name;
        this.brokers = broker.bootstrapServers();
        this.sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config().perSecond(PER_SECOND).secondWindowMillis(SECOND_WINDOW)
                .perMinute(PER_MINUTE).minuteWindowMillis(MINUTE_WINDOW));
        this.settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
        RunningApp.budgetOf(sandbox.config(), settings);
        this.kafka = new KafkaTestClient(brokers);
        this.topicsBefore = kafka.listTopics();
        this.offsetsBefore = endOffsets(topicsBefore);
        for (String input : List.of("incident.topic", "template-request.topic")) {
            broker.createTopic(settings.get(input), 1, Map.of("max.message.bytes", String.valueOf(topicBytes)));
        }
        this.topics = new TopicCollector(brokers, List.of(settings.get("result.topic"), settings.get("dead-letter.topic")));
        this.logs = LogCapture.capture();
    }

    String topic(String key) {
        return settings.get(key + ".topic");
    }

    /** Starts the shipped app on this run's settings; its health and metrics pages are kept for the secret scan. */
    RunningApp start() throws Exception {
        RunningApp app = RunningApp.start(settings);
        return app.beforeClose(() -> {
            for (String page : List.of("/observe/health?exposureLevel=full", "/observe/metrics")) {
                try {
                    java.net.http.HttpResponse<String> r = app.management(page);
                    // 503: the health page of an app that is not ready, still the page to scan
                    boolean served = r.statusCode() == 200 || r.statusCode() == 503 && page.startsWith("/observe/health");
                    if (!served || r.body() == null || r.body().isBlank()) {
                        unreadPages.add(page + " answered HTTP " + r.statusCode() + (r.body() == null || r.body().isBlank() ? ", empty" : ""));
                    } else {
                        managementPages.add(r.body());
                    }
                } catch (Exception e) {
                    unreadPages.add(page + " could not be read: " + e);
                }
            }
        });
    }

    // ---- feeding --------------------------------------------------------------------------------

    /** Sends n fresh events, each of a new incident that should get a war room. */
    void sendGood(int n) {
        for (int i = 0; i < n; i++) {
            sendGood(Events.fresh(), List.of());
        }
    }

    ObjectNode sendGood(ObjectNode event, List<Header> headers) {
        kafka.send(topic("incident"), TestKafka.utf8(Events.incidentId(event)), TestKafka.utf8(Events.json(event)), headers);
        good.add(event);
        shouldOpen.add(Events.incidentId(event).toLowerCase());
        return event;
    }

    Sent sendPoison(byte[] key, byte[] value, List<Header> headers) {
        return sendPoison("incident", key, value, headers);
    }

    /** A record that must be set aside, on the input topic of {@code topicKey} ({@code incident}, {@code template-request}). */
    Sent sendPoison(String topicKey, byte[] key, byte[] value, List<Header> headers) {
        RecordMetadata m = kafka.send(topic(topicKey), key, value, headers);
        Sent s = new Sent(m.topic(), m.partition(), m.offset(), key, value, headers);
        poison.add(s);
        return s;
    }

    // ---- the operator's replay -------------------------------------------------------------------

    /** What the {@code replay} command printed and returned. */
    record ReplayRun(int code, String output, int republished) {
    }

    /**
     * The operator's {@code replay --from FROM} as the jar runs it ({@link ReplayCommand}), on this
     * run's topics and settings, beside the running app: it re-publishes the range for the app to handle.
     */
    ReplayRun replay(Instant from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int code = ReplayCommand.run(new String[] {"--from", from.toString()}, settings, print, print);
        String text = out.toString(StandardCharsets.UTF_8);
        int republished = text.lines().map(String::trim).filter(l -> l.matches("republished\\s+\\d+"))
                .mapToInt(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst().orElse(0);
        return new ReplayRun(code, text, republished);
    }

    /** The time of the earliest incident record carrying one of these events (the --from that replays them all). */
    Instant firstRecordOf(Set<String> eventIds) {
        long first = Long.MAX_VALUE;
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic("incident"))) {
            try {
                if (r.value() != null && eventIds.contains(TestKafka.json(r).path("event_id").asText())) {
                    first = Math.min(first, r.timestamp());
                }
            } catch (RuntimeException notAnEvent) {
                // a poison record: not one of the events
            }
        }
        return Instant.ofEpochMilli(first);
    }

    /** Waits until the result topic holds at least this many records (the re-published copies get results too). */
    void awaitResultRecords(int atLeast, Duration timeout) {
        Awaitility.await(name + ": " + atLeast + " result records").atMost(timeout).pollInterval(Duration.ofMillis(250))
                .until(() -> topics.json(topic("result")).size() >= atLeast);
    }

    // ---- waiting --------------------------------------------------------------------------------

    /** event_id → its results, in the order they reached the result topic. */
    Map<String, List<JsonNode>> resultsByEvent() {
        Map<String, List<JsonNode>> out = new HashMap<>();
        for (JsonNode r : topics.json(topic("result"))) {
            out.computeIfAbsent(r.path("event_id").asText(), k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    int withResult() {
        Map<String, List<JsonNode>> results = resultsByEvent();
        return (int) good.stream().filter(e -> results.containsKey(e.path("event_id").asText())).count();
    }

    /**
     * Waits until every good event has a result and every poison record is dead-lettered; fails once no
     * event has been handled for {@code stalled} (no deadline for the whole backlog: {@link Progress}).
     */
    void awaitAllHandled(Duration stalled) {
        Progress.await(name + ": every event handled", Duration.ofMillis(250), stalled,
                () -> withResult() + topics.records(topic("dead-letter")).size(),
                () -> withResult() == good.size() && topics.records(topic("dead-letter")).size() >= poison.size());
    }

    /** Waits until this many good events have a result; fails once none has got one for {@code stalled}. */
    void awaitResults(int atLeast, Duration stalled) {
        Progress.await(name + ": " + atLeast + " results", Duration.ofMillis(50), stalled, this::withResult, atLeast);
    }

    /** The latest result of each good event. */
    List<JsonNode> latestResults() {
        Map<String, List<JsonNode>> results = resultsByEvent();
        List<JsonNode> out = new ArrayList<>();
        for (ObjectNode e : good) {
            List<JsonNode> rs = results.get(e.path("event_id").asText());
            if (rs != null) {
                out.add(rs.get(rs.size() - 1));
            }
        }
        return out;
    }

    /** Every log line captured so far (this JVM and the separate ones). */
    List<String> logLines() {
        List<String> lines = new ArrayList<>(logs.lines());
        lines.addAll(extraLogLines);
        return lines;
    }

    // ---- the invariants -------------------------------------------------------------------------

    /**
     * Checks every invariant, adds this scenario's row to the table (also when something broke) and
     * returns what broke, one line each.
     */
    List<String> verify() {
        List<String> problems = new ArrayList<>();
        Map<String, List<ConsumerRecord<byte[], byte[]>>> written = new LinkedHashMap<>();
        Set<String> topicsAfter = kafka.listTopics();
        Set<String> configured = settings.entrySet().stream().filter(e -> e.getKey().endsWith(".topic")).map(Map.Entry::getValue)
                .collect(Collectors.toSet());
        for (String t : topicsAfter) {
            if (configured.contains(t) || !topicsBefore.contains(t)) {
                written.put(t, kafka.readAll(t));
            }
        }

        // every good event has a result
        Map<String, List<JsonNode>> results = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : written.getOrDefault(topic("result"), List.of())) {
            JsonNode j = TestKafka.json(r);
            results.computeIfAbsent(j.path("event_id").asText(), k -> new ArrayList<>()).add(j);
            if (r.headers().toArray().length > 0) {
                problems.add("result record with headers " + Arrays.toString(r.headers().toArray()));
            }
            if (!j.path("incident_id").asText().equals(TestKafka.key(r))) {
                problems.add("result record keyed " + TestKafka.key(r) + " for incident " + j.path("incident_id").asText());
            }
        }
        int lost = 0;
        for (ObjectNode e : good) {
            if (!results.containsKey(e.path("event_id").asText())) {
                lost++;
                problems.add("no result for event " + e.path("event_id").asText());
            }
        }
        // one war room per incident that should have one
        Map<String, Integer> creates = sandbox.createCounts();
        int duplicates = 0;
        for (String incident : union(shouldOpen, openedThenSetAside)) {
            if (creates.getOrDefault(incident, 0) == 0) {
                lost++;
                problems.add("no war room for incident " + incident);
            }
        }
        for (Map.Entry<String, Integer> c : creates.entrySet()) {
            if (!shouldOpen.contains(c.getKey()) && !openedThenSetAside.contains(c.getKey())) {
                problems.add("a create for incident " + c.getKey() + ", which was never sent as a good event");
            }
            if (c.getValue() > 1) {
                duplicates++;
                if (!mayRepeat.contains(c.getKey())) {
                    problems.add(c.getValue() + " war rooms for incident " + c.getKey());
                }
            }
        }
        for (ConsumerRecord<byte[], byte[]> r : written.getOrDefault(topic("ledger"), List.of())) {
            if (r.headers().toArray().length > 0) {
                problems.add("ledger record with headers");
            }
        }

        // every poison record dead-lettered byte for byte, with a reason; nothing else dead-lettered
        List<ConsumerRecord<byte[], byte[]>> dead = written.getOrDefault(topic("dead-letter"), List.of());
        Map<String, ConsumerRecord<byte[], byte[]>> deadBySource = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> d : dead) {
            deadBySource.put(TestKafka.header(d, "dlq-source-topic") + "/" + TestKafka.header(d, "dlq-source-partition")
                    + "@" + TestKafka.header(d, "dlq-source-offset"), d);
        }
        int deadLettered = 0;
        int truncated = 0;
        for (Sent p : poison) {
            ConsumerRecord<byte[], byte[]> d = deadBySource.get(p.topic() + "/" + p.partition() + "@" + p.offset());
            String where = "poison " + p.topic() + "/" + p.partition() + "@" + p.offset();
            if (d == null) {
                problems.add(where + " not in the dead-letter topic");
                continue;
            }
            String reason = TestKafka.header(d, "dlq-reason");
            String originalSize = String.valueOf(p.value() == null ? 0 : p.value().length);
            if ("true".equals(TestKafka.header(d, "dlq-truncated"))) {
                // a copy the dead-letter topic could not take whole: a prefix of the value, the original size
                boolean prefix = d.value() != null && p.value() != null && d.value().length < p.value().length
                        && Arrays.equals(d.value(), Arrays.copyOf(p.value(), d.value().length));
                if (!prefix || !originalSize.equals(TestKafka.header(d, "dlq-original-size"))) {
                    problems.add(where + " dead-lettered truncated, but not as a prefix with its original size");
                    continue;
                }
                truncated++;
            } else if (!sameRecord(p, d)) {
                problems.add(where + " dead-lettered but not byte for byte");
                continue;
            }
            if (!originalSize.equals(TestKafka.header(d, "dlq-original-size"))
                    || TestKafka.header(d, "dlq-source-timestamp") == null) {
                problems.add(where + " dead-lettered without its original size or source timestamp");
            } else if (reason == null || reason.isBlank()) {
                problems.add(where + " dead-lettered without a reason");
            } else {
                deadLettered++;
            }
        }
        if (dead.size() != poison.size()) {
            problems.add(dead.size() + " dead-letter records for " + poison.size() + " poison records");
        }

        // every record committed: nothing waits to be handled again, nothing was skipped uncommitted
        for (String input : List.of("incident", "template-request")) {
            String group = settings.get("consumer.group") + (input.equals("incident") ? "" : "-templates");
            if (topicsAfter.contains(topic(input)) && kafka.endOffset(topic(input)) > 0 && kafka.lag(group, topic(input)) != 0) {
                problems.add(kafka.lag(group, topic(input)) + " records of " + topic(input) + " not committed by " + group);
            }
        }

        // the account budget: arrivals the sandbox saw, in both windows
        List<Long> arrivals = sandbox.calls().stream().filter(c -> !c.path().equals(FlashdutySandbox.ROCKETCHAT_PATH))
                .map(FlashdutySandbox.Call::arrivalNanos).sorted().toList();
        int violations = FlashdutySandbox.overLimit(arrivals, SECOND_WINDOW, PER_SECOND)
                + FlashdutySandbox.overLimit(arrivals, MINUTE_WINDOW, PER_MINUTE);
        if (violations > 0) {
            problems.add(violations + " calls arrived in a full rate window");
        }

        // no call anywhere but POST to a configured Flashduty path (or, when Rocket.Chat is configured, GET of its
        // integrations.list by offset and count), with nothing a record or an answer steered
        boolean rocketChatConfigured = !settings.getOrDefault("rocketchat.url", "").isBlank();
        for (FlashdutySandbox.Call c : sandbox.calls()) {
            Set<String> queryKeys = c.query() == null ? Set.of()
                    : Arrays.stream(c.query().split("&")).map(q -> q.split("=", 2)[0]).collect(Collectors.toSet());
            boolean steered = c.headers().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Authorization") || h.equalsIgnoreCase("Cookie")
                    || h.regionMatches(true, 0, "Camel", 0, 5) || h.regionMatches(true, 0, "kafka", 0, 5));
            boolean flashduty = FlashdutySandbox.FLASHDUTY_PATHS.contains(c.path()) && "POST".equals(c.method())
                    && queryKeys.equals(Set.of("app_key"));
            boolean rocketChat = rocketChatConfigured && FlashdutySandbox.ROCKETCHAT_PATH.equals(c.path()) && "GET".equals(c.method())
                    && queryKeys.equals(Set.of("offset", "count"));
            if (!flashduty && !rocketChat || steered) {
                problems.add("unexpected call " + c.method() + " " + c.path() + " query keys " + queryKeys + " headers " + c.headers().keySet());
            }
        }
        for (FlashdutySandbox trap : traps) {
            if (!trap.calls().isEmpty()) {
                problems.add(trap.calls().size() + " calls reached a server named only by a hostile header");
            }
        }

        // no record on a topic that is not configured
        for (String t : topicsAfter) {
            if (!configured.contains(t) && !topicsBefore.contains(t)) {
                problems.add("topic " + t + " appeared (" + written.get(t).size() + " records)");
            }
        }
        Map<String, Long> offsetsAfter = endOffsets(topicsBefore.stream().filter(t -> !configured.contains(t)).collect(Collectors.toSet()));
        offsetsAfter.forEach((t, end) -> {
            if (!end.equals(offsetsBefore.get(t))) {
                problems.add("records written to existing topic " + t + " that is not configured");
            }
        });

        // no secret in any log line or record
        for (String unread : unreadPages) {
            problems.add("management page not scanned for secrets: " + unread);
        }
        int secrets = 0;
        List<String> lines = logLines();
        for (String secret : sandbox.secretValues()) {
            for (String line : lines) {
                if (line.contains(secret)) {
                    secrets++;
                    problems.add("a log line shows a secret: " + line.replace(secret, "<SECRET>"));
                }
            }
            for (String page : managementPages) {
                if (page.contains(secret)) {
                    secrets++;
                    problems.add("the health or metrics page shows a secret");
                }
            }
            for (List<ConsumerRecord<byte[], byte[]>> rs : written.values()) {
                for (ConsumerRecord<byte[], byte[]> r : rs) {
                    boolean seen = contains(r.key(), secret) || contains(r.value(), secret);
                    for (Header h : r.headers()) {
                        seen |= h.key().contains(secret) || contains(h.value(), secret);
                    }
                    if (seen) {
                        secrets++;
                        problems.add("a record shows a secret: " + r.topic() + "@" + r.offset());
                    }
                }
            }
        }
        if (lines.isEmpty()) {
            problems.add("the log capture saw nothing");
        }
        // one log event, one line: a value from a record or an answer cannot start a line of its own (issue 22)
        for (String event : logs.lines()) {
            String[] physical = event.stripTrailing().split("\\r\\n|\\r|\\n", -1);
            if (physical.length > 1) {
                problems.add("a log event of " + physical.length + " lines, the second: "
                        + physical[1].substring(0, Math.min(120, physical[1].length())));
            }
        }

        ReliabilityTable.add(new Row(name + note, good.size(), lost, duplicates,
                deadLettered + "/" + poison.size() + (truncated > 0 ? " (" + truncated + " truncated)" : ""), sandbox.count429(),
                violations, secrets));
        return problems;
    }

    private Map<String, Long> endOffsets(Set<String> names) {
        try {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            kafka.admin().describeTopics(names).allTopicNames().get().forEach((t, d) ->
                    d.partitions().forEach(p -> request.put(new TopicPartition(t, p.partition()), OffsetSpec.latest())));
            Map<String, Long> out = new HashMap<>();
            kafka.admin().listOffsets(request).all().get().forEach((tp, info) -> out.merge(tp.topic(), info.offset(), Long::sum));
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read end offsets", e);
        }
    }

    /** The dead-letter copy holds the original key, value and headers (in order, before the dlq-* ones). */
    private static boolean sameRecord(Sent p, ConsumerRecord<byte[], byte[]> d) {
        Header[] copied = d.headers().toArray();
        boolean same = Arrays.equals(p.key(), d.key()) && Arrays.equals(p.value(), d.value()) && copied.length > p.headers().size();
        for (int i = 0; same && i < p.headers().size(); i++) {
            same = p.headers().get(i).key().equals(copied[i].key()) && Arrays.equals(p.headers().get(i).value(), copied[i].value());
        }
        return same;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new LinkedHashSet<>(a);
        u.addAll(b);
        return u;
    }

    /**
     * The physical lines of every log line captured so far (an event whose text holds a line break is
     * several): what an operator's terminal or a log shipper reading line by line would see.
     */
    List<String> physicalLogLines() {
        List<String> out = new ArrayList<>();
        for (String line : logLines()) {
            out.addAll(Arrays.asList(line.split("\\r\\n|\\r|\\n")));
        }
        return out;
    }

    /** Log lines that say a record is handled again: the module's own retry line and camel-kafka's seek back. */
    long retries() {
        return logLines().stream().filter(l -> l.contains("the record is handled again") || l.contains("Will seek consumer")).count();
    }

    private static boolean contains(byte[] data, String secret) {
        return data != null && new String(data, StandardCharsets.ISO_8859_1).contains(secret);
    }

    @Override
    public void close() throws Exception {
        logs.close();
        topics.close();
        kafka.close();
        for (FlashdutySandbox trap : traps) {
            trap.close();
        }
        sandbox.close();
    }
}
