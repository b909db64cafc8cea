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
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code replay} against the real broker and the sandbox, through the shipped routes and config.
 * Eleven incident records one minute apart (explicit record timestamps) on two partitions, two of
 * their incidents already in the ledger, one malformed, one Warning, one stale event, and a later
 * event of an incident seen earlier.
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
                    TestKafka.utf8(Events.incidentId(e)), TestKafka.utf8(json))));
        }
        // incidents 5 and 6 already have a war room
        for (int i : new int[] {5, 6}) {
            kafka.send(settings.get("ledger.topic"), incidentIds.get(i),
                    "{\"incident_id\":\"" + incidentIds.get(i) + "\",\"chat_id\":\"oc_before\",\"chat_name\":\"earlier\"}");
        }
        // the live group has read part of the topic
        kafka.admin().alterConsumerGroupOffsets(settings.get("consumer.group"), Map.of(
                new TopicPartition(topic, 0), new OffsetAndMetadata(2), new TopicPartition(topic, 1), new OffsetAndMetadata(1))).all().get();
    }

    @AfterEach
    void close() {
        kafka.close();
        sandbox.close();
    }

    @Test
    void replaysOnlyTheRangeCreatesOnlyWhatIsMissingAndLeavesTheLiveGroupAlone() throws Exception {
        Map<TopicPartition, Long> live = kafka.committedOffsets(settings.get("consumer.group"), topic);
        String group = settings.get("consumer.group") + "-replay-test";

        // minutes 4..7: 4 is new, 5 and 6 are in the ledger, 7 is two hours old but --max-age 3h lets it through
        Result r = replay("--from", minute(4).toString(), "--to", minute(8).toString(), "--max-age", "3h", "--group", group);
        assertEquals(0, r.code, r.all());
        assertTrue(r.out.contains("replay: 4/4 records (100%)"), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.matches("\\s+created\\s+2")), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.matches("\\s+already_exists\\s+2")), r.out);

        Map<String, String> results = results();
        assertEquals(Map.of(eventIds.get(4), "created", eventIds.get(5), "already_exists", eventIds.get(6), "already_exists",
                eventIds.get(7), "created"), results);
        for (int i = 0; i <= 9; i++) {
            assertEquals(i == 4 || i == 7 ? 1 : 0, sandbox.createCount(incidentIds.get(i)), "creates for record " + i);
        }
        assertEquals(live, kafka.committedOffsets(settings.get("consumer.group"), topic), "the live group's offsets are untouched");
        // the replay group stopped exactly at --to: the records of minutes 8 and 9 are not committed
        assertEquals(Map.of(new TopicPartition(topic, 0), written.get(8).offset(), new TopicPartition(topic, 1), written.get(9).offset()),
                kafka.committedOffsets(group, topic));

        // it shared the account budget with the live replicas: their budget group, not one of its own
        Set<String> groups = kafka.admin().listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).collect(Collectors.toSet());
        assertTrue(groups.contains(settings.get("consumer.group") + "-budget"), groups.toString());
        assertTrue(!groups.contains(group + "-budget"), groups.toString());

        // the same range again, under a fresh default group: the ledger answers, nothing is created twice
        Result again = replay("--from", minute(4).toString(), "--to", minute(8).toString(), "--max-age", "3h");
        assertEquals(0, again.code, again.all());
        assertTrue(again.out.lines().anyMatch(l -> l.matches("\\s+already_exists\\s+4")), again.out);
        assertEquals(1, sandbox.createCount(incidentIds.get(4)));
        assertEquals(1, sandbox.createCount(incidentIds.get(7)));
    }

    @Test
    void dryRunCallsNoCreateWritesNothingAndReportsEveryDecision() throws Exception {
        Set<String> topicsBefore = kafka.listTopics();
        Map<String, Map<TopicPartition, Long>> endsBefore = endOffsets(topicsBefore);
        Map<TopicPartition, Long> live = kafka.committedOffsets(settings.get("consumer.group"), topic);
        Path out = dir.resolve("decisions.jsonl");

        Result r = replay("--from", minute(0).toString(), "--dry-run", "--out", out.toString());
        assertEquals(0, r.code, r.all());

        assertEquals(List.of(), sandbox.calls("/incident/war-room/create"), "no create call");
        assertEquals(topicsBefore, kafka.listTopics(), "no topic created");
        assertEquals(endsBefore, endOffsets(topicsBefore), "nothing written to any topic");
        assertEquals(live, kafka.committedOffsets(settings.get("consumer.group"), topic), "the live group's offsets are untouched");
        Set<String> groups = kafka.admin().listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).collect(Collectors.toSet());
        assertTrue(groups.stream().noneMatch(g -> g.startsWith(settings.get("consumer.group") + "-replay-dry-run-")), "throwaway group removed: " + groups);

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
