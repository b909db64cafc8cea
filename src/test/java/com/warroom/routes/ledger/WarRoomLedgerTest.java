package com.warroom.routes.ledger;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.warroom.WarRoomState;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A war room opened here whose ledger write failed is recovered from memory, never created twice. */
class WarRoomLedgerTest {

    static final String INCIDENT = "64b1352e376e32c85c56e25b";
    final ObjectMapper mapper = TestKafka.MAPPER;
    final DefaultCamelContext context = new DefaultCamelContext();
    // no Kafka is reached: the view is never loaded in this test
    final WarRoomLedger ledger = new WarRoomLedger(new CompactedTopicView(new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1")), "ledger",
            CompactedTopicView.Restart.logOnly()), mapper);

    Exchange event() {
        Exchange ex = new DefaultExchange(context);
        ex.setProperty(IncidentEventParser.INCIDENT_ID, INCIDENT);
        ex.setProperty(IncidentEventParser.EVENT_ID, "e1");
        return ex;
    }

    Exchange created() throws Exception {
        Exchange ex = event();
        ex.setProperty(FlashdutyCallState.DATA, mapper.readTree("{\"chat_id\":\"oc_1\",\"chat_name\":\"room\",\"share_link\":\"\"}"));
        ex.setProperty(FlashdutyCallState.REQUEST_ID, "req-1");
        ex.setProperty(WarRoomState.INTEGRATION_ID, 362L);
        ex.setProperty(WarRoomState.PLUGIN_TYPE, "feishu");
        ledger.entry(ex);
        return ex;
    }

    @Test
    void aWarRoomWhoseLedgerWriteFailedIsRecoveredInsteadOfCreatedAgain() throws Exception {
        created(); // the ledger write then failed: remember() never ran
        assertEquals(1, ledger.unrecordedCount());

        Exchange again = event();
        assertFalse(ledger.find(again), "not in the ledger");
        assertTrue(ledger.recover(again), "but opened by this process");
        JsonNode data = again.getProperty(FlashdutyCallState.DATA, JsonNode.class);
        assertEquals("oc_1", data.path("chat_id").asText());
        assertEquals("req-1", again.getProperty(FlashdutyCallState.REQUEST_ID));
        assertEquals(362L, again.getProperty(WarRoomState.INTEGRATION_ID));
        assertEquals("feishu", again.getProperty(WarRoomState.PLUGIN_TYPE));
        assertEquals(0, again.getProperty(FlashdutyCallState.ATTEMPTS));
    }

    @Test
    void anAcknowledgedLedgerEntryIsFoundInTheLedgerNotRecovered() throws Exception {
        ledger.remember(created());
        assertEquals(0, ledger.unrecordedCount());
        Exchange again = event();
        assertFalse(ledger.recover(again));
        assertTrue(ledger.find(again));
    }

    @Test
    void anotherIncidentIsNeitherFoundNorRecovered() throws Exception {
        created();
        Exchange other = new DefaultExchange(context);
        other.setProperty(IncidentEventParser.INCIDENT_ID, "aaaaaaaaaaaaaaaaaaaaaaaa");
        assertFalse(ledger.find(other));
        assertFalse(ledger.recover(other));
    }
}
