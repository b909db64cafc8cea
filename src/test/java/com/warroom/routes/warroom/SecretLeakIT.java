package com.warroom.routes.warroom;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.Records;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs created, failed, retried and dead-lettered events with the Camel and HTTP client loggers at
 * DEBUG, then looks for every secret value of the sandbox (app_key, integration keys, Rocket.Chat
 * credentials) in every captured log line and in every record of every topic on the broker.
 */
class SecretLeakIT {

    @Test
    void noSecretInAnyLogLineOrRecord() throws Exception {
        String brokers = KafkaBroker.shared().bootstrapServers();
        List<String> lines;
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaProducer<byte[], byte[]> producer = Records.producer(brokers)) {
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            String results = settings.get("result.topic");
            ObjectNode ok = Events.fresh();
            ObjectNode notFound = Events.fresh();
            sandbox.failIncident(Events.incidentId(notFound), 400, "ResourceNotFound");
            ObjectNode retried = Events.fresh();
            try (LogCapture logs = LogCapture.capture("com.warroom", "war-room", "org.apache.camel", "org.apache.hc.client5.http");
                 TopicCollector topics = new TopicCollector(brokers, List.of(results))) {
                try (RunningApp app = RunningApp.start(settings)) {
                    for (ObjectNode e : List.of(ok, notFound)) {
                        send(producer, settings, Events.json(e));
                    }
                    send(producer, settings, "{\"event_id\": \"" + sandbox.config().appKey() + "\"");
                    topics.awaitCount(results, r -> true, 2, Duration.ofSeconds(30));
                    sandbox.failNext(1, 503, "ServiceUnavailable");
                    send(producer, settings, Events.json(retried));
                    topics.await(results, r -> Events.incidentId(retried).equals(r.path("incident_id").asText()), Duration.ofSeconds(30));
                }
                lines = logs.lines();
            }
            assertTrue(lines.size() > 20, "the capture saw the run (" + lines.size() + " lines)");
            assertTrue(lines.stream().anyMatch(l -> l.contains("status=created")), "the capture saw the result log line");
            // the HTTP client's DEBUG log prints the request line with the query: the shipped pattern masks it
            assertTrue(lines.stream().anyMatch(l -> l.contains("app_key=******")), "the capture saw a masked request line");

            List<String> secrets = new ArrayList<>(sandbox.secretValues());
            assertTrue(secrets.contains(sandbox.config().appKey()));
            for (String line : lines) {
                for (String secret : secrets) {
                    assertFalse(line.contains(secret), "a log line shows a secret: " + line.replace(secret, "<SECRET>"));
                }
            }
            int scanned = 0;
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
                Set<String> all = admin.listTopics().names().get();
                try (TopicCollector everything = new TopicCollector(brokers, all)) {
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                            .until(() -> everything.records(results).size() >= 3);
                    for (ConsumerRecord<byte[], byte[]> r : everything.records()) {
                        scanned++;
                        for (String secret : secrets) {
                            String where = r.topic() + "@" + r.offset();
                            // the deliberately poisoned record carries the key in its own value; only its copy may
                            boolean poisonCopy = r.topic().equals(settings.get("dead-letter.topic")) || r.topic().equals(settings.get("incident.topic"));
                            if (!poisonCopy) {
                                assertFalse(contains(r.value(), secret), "record value " + where);
                            }
                            assertFalse(contains(r.key(), secret), "record key " + where);
                            for (Header h : r.headers()) {
                                assertFalse(h.key().contains(secret) || contains(h.value(), secret), "record header " + where);
                            }
                        }
                    }
                }
            }
            assertTrue(scanned >= 5, "scanned " + scanned + " records");
            assertEquals(0, sandbox.calls().stream().filter(c -> c.path().contains("app_key")).count());
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, Map<String, String> settings, String value) throws Exception {
        producer.send(new ProducerRecord<>(settings.get("incident.topic"), null, value.getBytes(StandardCharsets.UTF_8))).get();
    }

    private static boolean contains(byte[] data, String secret) {
        return data != null && new String(data, StandardCharsets.ISO_8859_1).contains(secret);
    }
}
