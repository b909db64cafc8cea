package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A burst against short windows that the sandbox enforces exactly (it answers 429 the moment
 * either window would be exceeded): every war room is opened, no call is refused, and the
 * sandbox's own arrival log shows neither window ever exceeded.
 */
class RateBudgetIT {

    static final int PER_SECOND = 5;
    static final long SECOND_WINDOW = 400;
    static final int PER_MINUTE = 20;
    /**
     * 20 per 3 s (6.7 a second) is well under what three consumers handle even on a busy CI machine, so the budget,
     * not the machine, paces the burst and the long window fills (at 20 per 2 s it once filled only to 17 among four
     * forks of ITs).
     */
    static final long MINUTE_WINDOW = 3000;

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().budget(PER_SECOND, SECOND_WINDOW, PER_MINUTE, MINUTE_WINDOW)
            // three consumer threads on three partitions compete for the one budget
            .setting("kafka.consumers-count", "3")
            .startedByTest();

    @Test
    void burstStaysInsideBothWindows() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        Map<String, String> settings = testApp.settings();
        testApp.broker().createTopic(settings.get("incident.topic"), 3);
        KafkaTestClient kafka = testApp.kafka();
        List<ObjectNode> events = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            ObjectNode e = Events.fresh();
            events.add(e);
            kafka.sendAsync(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
        }
        kafka.flush();
        String results = settings.get("result.topic");
        TopicCollector topics = testApp.topics();
        testApp.start();
        topics.awaitCount(results, r -> true, events.size(), Duration.ofSeconds(60));
        assertEquals(events.size(), topics.json(results, r -> "created".equals(r.path("status").asText())).size());
        testApp.stop();
        assertEquals(0, sandbox.count429(), "no call refused");
        int perSecond = sandbox.maxInAnyWindow(SECOND_WINDOW);
        int perMinute = sandbox.maxInAnyWindow(MINUTE_WINDOW);
        assertTrue(perSecond <= PER_SECOND, "max " + perSecond + " calls in one short window");
        assertTrue(perMinute <= PER_MINUTE, "max " + perMinute + " calls in one long window");
        // the budget was really the bottleneck: the long window filled up completely at least once
        assertEquals(PER_MINUTE, perMinute);
    }
}
