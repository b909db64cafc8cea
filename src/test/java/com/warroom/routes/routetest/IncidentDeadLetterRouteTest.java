package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.KafkaFailures;
import com.warroom.routes.support.Events;
import org.apache.camel.Exchange;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dead-letter paths of routes/10-incidents.yaml through routes/80-dead-letters.yaml: a record that
 * cannot be handled as it is gets one copy on the dead-letter topic (key, value and headers byte for
 * byte, the reason and the source in dlq-* headers), is counted, and its offset is committed; no
 * result, no Flashduty call. A Kafka failure a retry can change sets nothing aside and commits nothing.
 */
class IncidentDeadLetterRouteTest extends RouteTestSupport {

    static Stream<Arguments> badRecords() {
        return Stream.of(
                bad("malformed_json", "JsonEOFException", e -> "{\"event_id\": \"e1\", \"incident\": {".getBytes(StandardCharsets.UTF_8)),
                bad("not_an_object", "array", e -> "[1, 2, 3]".getBytes(StandardCharsets.UTF_8)),
                bad("empty_value", null, e -> new byte[0]),
                bad("missing_field", "event_id", e -> bytes(without(e, "event_id"))),
                bad("wrong_type", "event_time", e -> bytes(e.put("event_time", "yesterday"))),
                bad("missing_field", "incident", e -> bytes(without(e, "incident"))),
                bad("invalid_incident_id", "incident.incident_id", e -> bytes(set(incident(e), "incident_id", "not-an-object-id", e))),
                bad("wrong_type", "incident.responders", e -> bytes(set(incident(e), "responders", "everyone", e))),
                bad("field_too_long", "event_id", e -> bytes(e.put("event_id", "e".repeat(257)))),
                bad("field_too_long", "event_type", e -> bytes(e.put("event_type", "i_".repeat(200)))),
                // a key given twice is ambiguous: not a valid event
                bad("malformed_json", "MismatchedInputException", e -> Events.json(e).replaceFirst("\\{", "{\"event_id\":\"dup\",")
                        .getBytes(StandardCharsets.UTF_8)),
                bad("record_too_large", (MAX_RECORD_BYTES + 10) + " bytes > " + MAX_RECORD_BYTES,
                        e -> padded(e, MAX_RECORD_BYTES + 10)));
    }

    static Arguments bad(String reason, String detail, Function<ObjectNode, byte[]> value) {
        return Arguments.of(reason, detail, value);
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("badRecords")
    void aRecordThatCannotBeHandledIsSetAsideWithItsReason(String reason, String detail, Function<ObjectNode, byte[]> value) {
        ObjectNode event = Events.fresh();
        Consumed record = consumed(INCIDENT_TOPIC, Events.incidentId(event), value.apply(event));
        double counted = counter("war.room.dead.lettered", "reason", reason);

        Exchange done = send("direct:incidents", record);

        assertNull(done.getException(), "set aside, and the partition moves on");
        ProducerRecord<byte[], byte[]> copy = theDeadLetterCopyOf(record, reason);
        assertEquals(detail, header(copy, DeadLetterPublisher.DETAIL));
        assertNull(copy.headers().lastHeader(DeadLetterPublisher.TRUNCATED), "it fits whole");
        assertTrue(record.committed(), "committed once the copy is acknowledged");
        assertEquals(0, results.getReceivedCounter(), "no result for a record set aside");
        assertTrue(flashduty.calls().isEmpty(), "no Flashduty call");
        assertEquals(counted + 1, counter("war.room.dead.lettered", "reason", reason), 0.0, "war_room_dead_lettered_total{reason}");
    }

    @Test
    void aResultKafkaRefusesForGoodSetsTheRecordAside() {
        results.whenAnyExchangeReceived(e -> {
            throw new RecordTooLargeException("the result is larger than the topic accepts");
        });
        ObjectNode event = Events.fresh();
        event.put("event_type", "i_ack"); // skipped: no Flashduty call, only the result write
        Consumed record = consumed(INCIDENT_TOPIC, Events.incidentId(event), bytes(event));

        Exchange done = send("direct:incidents", record);

        assertNull(done.getException());
        ProducerRecord<byte[], byte[]> copy = theDeadLetterCopyOf(record, DeadLetterPublisher.OUTPUT_REJECTED);
        assertEquals("RecordTooLargeException", header(copy, DeadLetterPublisher.DETAIL), "the Kafka exception's class, never its message");
        assertTrue(record.committed());
    }

    @Test
    void aKafkaFailureARetryCanChangeCommitsNothingAndSetsNothingAside() {
        results.whenAnyExchangeReceived(e -> {
            throw new TimeoutException("Expiring 1 record(s)");
        });
        ObjectNode event = Events.fresh();
        event.put("event_type", "i_ack");
        Consumed record = consumed(INCIDENT_TOPIC, Events.incidentId(event), bytes(event));
        double retried = counter("war.room.kafka.records.retried", "cause", "TimeoutException");

        Exchange done = send("direct:incidents", record);

        assertInstanceOf(TimeoutException.class, done.getException(), "the exchange fails: the consumer seeks back to the record");
        assertEquals(0, record.commits().get(), "not committed");
        assertTrue(deadLetterProducer.history().isEmpty(), "nothing set aside");
        assertEquals(retried + 1, counter("war.room.kafka.records.retried", "cause", "TimeoutException"), 0.0, "war_room_kafka_records_retried_total{cause}");
    }

    /**
     * README: "If Kafka cannot take the copy for now, the record waits (backoff) and comes again". The
     * copy fails inside the dead-letter route, called from the incident route's catch: the clause must
     * judge the copy's TimeoutException, not the invalid record's exception the outer catch holds.
     */
    @Test
    void aDeadLetterCopyKafkaCannotTakeForNowIsNotCommittedAndTheConsumerGoesOn() {
        deadLetterProducer.sendException = new TimeoutException("Expiring 1 record(s)");
        try {
            Consumed record = consumed(INCIDENT_TOPIC, "k", "{not json".getBytes(StandardCharsets.UTF_8));

            Exchange done = send("direct:incidents", record);

            assertInstanceOf(TimeoutException.class, done.getException(), "the record comes again after a backoff");
            assertEquals(0, record.commits().get(), "not committed");
            assertTrue(context.getRegistry().lookupByNameAndType("kafkaFailures", KafkaFailures.class).isConsuming(),
                    "Kafka did not refuse the module: readiness kafka-access stays UP");
            assertTrue(context.getRouteController().getRouteStatus("incidents").isStarted(), "the consumer goes on");
        } finally {
            deadLetterProducer.sendException = null;
        }
    }

    /** The one copy on the dead-letter topic: the record whole, then the dlq-* headers. */
    ProducerRecord<byte[], byte[]> theDeadLetterCopyOf(Consumed record, String reason) {
        List<ProducerRecord<byte[], byte[]>> copies = deadLetterProducer.history();
        assertEquals(1, copies.size(), "one dead-letter copy");
        ProducerRecord<byte[], byte[]> copy = copies.get(0);
        assertEquals(DEAD_LETTER_TOPIC, copy.topic());
        assertArrayEquals(record.key(), copy.key(), "the key byte for byte");
        assertArrayEquals(record.value(), copy.value(), "the value byte for byte");
        Header[] original = record.headers().toArray();
        Header[] copied = copy.headers().toArray();
        for (int i = 0; i < original.length; i++) {
            assertEquals(original[i].key(), copied[i].key(), "the record's own headers first, in order");
            assertArrayEquals(original[i].value(), copied[i].value());
        }
        assertNull(copy.timestamp(), "stamped when dead-lettered (a broker may refuse the source's old or future time)");
        assertEquals(reason, header(copy, DeadLetterPublisher.REASON));
        assertEquals(record.topic(), header(copy, DeadLetterPublisher.SOURCE_TOPIC));
        assertEquals(String.valueOf(record.partition()), header(copy, DeadLetterPublisher.SOURCE_PARTITION));
        assertEquals(String.valueOf(record.offset()), header(copy, DeadLetterPublisher.SOURCE_OFFSET));
        assertEquals(String.valueOf(record.timestamp()), header(copy, DeadLetterPublisher.SOURCE_TIMESTAMP));
        assertEquals(String.valueOf(record.value().length), header(copy, DeadLetterPublisher.ORIGINAL_SIZE));
        assertTrue(Arrays.stream(copied).noneMatch(h -> new String(h.value(), StandardCharsets.UTF_8).contains("route-test-app-key")),
                "no secret in a dead-letter copy");
        return copy;
    }

    static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static ObjectNode without(ObjectNode event, String field) {
        event.remove(field);
        return event;
    }

    /** Sets a field of {@code node} (a part of {@code event}) and returns the whole event. */
    static ObjectNode set(ObjectNode node, String field, String value, ObjectNode event) {
        node.put(field, value);
        return event;
    }

    static ObjectNode incident(ObjectNode event) {
        return Events.incident(event);
    }

    static byte[] bytes(ObjectNode event) {
        return Events.json(event).getBytes(StandardCharsets.UTF_8);
    }

    /** A valid event made exactly {@code size} bytes long by its title. */
    static byte[] padded(ObjectNode event, int size) {
        incident(event).put("title", "");
        int base = bytes(event).length;
        incident(event).put("title", "t".repeat(size - base));
        byte[] b = bytes(event);
        assertEquals(size, b.length);
        return b;
    }
}
