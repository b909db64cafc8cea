package com.warroom.routes.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.support.PollingThreads;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The pipeline benchmark's yardstick: the replay case written directly against kafka-clients, doing
 * what the shipped routes do for an incident already in the ledger, one record at a time: poll
 * (max.poll.records as the routes), parse the event with Jackson, look the incident up in an
 * in-memory ledger read from the ledger topic, build the already_exists result, produce it
 * (acks=all, idempotent, linger 0, waiting for the acknowledgement, as the routes' synchronous producer) and
 * commit that record's offset with commitSync (as the routes' manual commit does, per record).
 * No validation beyond the fields used, no logging, no Camel.
 */
final class PlainKafkaLoop implements AutoCloseable {

    static final String THREAD = "plain-kafka-loop";

    private final ObjectMapper mapper = TestKafka.MAPPER;
    private final Map<String, byte[]> ledger = new HashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, String> producer;
    private final String resultTopic;
    private final Thread thread;
    private volatile boolean closed;

    PlainKafkaLoop(String brokers, String ledgerTopic, String incidentTopic, String resultTopic, String group, int maxPollRecords) {
        this.resultTopic = resultTopic;
        readLedger(brokers, ledgerTopic);
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // as the routes' producer (camel.component.kafka.linger-ms = 0): each send waits for its
        // acknowledgement, so Kafka 4's 5 ms default linger would only add 5 ms to every event
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        consumer.subscribe(List.of(incidentTopic));
        thread = new Thread(this::run, THREAD);
        thread.setDaemon(true);
        thread.start();
    }

    private void readLedger(String brokers, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts));
            while (!end.isEmpty()) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ledger.put(r.key(), r.value());
                }
                end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
            }
        }
    }

    private void run() {
        try {
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    handle(r);
                    consumer.commitSync(Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Exception e) {
            System.out.println("plain loop stopped: " + e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r) throws Exception {
        JsonNode event = mapper.readTree(r.value());
        JsonNode incident = event.path("incident");
        String incidentId = incident.path("incident_id").asText();
        byte[] stored = ledger.get(incidentId);
        if (stored == null) {
            throw new IllegalStateException("the replay case expects every incident in the ledger");
        }
        JsonNode chat = mapper.readTree(stored);
        ObjectNode result = mapper.createObjectNode();
        result.put("incident_id", incidentId);
        result.put("event_id", event.path("event_id").asText());
        result.put("event_type", event.path("event_type").asText());
        result.put("status", "already_exists");
        result.putNull("reason");
        result.set("integration_id", chat.get("integration_id"));
        result.set("plugin_type", chat.get("plugin_type"));
        result.set("chat_id", chat.get("chat_id"));
        result.set("chat_name", chat.get("chat_name"));
        result.set("share_link", chat.get("share_link"));
        result.set("request_id", chat.get("request_id"));
        result.put("attempts", 0);
        result.put("processed_at", Instant.now().toString());
        producer.send(new ProducerRecord<>(resultTopic, incidentId, mapper.writeValueAsString(result))).get();
    }

    int ledgerSize() {
        return ledger.size();
    }

    @Override
    public void close() {
        closed = true;
        PollingThreads.stop(consumer, thread);
        producer.close(Duration.ofSeconds(2));
    }
}
