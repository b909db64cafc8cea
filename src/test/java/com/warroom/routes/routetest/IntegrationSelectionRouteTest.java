package com.warroom.routes.routetest;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.support.Events;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.routetest.FlashdutyStub.CREATE;
import static com.warroom.routes.routetest.FlashdutyStub.LIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * WAR_ROOM_INTEGRATION_ID pins the IM integration routes/20-war-room.yaml opens war rooms in
 * ({@code pick-integration}): the pinned one when the account lists it, whichever comes first;
 * none when it does not (skipped, no create). Without a pin the first enabled one is taken
 * ({@link WarRoomDecisionRouteTest}).
 */
class IntegrationSelectionRouteTest extends RouteTestSupport {

    static final long PINNED = ImCatalogRouteTest.SLACK_ID;

    @Override
    protected Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>(PROPERTIES);
        p.put("war-room.integration-id", String.valueOf(PINNED));
        return p;
    }

    @Test
    void thePinnedIntegrationIsUsedWhenListedWhateverComesFirst() throws Exception {
        loadCatalog(ImCatalogRouteTest.twoIntegrations());

        JsonNode result = open(Events.fresh());

        assertEquals("created", result.path("status").asText(), result.toString());
        assertEquals(PINNED, result.path("integration_id").asLong());
        assertEquals("slack", result.path("plugin_type").asText());
        assertEquals(PINNED, MAPPER.readTree(flashduty.calls(CREATE).get(0).body()).path("integration_id").asLong());
    }

    @Test
    void anUnlistedPinnedIntegrationOpensNoWarRoom() {
        loadCatalog(FlashdutyStub.oneIntegration());

        JsonNode result = open(Events.fresh());

        assertEquals("skipped", result.path("status").asText(), result.toString());
        assertEquals("no_war_room_integration", result.path("reason").asText());
        assertEquals(0, flashduty.calls(CREATE).size(), "never the other integration");
    }

    void loadCatalog(String list) {
        flashduty.script(LIST, Answer.ok(list));
        Exchange loaded = template().send("direct:im-catalog-load", new DefaultExchange(context));
        assertNull(loaded.getException());
        flashduty.reset();
    }

    JsonNode open(ObjectNode event) {
        Exchange done = send("direct:incidents", consumed(INCIDENT_TOPIC, Events.incidentId(event),
                Events.json(event).getBytes(StandardCharsets.UTF_8)));
        assertNull(done.getException());
        return json(results.getReceivedExchanges().get(0));
    }
}
