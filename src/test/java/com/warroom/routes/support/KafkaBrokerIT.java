package com.warroom.routes.support;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Smoke test of the in-JVM broker and the test client. */
class KafkaBrokerIT {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerIT.class);

    private static String topicName(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    @Test
    void recordsRoundTripByteForByteWithDuplicateHeaderKeys() {
        KafkaBroker broker = KafkaBroker.shared();
        LOG.info("broker start took {} ms", broker.startupTime().toMillis());
        String topic = topicName("smoke");
        broker.createTopic(topic, 2);
        try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers())) {
            assertTrue(client.listTopics().contains(topic));
            byte[][] keys = {"k1".getBytes(StandardCharsets.UTF_8), null, new byte[] {0, (byte) 0xff, 7}};
            byte[][] values = {"{\"n\":1}".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xc3, 0x28, 0, 1}, null};
            for (int i = 0; i < 3; i++) {
                List<Header> headers = List.of(
                        new RecordHeader("dup", ("first-" + i).getBytes(StandardCharsets.UTF_8)),
                        new RecordHeader("other", new byte[] {(byte) i}),
                        new RecordHeader("dup", ("second-" + i).getBytes(StandardCharsets.UTF_8)),
                        new RecordHeader("empty", (byte[]) null));
                client.send(topic, keys[i], values[i], headers);
            }
            assertEquals(3, client.endOffset(topic));

            List<ConsumerRecord<byte[], byte[]>> records = client.readAll(topic);
            assertEquals(3, records.size());
            // records may sit in either partition: match them by the header index
            for (ConsumerRecord<byte[], byte[]> r : records) {
                int i = r.headers().lastHeader("other").value()[0];
                assertArrayEquals(keys[i], r.key());
                assertArrayEquals(values[i], r.value());
                assertEquals(List.of("first-" + i, "second-" + i), TestKafka.headers(r, "dup"));
                assertEquals("second-" + i, TestKafka.header(r, "dup"));
                Header[] all = r.headers().toArray();
                assertEquals(List.of("dup", "other", "dup", "empty"), Arrays.stream(all).map(Header::key).toList());
                assertNull(r.headers().lastHeader("empty").value());
            }
            ConsumerRecord<byte[], byte[]> json = records.stream().filter(r -> r.headers().lastHeader("other").value()[0] == 0).findFirst().orElseThrow();
            assertEquals(1, TestKafka.json(json).path("n").asInt());

            assertEquals(3, client.awaitRecords(topic, 3, Duration.ofSeconds(10)).size());
        }
    }

    @Test
    void committedOffsetsOfAPlainConsumerAreVisibleThroughAdmin() {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = topicName("commit");
        String group = "group-" + UUID.randomUUID();
        try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers())) {
            for (int i = 0; i < 5; i++) {
                client.send(topic, "k" + i, "{\"i\":" + i + "}"); // auto-created, 1 partition
            }
            try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(broker.bootstrapServers(), group)) {
                consumer.subscribe(List.of(topic));
                List<ConsumerRecord<byte[], byte[]>> seen = new java.util.ArrayList<>();
                Awaitility.await().atMost(Duration.ofSeconds(20)).pollInSameThread().pollInterval(Duration.ofMillis(10)).until(() -> {
                    consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
                    return seen.size() >= 3;
                });
                ConsumerRecord<byte[], byte[]> third = seen.get(2);
                consumer.commitSync(Map.of(new TopicPartition(topic, third.partition()), new OffsetAndMetadata(third.offset() + 1)));
            }
            assertEquals(Map.of(new TopicPartition(topic, 0), 3L), client.committedOffsets(group, topic));
            assertEquals(5, client.endOffset(topic));
            assertEquals(2, client.lag(group, topic));
            assertEquals(Map.of(), client.committedOffsets("no-such-group-" + UUID.randomUUID(), topic));
        }
    }

    @Test
    void aRecordOfOneAndAHalfMegabytesRoundTrips() {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = topicName("large");
        byte[] value = new byte[1_500_000];
        new Random(42).nextBytes(value);
        try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers())) {
            RecordMetadata md = client.send(topic, "big".getBytes(StandardCharsets.UTF_8), value, List.of());
            assertEquals(0, md.offset());
            List<ConsumerRecord<byte[], byte[]>> records = client.readAll(topic);
            assertEquals(1, records.size());
            assertArrayEquals(value, records.get(0).value());
        }
    }

    @Test
    void readingAMissingTopicNeitherFailsNorCreatesIt() {
        String topic = topicName("missing");
        try (KafkaTestClient client = KafkaTestClient.forSharedBroker()) {
            assertEquals(List.of(), client.readAll(topic));
            assertFalse(client.listTopics().contains(topic));
        }
    }

    @Test
    void brokerStopsAndStartsAgainOnTheSameAddressKeepingDataAndOffsets() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String address = broker.bootstrapServers();
        String topic = topicName("restart");
        String group = "group-" + UUID.randomUUID();
        broker.createTopic(topic, 1);
        try (KafkaTestClient client = new KafkaTestClient(address);
             KafkaConsumer<byte[], byte[]> consumer = groupConsumer(address, group)) {
            for (int i = 0; i < 3; i++) {
                client.send(topic, "k" + i, "{\"i\":" + i + "}");
            }
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(2)));

            CompletableFuture<RecordMetadata> sentWhileDown;
            long t0 = System.nanoTime();
            try {
                broker.stop();
                assertFalse(broker.isRunning());
                long stopped = System.nanoTime();
                // a send while the broker is down is held by the producer and delivered after the restart
                sentWhileDown = CompletableFuture.supplyAsync(() -> client.send(topic, "k3", "{\"i\":3}"));
                broker.start();
                LOG.info("broker stop took {} ms, start again {} ms", TimeUnit.NANOSECONDS.toMillis(stopped - t0),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped));
            } finally {
                broker.start(); // no-op when running; keeps the shared broker usable for later tests
            }
            assertTrue(broker.isRunning());
            assertEquals(address, broker.bootstrapServers());
            assertEquals(3, sentWhileDown.get(60, TimeUnit.SECONDS).offset());

            assertEquals(4, client.readAll(topic).size());
            assertEquals(Map.of(tp, 2L), client.committedOffsets(group, topic));
            // the same consumer (connected before the stop) resumes from its committed offset
            consumer.seek(tp, 2);
            List<ConsumerRecord<byte[], byte[]>> rest = new java.util.ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ofMillis(10)).until(() -> {
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(100));
                polled.forEach(rest::add);
                return rest.size() >= 2;
            });
            assertEquals(List.of("k2", "k3"), rest.stream().map(TestKafka::key).toList());
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(4)));
            assertEquals(0, client.lag(group, topic));
        }
    }

    private static KafkaConsumer<byte[], byte[]> groupConsumer(String brokers, String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
