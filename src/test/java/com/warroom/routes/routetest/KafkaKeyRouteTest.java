package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.INFO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The record key as camel-kafka's own producer writes it, for every kind of record the routes write:
 * results and ledger entries (30-results.yaml, key set by WarRoomResults and WarRoomLedger), template
 * answers and the IM catalog's entries and tombstones (70-publish-records.yaml, key set in YAML). The Kafka writes are not
 * replaced by mocks here: the shipped routes run into camel-kafka's producer, whose Kafka client is
 * Kafka's {@link MockProducer}. So if the header the routes set stops being the one camel-kafka reads
 * (its name moved from {@code kafka.KEY} to {@code CamelKafkaKey} in 4.18.3), the records lose their
 * key and these tests fail; a compacted topic would refuse them.
 */
class KafkaKeyRouteTest extends RouteTestSupport {

    static final String TEMPLATE_ID = "6605a1b2c3d4e5f6a7b8c9d0";

    /** Keys and values as the producer gets them (String or bytes), not serialized. */
    static final Serializer<Object> AS_IS = (topic, data) -> data == null ? null
            : data instanceof byte[] b ? b : data.toString().getBytes(StandardCharsets.UTF_8);

    final MockProducer<Object, Object> kafka = new MockProducer<>(true, null, AS_IS, AS_IS);

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
    void noRecordsYet() {
        kafka.clear();
    }

    @Test
    void theKeyHeaderIsCamel422s() {
        assertEquals("CamelKafkaKey", KafkaConstants.KEY,
                "camel-kafka renamed its key header again: check every place the routes and beans name it (70-publish-records.yaml "
                        + "uses the constant) and the README's Security section");
    }

    @Test
    void aResultAndItsLedgerEntryAreKeyedByTheIncident() {
        loadCatalog();
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);

        Exchange done = send("direct:incidents", consumed(INCIDENT_TOPIC, incidentId, Events.json(event).getBytes(StandardCharsets.UTF_8)));

        assertNull(done.getException());
        List<ProducerRecord<Object, Object>> ledger = written("war-room-ledger");
        List<ProducerRecord<Object, Object>> results = written("war-room-results");
        assertEquals(1, ledger.size(), "one ledger entry: " + kafka.history());
        assertEquals(1, results.size(), "one result: " + kafka.history());
        assertEquals(incidentId, key(ledger.get(0)));
        assertEquals(incidentId, key(results.get(0)));
        assertTrue(value(results.get(0)).contains("\"status\":\"created\""), value(results.get(0)));
        assertFalse(headerNames(results.get(0)).contains(KafkaConstants.KEY), "the key header is the key, not a record header");
    }

    @Test
    void aTemplateAnswerIsKeyedByItsTemplateId() {
        flashduty.script(INFO, Answer.ok(FlashdutyStub.template(TEMPLATE_ID)));

        Exchange done = send("direct:template-requests", consumed("template-requests", null,
                ("{\"template_id\":\"" + TEMPLATE_ID + "\",\"lookup_id\":\"key-1\"}").getBytes(StandardCharsets.UTF_8)));

        assertNull(done.getException());
        List<ProducerRecord<Object, Object>> answers = written("templates");
        assertEquals(1, answers.size(), "one answer: " + kafka.history());
        assertEquals(TEMPLATE_ID, key(answers.get(0)), "70-publish-records.yaml sets the key camel-kafka reads");
    }

    @Test
    void preparedRecordsAndTombstonesAreKeyedAsPrepared() {
        Exchange ex = new DefaultExchange(context);
        java.util.Map<String, Object> entry = new java.util.HashMap<>();
        entry.put("key", "flashduty:101");
        entry.put("value", "{\"provider\":\"flashduty\",\"id\":101}");
        java.util.Map<String, Object> tombstone = new java.util.HashMap<>();
        tombstone.put("key", "flashduty:102");
        tombstone.put("value", null);
        ex.setProperty("outRecords", List.of(entry, tombstone));
        ex.setProperty("outTopic", "im-integrations");

        Exchange done = template().send("direct:publish-records", ex);

        assertNull(done.getException());
        List<ProducerRecord<Object, Object>> written = written("im-integrations");
        assertEquals(List.of("flashduty:101", "flashduty:102"), written.stream().map(KafkaKeyRouteTest::key).toList(), kafka.history().toString());
        assertNull(written.get(1).value(), "a tombstone keeps its key");
    }

    private void loadCatalog() {
        flashduty.script(FlashdutyStub.LIST, Answer.ok(FlashdutyStub.oneIntegration()));
        Exchange loaded = template().send("direct:im-catalog-load", new DefaultExchange(context));
        assertNull(loaded.getException());
    }

    private List<ProducerRecord<Object, Object>> written(String topic) {
        return kafka.history().stream().filter(r -> topic.equals(r.topic())).toList();
    }

    private static String key(ProducerRecord<Object, Object> r) {
        return r.key() == null ? null : r.key() instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : r.key().toString();
    }

    private static String value(ProducerRecord<Object, Object> r) {
        return r.value() instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(r.value());
    }

    private static List<String> headerNames(ProducerRecord<Object, Object> r) {
        return java.util.Arrays.stream(r.headers().toArray()).map(h -> h.key()).toList();
    }
}
