package com.warroom.routes.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RandomInputs;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault scenarios 6, 7, 12, 23: hostile records: a thousand poison records among a thousand good ones, hostile record headers,
 * random inputs, line breaks and a forged log line in a field name and an error code.
 * The scenarios, their invariants and the reliability table: {@link FaultScenarios}.
 */
class HostileRecordScenariosIT extends FaultScenarios {

    @Test
    @Order(6)
    void thousandPoisonRecordsInterleavedWithThousandGoodOnes() throws Exception {
        try (FaultRun run = new FaultRun("6. 1,000 poison records among 1,000 good ones")) {
            for (int i = 0; i < 1000; i++) {
                ObjectNode e = Events.fresh();
                if (i % 100 == 7) {
                    e.put("event_id", INJECTIONS.get(i / 100 % INJECTIONS.size()) + "-" + i); // free text: still a good event
                }
                run.sendGood(e, List.of());
                Poison p = poison(i);
                run.sendPoison(p.key(), p.value(), p.headers());
            }
            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT.multipliedBy(2));
            }
            // records after the poison kept flowing, in their order
            List<String> order = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (JsonNode r : run.topics.json(run.topic("result"))) {
                if (seen.add(r.path("event_id").asText())) {
                    order.add(r.path("event_id").asText());
                }
            }
            assertEquals(run.good.stream().map(e -> e.path("event_id").asText()).toList(), order, "results in the order of the events");
            assertInvariants(run);
        }
    }

    @Test
    @Order(7)
    void hostileRecordHeadersOnIncidentsAndTemplateRequests() throws Exception {
        try (FaultRun run = new FaultRun("7. hostile record headers (mixed case)")) {
            FlashdutySandbox trap = FlashdutySandbox.start(new FlashdutySandbox.Config());
            run.traps.add(trap);
            String evilTopic = "evil-" + Events.randomHex(6);
            List<Header> hostile = new ArrayList<>();
            for (String name : HOSTILE_NAMES) {
                String value = switch (name.toLowerCase(Locale.ROOT)) {
                    case "camelhttpuri" -> trap.baseUrl() + "/steal";
                    case "camelhttpquery" -> "app_key=stolen&x=1";
                    case "camelhttpmethod" -> "DELETE";
                    case "camelhttppath" -> "/steal";
                    case "authorization" -> "Bearer stolen";
                    case "kafka.key", "camelkafkakey" -> "evil-key";
                    default -> evilTopic;
                };
                for (String variant : List.of(name, name.toLowerCase(Locale.ROOT), name.toUpperCase(Locale.ROOT), mixedCase(name))) {
                    hostile.add(new RecordHeader(variant, TestKafka.utf8(value)));
                }
            }
            for (int i = 0; i < 100; i++) {
                run.sendGood(Events.fresh(), hostile);
            }
            askTemplates(run, 30, hostile);
            try (RunningApp app = run.start()) {
                run.awaitAllHandled(WAIT);
                checkTemplates(run, 30);
            }
            assertFalse(run.kafka.listTopics().contains(evilTopic));
            assertInvariants(run);
        }
    }

    /**
     * Generative: random incident records and template requests (valid, valid with one field mutated,
     * random JSON, random bytes, truncated JSON, now and then one close to the 5 MiB limit), seeded
     * (-Dfault.seed=N repeats a run). Each input ends as exactly one result (or template answer) or
     * exactly one dead-letter record; no exception escapes a route (that would show as a retry or a
     * stalled partition) and no record is tried a second time.
     */
    @Test
    @Order(12)
    void randomInputsEachEndAsExactlyOneResultOrDeadLetter() throws Exception {
        long seed = Long.getLong("fault.seed", System.nanoTime());
        Random random = new Random(seed);
        int incidents = 400;
        int requests = 80;
        try (FaultRun run = new FaultRun("12. " + incidents + " random incident records, " + requests + " random template requests",
                KafkaBroker.shared(), LARGE_TOPIC_BYTES)) {
            run.note = " (seed " + seed + ")";
            record Input(FaultRun.Sent sent, String id) {
            }
            List<Input> incidentInputs = new ArrayList<>();
            for (int i = 0; i < incidents; i++) {
                byte[] value = RandomInputs.incident(random, i, LARGE_TOPIC_BYTES - 1_024);
                RecordMetadata m = run.kafka.send(run.topic("incident"), TestKafka.utf8("k" + i), value, List.of());
                incidentInputs.add(new Input(new FaultRun.Sent(m.topic(), m.partition(), m.offset(), TestKafka.utf8("k" + i), value, List.of()),
                        RandomInputs.idOf(value, "event_id")));
            }
            List<Input> requestInputs = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                byte[] value = RandomInputs.templateRequest(random, i, FlashdutySandbox.PRESET_TEMPLATE);
                RecordMetadata m = run.kafka.send(run.topic("template-request"), TestKafka.utf8("q" + i), value, List.of());
                requestInputs.add(new Input(new FaultRun.Sent(m.topic(), m.partition(), m.offset(), TestKafka.utf8("q" + i), value, List.of()),
                        RandomInputs.idOf(value, "lookup_id")));
            }
            Map<String, List<JsonNode>> results;
            Map<String, Integer> answers;
            Map<String, Integer> deadLetters;
            try (RunningApp app = run.start()) {
                Awaitility.await(run.name + ": every input committed").atMost(WAIT).pollInterval(Duration.ofMillis(250))
                        .until(() -> run.kafka.lag(run.settings.get("consumer.group"), run.topic("incident")) == 0
                                && run.kafka.lag(run.settings.get("consumer.group") + "-templates", run.topic("template-request")) == 0);
                results = run.resultsByEvent();
                answers = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> a : run.kafka.readAll(run.topic("template"))) {
                    if (a.value() == null) {
                        continue; // the tombstone after a not_found answer
                    }
                    answers.merge(TestKafka.json(a).path("lookup_id").asText(), 1, Integer::sum);
                }
                deadLetters = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> d : run.topics.records(run.topic("dead-letter"))) {
                    deadLetters.merge(TestKafka.header(d, "dlq-source-topic") + "@" + TestKafka.header(d, "dlq-source-offset"),
                            1, Integer::sum);
                }
            }
            List<String> problems = new ArrayList<>();
            for (Input in : incidentInputs) {
                int outcomes = deadLetters.getOrDefault(in.sent().topic() + "@" + in.sent().offset(), 0)
                        + (in.id() == null ? 0 : results.getOrDefault(in.id(), List.of()).size());
                if (outcomes != 1) {
                    problems.add("incident input at offset " + in.sent().offset() + " ended " + outcomes + " times: "
                            + new String(in.sent().value(), 0, Math.min(300, in.sent().value().length), StandardCharsets.UTF_8));
                } else if (deadLetters.containsKey(in.sent().topic() + "@" + in.sent().offset())) {
                    run.poison.add(in.sent());
                } else {
                    ObjectNode event = (ObjectNode) TestKafka.json(in.sent().value());
                    run.good.add(event);
                    if ("created".equals(results.get(in.id()).get(0).path("status").asText())) {
                        run.shouldOpen.add(Events.incidentId(event).toLowerCase(Locale.ROOT));
                    }
                }
            }
            for (Input in : requestInputs) {
                int outcomes = deadLetters.getOrDefault(in.sent().topic() + "@" + in.sent().offset(), 0)
                        + (in.id() == null ? 0 : answers.getOrDefault(in.id(), 0));
                if (outcomes != 1) {
                    problems.add("template request at offset " + in.sent().offset() + " ended " + outcomes + " times: "
                            + new String(in.sent().value(), 0, Math.min(300, in.sent().value().length), StandardCharsets.UTF_8));
                } else if (deadLetters.containsKey(in.sent().topic() + "@" + in.sent().offset())) {
                    run.poison.add(in.sent());
                }
            }
            System.out.printf("random inputs (seed %d): %d results, %d template answers, %d dead letters%n", seed,
                    results.values().stream().mapToInt(List::size).sum(), answers.values().stream().mapToInt(Integer::intValue).sum(),
                    deadLetters.size());
            assertTrue(problems.isEmpty(), "seed " + seed + ": " + String.join("\n", problems));
            assertTrue(run.good.size() > incidents / 5 && run.poison.size() > incidents / 5, "both outcomes happened: " + run.good.size()
                    + " results, " + run.poison.size() + " dead letters");
            assertEquals(0, run.retries(), "seed " + seed + ": no record was tried a second time");
            assertInvariants(run);
        }
    }

    /**
     * Line breaks where a hostile party chooses the text: a template request whose filter name holds CR/LF
     * and a forged log line (set aside as unknown_field), and 3 creates and 2 template lookups answered
     * with an {@code error.code} of "InternalError", CR/LF, the forged line and 200 more characters. No
     * line of the log starts with the forged text (before issue 22 the console pattern printed both as
     * they came); the results' reason and the answers' error_code are escaped and clipped to 128
     * characters; the failed creates are replayed and get their rooms.
     */
    @Test
    @Order(23)
    void lineBreaksInAFieldNameAndAnErrorCode() throws Exception {
        String code = "InternalError\r\n" + FORGED + " " + "x".repeat(200);
        try (FaultRun run = new FaultRun("23. CR/LF and a forged line in a template request's field name and in error.code")) {
            run.sendGood(40);
            run.sendPoison("template-request", TestKafka.utf8("forged-field"),
                    TestKafka.utf8("{\"list\": {\"query\\r\\n" + FORGED + "\": \"x\"}, \"lookup_id\": \"F1\"}"), List.of());
            List<String> broken = new ArrayList<>();
            try (RunningApp app = run.start()) {
                run.awaitResults(5, WAIT);
                run.sandbox.forgedErrorCodeNext(3, code);
                run.awaitAllHandled(WAIT);
                List<JsonNode> failed = run.latestResults().stream().filter(r -> "failed".equals(r.path("status").asText())).toList();
                assertEquals(3, failed.size(), "three creates answered with the forged code: " + failed);
                List<String> reasons = failed.stream().map(r -> r.path("reason").asText()).filter(r -> !boundedCode(r)).toList();
                if (!reasons.isEmpty()) {
                    broken.add(reasons.size() + " of 3 results' reason not escaped and clipped: " + printable(reasons.get(0)));
                }
                replayFailed(run);
                run.sandbox.forgedErrorCodeNext(2, code);
                askTemplates(run, 0, 2, List.of());
                List<String> codes = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> a : run.kafka.awaitRecords(run.topic("template"), 2, WAIT)) {
                    JsonNode j = TestKafka.json(a);
                    if (!"failed".equals(j.path("lookup_status").asText()) || !boundedCode(j.path("error_code").asText())) {
                        codes.add(j.path("lookup_status").asText() + " " + printable(j.path("error_code").asText()));
                    }
                }
                if (!codes.isEmpty()) {
                    broken.add(codes.size() + " of 2 template answers' error_code not escaped and clipped: " + codes.get(0));
                }
            }
            List<String> forged = run.physicalLogLines().stream().filter(l -> l.startsWith(FORGED)).toList();
            if (!forged.isEmpty()) {
                broken.add(forged.size() + " log lines start with the forged text");
            }
            // the dead-letter copy names the field in its dlq-detail header: escaped and clipped, whatever logs it next
            for (ConsumerRecord<byte[], byte[]> r : run.kafka.readAll(run.topic("dead-letter"))) {
                org.apache.kafka.common.header.Header h = r.headers().lastHeader(com.warroom.routes.kafka.DeadLetterPublisher.DETAIL);
                String detail = h == null ? "" : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
                if (detail.chars().anyMatch(Character::isISOControl) || detail.length() > 200) {
                    broken.add("a dead-letter copy's dlq-detail not escaped and clipped (" + detail.length() + " characters)");
                }
            }
            assertTrue(run.logLines().stream().anyMatch(l -> l.contains("dead-lettered") && l.contains("unknown_field")),
                    "the request with the forged field name is set aside as unknown_field");
            assertTrue(broken.isEmpty(), String.join("; ", broken));
            run.note = " (3 creates, 2 lookups, 1 request)";
            assertInvariants(run);
        }
    }
}
