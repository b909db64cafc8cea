package com.warroom.routes.flashduty;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Answers a hostile or broken Flashduty could give a create, against the shipped routes, a real broker
 * and the sandbox: one trickling a byte a second (each read well within the read time-out), and one
 * with a 2 MiB chat_name. Neither may keep a record past its deadline or keep the room out of the
 * ledger: one room per incident.
 */
class HostileAnswersIT {

    /** far longer than the call's deadline, far shorter than the trickling answer takes */
    static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().collect("ledger.topic")
            .setting("flashduty.call-timeout-ms", "4000");

    static JsonNode resultFor(ObjectNode event) {
        String eventId = event.path("event_id").asText();
        return testApp.topics().await(testApp.setting("result.topic"), r -> eventId.equals(r.path("event_id").asText()), WAIT);
    }

    static void send(ObjectNode event) throws Exception {
        testApp.kafka().send(testApp.setting("incident.topic"), Events.incidentId(event), Events.json(event));
    }

    @Test
    void aCreateAnswerTricklingPastTheDeadlineEndsAsATimeoutAndIsNotSentAgain() throws Exception {
        testApp.sandbox().trickleCreates(1, 1_000); // ~150 bytes: two and a half minutes
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        send(event);

        JsonNode result = resultFor(event);
        assertEquals("failed", result.path("status").asText(), result.toString());
        assertEquals(FlashdutyResponses.TIMEOUT, result.path("reason").asText(), result.toString());
        assertEquals(1, testApp.sandbox().createCount(incidentId), "the create was not sent again");
    }

    @Test
    void aCreateAnsweredWithA2MiBChatNameIsRecordedClippedAndFoundByTheNextEvent() throws Exception {
        testApp.sandbox().hugeChatNames(1, 2 * 1024 * 1024);
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        send(event);

        JsonNode result = resultFor(event);
        assertEquals("created", result.path("status").asText(), result.path("status").asText() + " " + result.path("reason").asText());
        JsonNode entry = testApp.topics().await(testApp.setting("ledger.topic"), e -> incidentId.equals(e.path("incident_id").asText()), WAIT);
        assertTrue(entry.path("chat_name").asText().endsWith(AnswerFields.CLIPPED), "the chat_name is clipped, and says so");

        ObjectNode again = Events.fresh(incidentId);
        send(again);
        assertEquals("already_exists", resultFor(again).path("status").asText());
        assertEquals(1, testApp.sandbox().createCount(incidentId), "one war room");
    }
}
