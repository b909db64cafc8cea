package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * routes/70-publish-records.yaml through camel-kafka's own producer (its Kafka client a
 * {@link MockProducer}): the prepared records go to outTopic one by one, keyed as prepared, a null
 * value a tombstone; nothing the caller's message carries reaches Kafka (no record header, no
 * override of topic, partition or key); a record Kafka refuses stops the rest and fails the caller,
 * which then judges the failure (10-incidents.yaml, 60-template-lookups.yaml).
 */
class PublishRecordsRouteTest extends RouteTestSupport {

    static final String TOPIC = "im-integrations";
    /** Keys and values as the producer gets them (String or bytes), not serialized. */
    final MockProducer<Object, Object> kafka = new MockProducer<>(true, null, KafkaKeyRouteTest.AS_IS, KafkaKeyRouteTest.AS_IS) {
        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<Object, Object> record, Callback callback) {
            if (sends.incrementAndGet() == refuse) {
                throw new RecordTooLargeException("the record is larger than the topic accepts");
            }
            return super.send(record, callback);
        }
    };
    final AtomicInteger sends = new AtomicInteger();
    /** the send Kafka refuses (1 = the first), 0: none */
    volatile int refuse;

    @Override
    protected KafkaClientFactory kafkaClients() {
        return new KafkaClientFactory() {
            @Override
            public Producer getProducer(Properties props) {
                return kafka;
            }

            @Override
            public Consumer getConsumer(Properties props) {
                throw new UnsupportedOperationException("no Kafka consumer in route tests");
            }

            @Override
            public String getBrokers(KafkaConfiguration configuration) {
                return "route-test:9092";
            }
        };
    }

    @BeforeEach
    void nothingWrittenNoneRefused() {
        kafka.clear();
        sends.set(0);
        refuse = 0;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theCallersHeadersNeverReachKafka() {
        Exchange ex = prepared(record("flashduty:101", "{\"id\":101}"), record("flashduty:102", null));
        Map<String, Object> h = ex.getMessage().getHeaders();
        h.put(KafkaConstants.OVERRIDE_TOPIC, "elsewhere");
        h.put(KafkaConstants.PARTITION_KEY, 7);
        h.put(KafkaConstants.KEY, "the-callers-key");
        h.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        h.put("X-Auth-Token", "secret-from-a-response");

        Exchange done = template().send("direct:publish-records", ex);

        assertNull(done.getException());
        List<ProducerRecord<Object, Object>> written = kafka.history();
        assertEquals(List.of("flashduty:101", "flashduty:102"), written.stream().map(r -> String.valueOf(r.key())).toList());
        for (ProducerRecord<Object, Object> r : written) {
            assertEquals(TOPIC, r.topic(), "outTopic, whatever the headers say");
            assertNull(r.partition(), "the partition is the key's");
            assertEquals(0, r.headers().toArray().length, "no record header: " + r.headers());
        }
        assertEquals("{\"id\":101}", value(written.get(0)));
        assertNull(written.get(1).value(), "a tombstone keeps its key");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRecordKafkaRefusesStopsTheRestAndFailsTheCaller() {
        refuse = 2;

        Exchange done = template().send("direct:publish-records", prepared(record("flashduty:201", "{}"), record("flashduty:202", "{}"), record("flashduty:203", "{}")));

        assertNotNull(done.getException(), "the caller judges the failure");
        assertTrue(causedBy(done.getException(), RecordTooLargeException.class), String.valueOf(done.getException()));
        assertEquals(List.of("flashduty:201"), kafka.history().stream().map(r -> String.valueOf(r.key())).toList(),
                "nothing after the refused record");
        assertEquals(2, sends.get());
    }

    /** An exchange as a bean leaves it: outTopic, and outRecords of {key, value}. */
    Exchange prepared(Map<String, Object>... records) {
        Exchange ex = new DefaultExchange(context);
        ex.setProperty("outRecords", List.of(records));
        ex.setProperty("outTopic", TOPIC);
        return ex;
    }

    /** A prepared record; a null value: a tombstone. */
    static Map<String, Object> record(String key, String value) {
        Map<String, Object> r = new HashMap<>();
        r.put("key", key);
        r.put("value", value);
        return r;
    }

    static String value(ProducerRecord<Object, Object> r) {
        return r.value() instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(r.value());
    }

    static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
