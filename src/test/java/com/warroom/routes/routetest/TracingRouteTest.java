package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static com.warroom.routes.routetest.FlashdutyStub.LIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TRACING=true on the shipped routes: the incident's war-room create call and its result record carry
 * one traceparent that continues the record's own (same trace id and flags, a span id of this module's),
 * or starts a new trace when the record's is not one valid value; calls not made for an incident carry
 * none. With tracing off (every other route test) a record's traceparent reaches nothing.
 */
class TracingRouteTest extends RouteTestSupport {

    static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    static final String FORM = "00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}";

    @Override
    protected Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>(PROPERTIES);
        p.put("tracing.enabled", "true");
        return p;
    }

    @BeforeEach
    void catalogLoaded() {
        flashduty.script(LIST, Answer.ok(FlashdutyStub.oneIntegration()));
        assertNull(template().send("direct:im-catalog-load", new DefaultExchange(context)).getException());
        assertNull(flashduty.calls(LIST).get(0).headers().get("traceparent"), "the catalog's call is no incident's");
        flashduty.reset();
    }

    @Test
    void theCreateCallAndTheResultContinueTheRecordsTrace() {
        String traceparent = handle(PARENT);
        assertTrue(traceparent.matches(FORM), traceparent);
        assertEquals(PARENT.substring(0, 36), traceparent.substring(0, 36), "the record's trace id");
        assertEquals("-01", traceparent.substring(52), "its flags");
        assertNotEquals(PARENT.substring(36, 52), traceparent.substring(36, 52), "a span id of this module's");
    }

    @Test
    void anInvalidOrRepeatedTraceparentStartsANewTrace() {
        for (String[] headers : List.of(new String[] {PARENT.toUpperCase().replace("00-4BF", "00-4bf")},
                new String[] {"00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
                new String[] {PARENT + " "}, new String[] {PARENT, PARENT})) {
            String traceparent = handle(headers);
            assertTrue(traceparent.matches(FORM), traceparent);
            assertFalse(traceparent.startsWith(PARENT.substring(0, 36)), "a new trace for " + List.of(headers));
        }
    }

    /** One incident with these traceparent headers: the traceparent its create call carried, checked equal on its result. */
    private String handle(String... traceparents) {
        flashduty.reset();
        flashduty.script(CREATE, Answer.ok(FlashdutyStub.chat("oc_traced")));
        int before = results.getReceivedCounter();
        ObjectNode event = Events.fresh();
        RecordHeaders headers = new RecordHeaders();
        for (String t : traceparents) {
            headers.add("traceparent", t.getBytes(StandardCharsets.UTF_8));
        }
        Consumed record = new Consumed(INCIDENT_TOPIC, Events.incidentId(event).getBytes(StandardCharsets.UTF_8),
                Events.json(event).getBytes(StandardCharsets.UTF_8), headers, 0, 1, System.currentTimeMillis(), new AtomicInteger());
        assertNull(send("direct:incidents", record).getException());
        Object sent = flashduty.calls(CREATE).get(0).headers().get("traceparent");
        Exchange result = results.getReceivedExchanges().get(before);
        assertEquals(Map.of(KafkaConstants.KEY, Events.incidentId(event), "traceparent", sent), result.getMessage().getHeaders(),
                "the result carries its key and the call's traceparent");
        return (String) sent;
    }
}
