package com.warroom.routes.ops;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code replay} against the real broker and the sandbox, with the shipped routes and config.
 * Eleven incident records one minute apart (explicit record timestamps) on two partitions, two of
 * their incidents already in the ledger, one malformed, one Warning, one stale event, and a later
 * event of an incident seen earlier; the IM catalog as the live service publishes it. The race with
 * the live service has topics of its own.
 */
class ReplayIT {

    private static final int PARTITIONS = 2;

    @TempDir
    Path dir;

    private FlashdutySandbox sandbox;
    private KafkaTestClient kafka;
    private Map<String, String> settings;
    private String topic;
    private Instant base;
    private final List<String> eventIds = new ArrayList<>();
    private final List<String> incidentIds = new ArrayList<>();
    private final List<RecordMetadata> written = new ArrayList<>();

    @BeforeEach
    void feed() throws Exception {
        String brokers = KafkaBroker.shared().bootstrapServers();
        sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
        kafka = new KafkaTestClient(brokers);
        settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
        topic = settings.get("incident.topic");
        KafkaBroker.shared().createTopic(topic, PARTITIONS);
        KafkaBroker.shared().createCompactedTopic(settings.get("ledger.topic"), 1);
        base = Instant.now().minus(30, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MINUTES);
        for (int i = 0; i <= 10; i++) {
            Instant at = minute(i);
            ObjectNode e = i == 10 ? Events.fresh(incidentIds.get(0)) : Events.fresh();
            e.put("event_time", at.toEpochMilli());
            if (i == 10) {
                e.put("event_type", "i_assign");
            }
            if (i == 1) {
                Events.incident(e).put("incident_severity", "Warning");
            }
            if (i == 7) {
                e.put("event_time", at.minus(2, ChronoUnit.HOURS).toEpochMilli());
            }
            String json = i == 3 ? "{not json" : Events.json(e);
            eventIds.add(i == 3 ? null : e.get("event_id").asText());
            incidentIds.add(Events.incidentId(e));
            written.add(kafka.send(new ProducerRecord<>(topic, i % PARTITIONS, at.toEpochMilli(),
                    TestKafka.utf8(Events.incidentId(e)), TestKafka.utf8(json), List.of(new RecordHeader("x-original", TestKafka.utf8("kept"))))));
        }
        // incidents 5 and 6 already have a war room
        for (int i : new int[] {5, 6}) {
            kafka.send(settings.get("ledger.topic"), incidentIds.get(i),
                    "{\"incident_id\":\"" + incidentIds.get(i) + "\",\"chat_id\":\"oc_before\",\"chat_name\":\"earlier\"}");
        }
        // the IM catalog as the live service publishes it
        kafka.send(settings.get("integration.topic"), "flashduty:4100",
                "{\"provider\":\"flashduty\",\"id\":\"4100\",\"name\":\"war rooms\",\"type\":\"dingtalk\",\"enabled\":true,\"channels\":[]}");
        // the live group has read part of the topic
        kafka.admin().alterConsumerGroupOffsets(settings.get("consumer.group"), Map.of(
                new TopicPartition(topic, 0), new OffsetAndMetadata(2), new TopicPartition(topic, 1), new OffsetAndMetadata(1))).all().get();
    }

    @AfterEach
    void close() {
        kafka.close();
        sandbox.close();
    }

    /**
     * The race: new incidents arrive, the live service is handling them, and a replay of the
     * range from just before runs beside it while further events of the same incidents arrive. The
     * replay re-publishes; the live service handles every copy after the original (same partition):
     * one room per incident, every copy answered, no consumer group or port of the replay's own.
     */
    @Test
    void replayBesideTheLiveServiceOpensNoSecondRoom() throws Exception {
        Map<String, String> live = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
        live.put("flashduty.budget-sharing", "false"); // no 65 s wait before a member's first call: the race is immediate
        String liveTopic = live.get("incident.topic");
        KafkaBroker.shared().createTopic(liveTopic, PARTITIONS);
        KafkaBroker.shared().createCompactedTopic(live.get("ledger.topic"), 1);
        sandbox.slow(100); // creates take a while: the live service is still busy when the replay starts
        int n = 30;
        List<ObjectNode> first = new ArrayList<>();
        List<ObjectNode> later = new ArrayList<>();
        Instant from = Instant.now().minusSeconds(2);
        ExecutorService replayThread = Executors.newSingleThreadExecutor();
        try (RunningApp app = RunningApp.start(live); LogCapture log = LogCapture.capture()) {
            for (int i = 0; i < n; i++) {
                ObjectNode e = Events.fresh();
                first.add(e);
                kafka.send(liveTopic, Events.incidentId(e), Events.json(e));
            }
            Future<Result> replay = replayThread.submit(() -> replay(live, "--from", from.toString()));
            for (ObjectNode e : first) {
                ObjectNode next = Events.fresh(Events.incidentId(e));
                next.put("event_type", "i_assign");
                later.add(next);
                kafka.send(liveTopic, Events.incidentId(next), Events.json(next));
            }
            Result r = replay.get(3, TimeUnit.MINUTES);
            assertEquals(0, r.code, r.all());
            // one room per incident, once the original and its second handling are answered
            await().atMost(Duration.ofMinutes(3)).until(() -> {
                Map<String, List<String>> answered = resultsByEvent(live);
                return first.stream().allMatch(e -> answered.getOrDefault(e.get("event_id").asText(), List.of()).size() >= 2);
            });
            Map<String, Integer> rooms = new java.util.TreeMap<>();
            first.forEach(e -> rooms.put(Events.incidentId(e), sandbox.createCount(Events.incidentId(e))));
            assertEquals(Map.of(), rooms.entrySet().stream().filter(c -> c.getValue() != 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "incidents without exactly one room");

            // every record of the range at its start: all first events, and the later ones already written by then
            int republished = r.out.lines().filter(l -> l.matches("\\s+republished\\s+\\d+")).mapToInt(l -> Integer.parseInt(l.trim().split("\\s+")[1]))
                    .findFirst().orElse(-1);
            assertTrue(republished >= n, r.out);

            // every original and every copy answered by the live service
            int expected = 2 * n + republished;
            await().atMost(Duration.ofMinutes(3)).until(() -> kafka.readAllJson(live.get("result.topic")).size() >= expected);
            Map<String, List<String>> byEvent = resultsByEvent(live);
            assertEquals(expected, byEvent.values().stream().mapToInt(List::size).sum(), "one result per record: " + byEvent);
            for (ObjectNode e : first) {
                String incidentId = Events.incidentId(e);
                assertEquals(1, sandbox.createCount(incidentId), "rooms for incident " + incidentId);
                List<String> statuses = byEvent.get(e.get("event_id").asText());
                assertEquals(List.of("created", "already_exists"), statuses, "the original, then its copy");
            }
            for (ObjectNode e : later) {
                List<String> statuses = byEvent.get(e.get("event_id").asText());
                assertTrue(!statuses.isEmpty() && statuses.stream().allMatch("already_exists"::equals), statuses.toString());
            }
            assertTrue(log.lines().stream().noneMatch(l -> l.contains("BindException") || l.contains("Address already in use")),
                    "the replay tried to bind a port");
        } finally {
            replayThread.shutdownNow();
        }
        // the copies: same partition, key and value as the original, marked with where they came from
        Map<String, ConsumerRecord<byte[], byte[]>> originals = new HashMap<>();
        List<ConsumerRecord<byte[], byte[]>> copies = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> c : kafka.readAll(liveTopic)) {
            if (c.headers().lastHeader("replayed-from-offset") == null) {
                originals.put(c.partition() + "/" + c.offset(), c);
            } else {
                copies.add(c);
            }
        }
        assertTrue(copies.size() >= n, "one copy per record of the range: " + copies.size());
        for (ConsumerRecord<byte[], byte[]> c : copies) {
            assertEquals(liveTopic, header(c, "replayed-from-topic"));
            ConsumerRecord<byte[], byte[]> o = originals.get(header(c, "replayed-from-partition") + "/" + header(c, "replayed-from-offset"));
            assertEquals(o.partition(), c.partition());
            assertArrayEquals(o.key(), c.key());
            assertArrayEquals(o.value(), c.value());
            assertEquals(Long.toString(o.timestamp()), header(c, "replayed-from-timestamp"));
        }
        Set<String> groups = kafka.admin().listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).collect(Collectors.toSet());
        assertTrue(groups.stream().noneMatch(g -> g.startsWith(live.get("consumer.group") + "-replay")), "no replay group: " + groups);
    }

    /** The range only, to the partitions the records came from; the replay itself decides nothing and calls no one. */
    @Test
    void republishesOnlyTheRangeToTheirPartitions() throws Exception {
        Map<String, Map<TopicPartition, Long>> before = endOffsets(kafka.listTopics());

        // minutes 4..7 (the malformed record of minute 3 and minute 8 on are outside the range)
        Result r = replay(settings, "--from", minute(4).toString(), "--to", minute(8).toString());
        assertEquals(0, r.code, r.all());
        assertTrue(r.out.contains("replay: 4/4 records (100%)"), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.matches("\\s+republished\\s+4")), r.out);

        List<ConsumerRecord<byte[], byte[]>> all = kafka.readAll(topic);
        List<ConsumerRecord<byte[], byte[]>> copies = all.stream().filter(c -> c.headers().lastHeader("replayed-from-offset") != null).toList();
        assertEquals(4, copies.size());
        for (int i = 4; i <= 7; i++) {
            RecordMetadata m = written.get(i);
            ConsumerRecord<byte[], byte[]> c = copies.stream().filter(x -> header(x, "replayed-from-offset").equals(Long.toString(m.offset()))
                    && header(x, "replayed-from-partition").equals(Integer.toString(m.partition()))).findFirst().orElseThrow();
            assertEquals(m.partition(), c.partition(), "the partition it came from");
            assertEquals(incidentIds.get(i), new String(c.key(), StandardCharsets.UTF_8));
            assertEquals("kept", header(c, "x-original"), "its own headers kept");
        }
        // nothing else written, no call, no group
        Map<String, Map<TopicPartition, Long>> after = endOffsets(before.keySet());
        after.remove(topic);
        before.remove(topic);
        assertEquals(before, after, "only the incident topic was written");
        assertEquals(List.of(), sandbox.calls(), "no Flashduty call");
        Set<String> groups = kafka.admin().listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).collect(Collectors.toSet());
        assertTrue(groups.stream().noneMatch(g -> g.startsWith(settings.get("consumer.group") + "-replay")), groups.toString());
    }

    @Test
    void dryRunCallsNoCreateWritesNothingAndReportsEveryDecision() throws Exception {
        Set<String> topicsBefore = kafka.listTopics();
        Map<String, Map<TopicPartition, Long>> endsBefore = endOffsets(topicsBefore);
        Map<TopicPartition, Long> live = kafka.committedOffsets(settings.get("consumer.group"), topic);
        Path out = dir.resolve("decisions.jsonl");

        Result r = replay("--from", minute(0).toString(), "--dry-run", "--out", out.toString());
        assertEquals(0, r.code, r.all());

        assertEquals(List.of(), sandbox.calls(), "no Flashduty call at all");
        assertEquals(topicsBefore, kafka.listTopics(), "no topic created");
        assertEquals(endsBefore, endOffsets(topicsBefore), "nothing written to any topic");
        assertEquals(live, kafka.committedOffsets(settings.get("consumer.group"), topic), "the live group's offsets are untouched");
        Set<String> groups = kafka.admin().listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).collect(Collectors.toSet());
        assertTrue(groups.stream().noneMatch(g -> g.startsWith(settings.get("consumer.group") + "-replay")), "no consumer group: " + groups);

        String[] decisions = {"would_create", "skipped/severity_filtered", "would_create", "dead_letter/malformed_json", "would_create",
                "already_exists", "already_exists", "skipped/stale", "would_create", "would_create", "already_exists"};
        Map<String, String> byRecord = new LinkedHashMap<>();
        for (int i = 0; i <= 10; i++) {
            byRecord.put(written.get(i).partition() + "/" + written.get(i).offset(), decisions[i]);
        }
        List<String> lines = Files.readAllLines(out);
        assertEquals(11, lines.size(), String.join("\n", lines));
        Map<String, String> seen = new LinkedHashMap<>();
        for (String line : lines) {
            JsonNode j = TestKafka.MAPPER.readTree(line);
            String decision = j.get("decision").asText() + (j.get("reason").isNull() ? "" : "/" + j.get("reason").asText());
            seen.put(j.get("partition").asInt() + "/" + j.get("offset").asLong(), decision);
        }
        assertEquals(byRecord, seen);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith("dead_letter/malformed_json") && l.contains("offset=" + written.get(3).offset())), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.matches("\\s+would_create\\s+5")), r.out);
    }

    /**
     * A transactional producer ends each transaction with a marker that takes an offset and that no
     * consumer receives: a replay to the end must still end, after the last record.
     */
    @Test
    void aTopicEndingInTransactionMarkersStillEnds() {
        List<String> inTransaction = transaction(true, 11, 12);
        // each partition: its last record before, one record of the transaction, then the marker (written
        // by the broker after the commit returns)
        awaitEndOffsets(written.get(10).offset() + 3, written.get(9).offset() + 3);

        Result r = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> replay("--from", minute(0).toString(), "--dry-run"),
                "the replay waited for the transaction markers");
        assertEquals(0, r.code, r.all());
        assertTrue(r.out.contains("replay: 13/13 records (100%)"), r.out);
        for (String eventId : inTransaction) {
            assertTrue(r.out.lines().anyMatch(l -> l.startsWith("would_create") && l.contains("event_id=" + eventId)), r.out);
        }
    }

    /** An event its producer's transaction aborted is never handled (KAFKA_ISOLATION_LEVEL, default read_committed). */
    @Test
    void anAbortedEventIsNeverHandled() {
        List<String> aborted = transaction(false, 11, 12);
        List<String> committed = transaction(true, 13, 14);
        // each partition: one aborted record and its marker, one committed record and its marker
        awaitEndOffsets(written.get(10).offset() + 5, written.get(9).offset() + 5);

        Result r = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> replay("--from", minute(0).toString(), "--dry-run"),
                "the replay waited for the transaction markers");
        assertEquals(0, r.code, r.all());
        for (String eventId : committed) {
            assertTrue(r.out.lines().anyMatch(l -> l.startsWith("would_create") && l.contains("event_id=" + eventId)), r.out);
        }
        for (String eventId : aborted) {
            assertTrue(r.out.lines().noneMatch(l -> l.contains("event_id=" + eventId)), "aborted " + eventId + ": " + r.out);
        }
        assertEquals(13, r.out.lines().filter(l -> l.contains(" partition=") && l.contains(" offset=")).count(), r.out);
    }

    /** One transaction of fresh events, one per given minute, on partition minute % 2; their event ids. */
    private List<String> transaction(boolean commit, int... minutes) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.get("kafka.brokers"));
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "replay-it-" + topic);
        List<String> eventIds = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i : minutes) {
                ObjectNode e = Events.fresh();
                eventIds.add(e.get("event_id").asText());
                producer.send(new ProducerRecord<>(topic, i % PARTITIONS, minute(i).toEpochMilli(),
                        TestKafka.utf8(Events.incidentId(e)), TestKafka.utf8(Events.json(e))));
            }
            producer.flush(); // the records are in the log before the abort too
            if (commit) {
                producer.commitTransaction();
            } else {
                producer.abortTransaction();
            }
        }
        return eventIds;
    }

    /** The broker writes a transaction's markers after commit or abort returns: waits until they are there. */
    private void awaitEndOffsets(long partition0, long partition1) {
        Map<TopicPartition, Long> expected = Map.of(new TopicPartition(topic, 0), partition0, new TopicPartition(topic, 1), partition1);
        await().atMost(Duration.ofSeconds(30)).until(() -> kafka.endOffsets(topic).equals(expected));
    }

    @Test
    void clearErrors() {
        Result badTime = replay("--from", "yesterday");
        assertEquals(2, badTime.code);
        assertEquals("war-room-routes: --from is not an ISO-8601 time with a zone (e.g. 2026-11-23T08:00:00Z or 2026-11-23T09:00:00+01:00): yesterday",
                badTime.err.trim());

        Result backwards = replay("--from", minute(5).toString(), "--to", minute(1).toString());
        assertEquals(2, backwards.code);
        assertTrue(backwards.err.startsWith("war-room-routes: --to "), backwards.err);

        settings.put("incident.topic", "no-such-topic-" + topic);
        Result unknownTopic = replay("--from", minute(0).toString());
        assertEquals(2, unknownTopic.code, unknownTopic.all());
        assertEquals("war-room-routes: topic no-such-topic-" + topic + " does not exist on Kafka at " + settings.get("kafka.brokers"),
                unknownTopic.err.trim());

        settings.put("kafka.brokers", "127.0.0.1:9");
        Result unreachable = replay("--from", minute(0).toString());
        assertEquals(2, unreachable.code, unreachable.all());
        assertTrue(unreachable.err.startsWith("war-room-routes: cannot reach Kafka at 127.0.0.1:9"), unreachable.err);
    }

    private Instant minute(int i) {
        return base.plus(i, ChronoUnit.MINUTES);
    }

    /** event_id to status of every result on the result topic. */
    private Map<String, String> results() {
        Map<String, String> m = new HashMap<>();
        for (JsonNode j : kafka.readAllJson(settings.get("result.topic"))) {
            m.put(j.get("event_id").asText(), j.get("status").asText());
        }
        return m;
    }

    private Map<String, Map<TopicPartition, Long>> endOffsets(Set<String> topics) {
        Map<String, Map<TopicPartition, Long>> m = new HashMap<>();
        topics.forEach(t -> m.put(t, kafka.endOffsets(t)));
        return m;
    }

    private Result replay(String... args) {
        return replay(settings, args);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** event_id to the statuses of its results, in the order written. */
    private Map<String, List<String>> resultsByEvent(Map<String, String> s) {
        Map<String, List<String>> m = new HashMap<>();
        for (JsonNode j : kafka.readAllJson(s.get("result.topic"))) {
            m.computeIfAbsent(j.get("event_id").asText(), k -> new ArrayList<>()).add(j.get("status").asText());
        }
        return m;
    }

    private static Result replay(Map<String, String> settings, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReplayCommand.run(args, settings, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(int code, String out, String err) {
        String all() {
            return out + "\n" + err;
        }
    }
}
