package com.warroom.routes.demo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The README's first command: a local Kafka broker, the Flashduty sandbox and the shipped routes
 * and configuration, fed with sample incidents; prints what landed on each output topic and
 * exits 0 only when every expected output arrived.
 */
public final class Demo {

    private static final int BURST = 60;

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        int exit;
        try {
            exit = run();
        } catch (Exception e) {
            System.out.println("demo failed: " + e);
            exit = 1;
        }
        KafkaBroker.stopShared();
        System.out.printf("%ndemo finished in %.1f s, exit %d%n", (System.nanoTime() - started) / 1e9, exit);
        System.exit(exit);
    }

    static int run() throws Exception {
        say("starting a local Kafka broker (KRaft) ...");
        String brokers = KafkaBroker.shared().bootstrapServers();
        say("starting the Flashduty/Rocket.Chat sandbox (50 calls/s, 1000 calls/min) ...");
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaProducer<byte[], byte[]> producer = KafkaTestClient.producer(brokers)) {
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            for (String topic : List.of("incident", "result", "dead-letter", "ledger")) {
                settings.remove(topic + ".topic"); // the defaults of config/application.properties
            }
            settings.remove("consumer.group");
            String incidents = "incidents";
            String results = "war-room-results";
            String deadLetters = "incidents-dlq";
            String ledger = "war-room-ledger";
            try (TopicCollector topics = new TopicCollector(brokers, List.of(results, deadLetters, ledger))) {
                say("starting war-room-routes with routes/*.yaml and config/application.properties ...");
                try (RunningApp app = RunningApp.start(settings)) {
                    List<String> expected = new ArrayList<>();
                    ObjectNode example = Events.example();
                    example.put("event_time", System.currentTimeMillis());
                    Events.started(example, System.currentTimeMillis());
                    ObjectNode warning = Events.fresh();
                    Events.incident(warning).put("incident_severity", "Warning");
                    Events.incident(warning).put("title", "disk 85% on db-7");
                    ObjectNode lonely = Events.fresh();
                    Events.incident(lonely).putArray("responders");
                    Events.incident(lonely).putArray("responder_ids");
                    say("feeding: the documented example, a Warning incident, the example again (duplicate),"
                            + " a malformed record, an incident without responders, and a burst of " + BURST + " Critical incidents");
                    send(producer, incidents, example);
                    send(producer, incidents, warning);
                    send(producer, incidents, example);
                    producer.send(new ProducerRecord<>(incidents, "broken".getBytes(StandardCharsets.UTF_8),
                            "{\"event_id\": \"x\", \"incident\": ".getBytes(StandardCharsets.UTF_8))).get();
                    send(producer, incidents, lonely);
                    for (int i = 0; i < BURST; i++) {
                        send(producer, incidents, Events.fresh());
                    }
                    int expectedResults = 4 + BURST;
                    boolean complete = await(() -> topics.json(results).size() >= expectedResults
                            && !topics.records(deadLetters).isEmpty(), Duration.ofSeconds(90));

                    System.out.println();
                    System.out.println("== " + results + " (key incident_id) ==");
                    System.out.printf("%-26s %-9s %-15s %-24s %-30s %s%n", "incident_id", "event", "status", "reason", "chat_name", "attempts");
                    List<JsonNode> resultList = topics.json(results);
                    int shown = 0;
                    for (JsonNode r : resultList) {
                        if (shown++ < 8 || shown > resultList.size() - 2) {
                            System.out.printf("%-26s %-9s %-15s %-24s %-30s %s%n", r.path("incident_id").asText(), r.path("event_type").asText(),
                                    r.path("status").asText(), r.path("reason").asText(""), r.path("chat_name").asText(""), r.path("attempts").asText());
                        } else if (shown == 9) {
                            System.out.println("   ... " + (resultList.size() - 10) + " more from the burst ...");
                        }
                    }
                    System.out.println();
                    System.out.println("== " + deadLetters + " ==");
                    for (ConsumerRecord<byte[], byte[]> r : topics.records(deadLetters)) {
                        System.out.printf("key=%s reason=%s source=%s/%s@%s value=%s%n", TestKafka.text(r.key()), orDash(TestKafka.header(r, "dlq-reason")),
                                orDash(TestKafka.header(r, "dlq-source-topic")), orDash(TestKafka.header(r, "dlq-source-partition")), orDash(TestKafka.header(r, "dlq-source-offset")), TestKafka.text(r.value()));
                    }
                    System.out.println();
                    System.out.println("== " + ledger + " (compacted, key incident_id) ==");
                    System.out.println(topics.json(ledger).stream().map(j -> j.path("incident_id").asText()).distinct().count()
                            + " war rooms recorded, e.g. " + topics.json(ledger).stream().findFirst().map(JsonNode::toString).orElse("-"));

                    System.out.println();
                    System.out.println("== Flashduty sandbox ==");
                    System.out.printf("create calls: %d, 429 answers: %d, most calls in any 1 s: %d, in any 60 s: %d%n",
                            sandbox.calls("/incident/war-room/create").size(), sandbox.count429(), sandbox.maxInAnyWindow(1000), sandbox.maxInAnyWindow(60_000));

                    expected.add(check(resultList, Events.incidentId(example), "created"));
                    expected.add(check(resultList, Events.incidentId(example), "already_exists"));
                    expected.add(check(resultList, Events.incidentId(warning), "skipped"));
                    expected.add(check(resultList, Events.incidentId(lonely), "skipped"));
                    long created = resultList.stream().filter(r -> "created".equals(r.path("status").asText())).count();
                    if (created != BURST + 1) {
                        expected.add("expected " + (BURST + 1) + " created results, got " + created);
                    }
                    if (topics.records(deadLetters).isEmpty()) {
                        expected.add("the malformed record never reached " + deadLetters);
                    }
                    if (sandbox.calls("/incident/war-room/create").size() != BURST + 1) {
                        expected.add("expected " + (BURST + 1) + " create calls");
                    }
                    expected.removeIf(s -> s == null);
                    System.out.println();
                    if (!complete || !expected.isEmpty()) {
                        System.out.println("MISSING: " + (expected.isEmpty() ? "not every output arrived in time" : String.join("; ", expected)));
                        return 1;
                    }
                    System.out.println("every expected output arrived");
                    return 0;
                }
            }
        }
    }

    private static String check(List<JsonNode> results, String incidentId, String status) {
        boolean found = results.stream().anyMatch(r -> incidentId.equals(r.path("incident_id").asText()) && status.equals(r.path("status").asText()));
        return found ? null : "no " + status + " result for incident " + incidentId;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, ObjectNode event) throws Exception {
        producer.send(new ProducerRecord<>(topic, Events.incidentId(event).getBytes(StandardCharsets.UTF_8),
                Events.json(event).getBytes(StandardCharsets.UTF_8))).get();
    }

    private static boolean await(java.util.function.BooleanSupplier condition, Duration timeout) {
        try {
            org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(condition::getAsBoolean);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    private static void say(String s) {
        System.out.println(Instant.now().toString().substring(11, 19) + " " + s);
    }

    private static String orDash(String header) {
        return header == null ? "-" : header;
    }
}
