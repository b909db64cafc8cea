package com.warroom.routes.incident;

import java.time.Clock;
import java.time.Duration;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.flashduty.AnswerFields;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.RandomInputs;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.templates.TemplateLookups;
import com.warroom.routes.warroom.WarRoomResults;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Generative: random incident records and template requests (every shape, sizes up to the topic's
 * limit, random bytes) through the validators and the outputs they lead to. Every input is either
 * refused with a reason (dead letter, whose copy fits the dead-letter topic) or accepted, and then
 * every output built from it (result, template answer) is small whatever the input's size: no other
 * exception, no output Kafka could refuse. Seeded: -Dgenerative.seed=N repeats a run.
 */
class RecordOutcomesGenerativeTest {

    private static final int TOPIC_BYTES = 1_048_588;
    /** Every output a record can make stays far below Kafka's smallest sensible max.message.bytes. */
    private static final int MAX_OUTPUT_BYTES = 4_096;
    private static final RecordLimits LIMITS = new RecordLimits("incidents", "template-requests", "incidents-dlq", TOPIC_BYTES);

    private final DefaultCamelContext context = new DefaultCamelContext();
    private final ObjectMapper mapper = TestKafka.MAPPER;
    private final IncidentEventParser parser = new IncidentEventParser(LIMITS);
    private final WarRoomResults results = new WarRoomResults(mapper);
    private final TemplateLookups templates = new TemplateLookups(mapper, LIMITS);
    private final EventAge age = new EventAge(Duration.ofHours(1), Duration.ofMinutes(5), Clock.systemUTC(),
            new com.warroom.routes.kafka.BrokerClock(System::nanoTime), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    private final long seed = Long.getLong("generative.seed", System.nanoTime());

    private Exchange exchange(String topic, long offset, byte[] value) {
        Exchange ex = new DefaultExchange(context);
        ex.setProperty(IncomingRecord.TOPIC, topic);
        ex.setProperty(IncomingRecord.PARTITION, 0);
        ex.setProperty(IncomingRecord.OFFSET, offset);
        ex.setProperty(IncomingRecord.TIMESTAMP, 1_700_000_000_000L);
        ex.setProperty(IncomingRecord.KEY, ("k" + offset).getBytes());
        ex.setProperty(IncomingRecord.VALUE, value);
        return ex;
    }

    @Test
    void everyIncidentRecordIsRefusedWithAReasonOrMakesASmallResult() throws Exception {
        Random random = new Random(seed);
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] value = RandomInputs.incident(random, i, TOPIC_BYTES * 2);
            Exchange ex = exchange("incidents", i, value);
            try {
                parser.parse(ex);
            } catch (InvalidRecordException e) {
                refused++;
                assertFits(ex, e, value);
                continue;
            } catch (RuntimeException e) {
                fail("seed " + seed + ", input " + i + ": " + e.getClass().getName() + " escaped the validator");
            }
            accepted++;
            age.isStale(ex.getProperty(IncidentEventParser.EVENT_TIME, Long.class), ex.getProperty(com.warroom.routes.kafka.IncomingRecord.TIMESTAMP, Long.class));
            for (String status : new String[] {"created", "failed", "skipped"}) {
                String result = results.build(status, "failed".equals(status) ? "InternalError" : null,
                        ex.getProperty(IncidentEventParser.INCIDENT_ID, String.class), ex.getProperty(IncidentEventParser.EVENT_ID, String.class),
                        ex.getProperty(IncidentEventParser.EVENT_TYPE, String.class), null, 1L, "feishu",
                        mapper.readTree("{\"chat_id\": \"oc_1\", \"chat_name\": \"n\", \"share_link\": \"s\"}"), "req-1",
                        AnswerFields.message("m".repeat(random.nextInt(5_000))), 1);
                String key = ex.getProperty(IncidentEventParser.INCIDENT_ID, String.class);
                int size = DeadLetterPublisher.size(key.getBytes(), result.getBytes(), new RecordHeaders());
                assertTrue(size <= MAX_OUTPUT_BYTES, "seed " + seed + ", input " + i + ": a " + status + " result of " + size + " bytes");
            }
        }
        assertTrue(accepted > 500 && refused > 500, "both outcomes: " + accepted + " accepted, " + refused + " refused");
    }

    @Test
    void everyTemplateRequestIsRefusedWithAReasonOrMakesASmallAnswer() throws Exception {
        Random random = new Random(seed);
        int accepted = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] value = RandomInputs.templateRequest(random, i, FlashdutySandbox.PRESET_TEMPLATE);
            Exchange ex = exchange("template-requests", i, value);
            try {
                templates.parse(ex);
            } catch (InvalidRecordException e) {
                assertFits(ex, e, value);
                continue;
            } catch (RuntimeException e) {
                fail("seed " + seed + ", input " + i + ": " + e.getClass().getName() + " escaped the validator");
            }
            accepted++;
            if ("invalid".equals(ex.getProperty(TemplateLookups.KIND))) {
                templates.invalidAnswer(ex);
            } else {
                ex.setProperty(FlashdutyCallState.OUTCOME, "failed");
                ex.setProperty(FlashdutyCallState.ERROR_CODE, "ResourceNotFound");
                // as the call leaves it: bounded where it entered
                ex.setProperty(FlashdutyCallState.ERROR_MESSAGE, AnswerFields.message("x".repeat(random.nextInt(5_000))));
                templates.infoAnswer(ex);
            }
            for (var r : com.warroom.routes.kafka.OutRecords.list(ex)) {
                byte[] v = r.get("value") == null ? new byte[0] : r.get("value").getBytes(); // a not_found's tombstone
                int size = DeadLetterPublisher.size(r.get("key").getBytes(), v, new RecordHeaders());
                assertTrue(size <= MAX_OUTPUT_BYTES, "seed " + seed + ", request " + i + ": an answer of " + size + " bytes");
            }
        }
        assertTrue(accepted > 500, accepted + " accepted");
    }

    /** A refused record's reason is a code (never a value) and its dead-letter copy fits the topic. */
    private void assertFits(Exchange ex, InvalidRecordException e, byte[] value) {
        assertTrue(e.reason().matches("[a-z][a-z0-9_]{0,39}"), "seed " + seed + ": reason " + e.reason());
        ex.setProperty(Exchange.EXCEPTION_CAUGHT, e);
        ProducerRecord<byte[], byte[]> copy = DeadLetterPublisher.copy("dlq", new DeadLetterPublisher.Source("incidents", 0, 1L, 1L,
                ex.getProperty(IncomingRecord.KEY, byte[].class), value, null), DeadLetterPublisher.reasonOf(ex), e.detail(),
                LIMITS.deadLetterBytes());
        assertTrue(DeadLetterPublisher.size(copy.key(), copy.value(), copy.headers()) <= LIMITS.deadLetterBytes(), "seed " + seed);
    }
}
