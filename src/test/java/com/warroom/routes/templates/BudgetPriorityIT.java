package com.warroom.routes.templates;

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
 * Template and catalog calls share the account budget with war-room creation, behind it: with 150
 * template lookups queued on four consumer threads (four calls always waiting) and incidents
 * arriving, each create call is served before the waiting template calls, and no window is exceeded.
 * And the flood never holds more than its share of either window (FLASHDUTY_OTHER_MAX_SHARE, 50% by
 * default), so the rest stays free for war-room creation however early the flood came.
 */
class BudgetPriorityIT {

    static final int PER_SECOND = 5;
    static final long SECOND_WINDOW = 200;
    static final int PER_MINUTE = 40;
    static final long MINUTE_WINDOW = 1600;
    static final int OTHER_MAX_SHARE = 50;
    static final int TEMPLATE_REQUESTS = 150;

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().budget(PER_SECOND, SECOND_WINDOW, PER_MINUTE, MINUTE_WINDOW)
            .setting("template.consumers-count", "4").setting("flashduty.other-max-share", String.valueOf(OTHER_MAX_SHARE))
            .collect("template.topic").startedByTest();

    @Test
    void createCallsGoFirstAndNoWindowIsExceeded() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        KafkaTestClient kafka = testApp.kafka();
        Map<String, String> settings = testApp.settings();
        List<String> templates = sandbox.seedTemplates(50);
        testApp.broker().createTopic(settings.get("template-request.topic"), 4);
        for (int i = 0; i < TEMPLATE_REQUESTS; i++) {
            kafka.sendAsync(settings.get("template-request.topic"), "k" + i,
                    "{\"template_id\": \"" + templates.get(i % templates.size()) + "\", \"lookup_id\": \"p" + i + "\"}");
        }
        kafka.flush();
        String results = settings.get("result.topic");
        String answers = settings.get("template.topic");
        TopicCollector topics = testApp.topics();
        testApp.start();
        // the template lookups are flowing and hold the budget
        topics.awaitCount(answers, a -> true, 30, Duration.ofSeconds(30));
        List<ObjectNode> incidents = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ObjectNode e = Events.fresh();
            incidents.add(e);
            kafka.send(settings.get("incident.topic"), Events.incidentId(e), Events.json(e));
        }
        topics.awaitCount(results, r -> "created".equals(r.path("status").asText()), 10, Duration.ofSeconds(60));
        topics.awaitCount(answers, a -> true, TEMPLATE_REQUESTS, Duration.ofSeconds(90));
        testApp.stop();

        List<FlashdutySandbox.Call> calls = sandbox.calls();
        int first = -1;
        int last = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).path().equals("/incident/war-room/create")) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        long creates = calls.subList(first, last + 1).stream().filter(c -> c.path().equals("/incident/war-room/create")).count();
        long templatesBetween = calls.subList(first, last + 1).stream().filter(c -> c.path().equals("/template/info")).count();
        assertEquals(10, creates);
        // FIFO would put the four waiting template calls ahead of every create: at least 4 between two
        // creates, 36 in all. Served first, a create waits only for the next free slot; a template call
        // still takes a slot that frees while the consumer writes the previous result to Kafka, so
        // slow writes on a loaded machine let through about one per create.
        assertTrue(templatesBetween <= 2 * creates, templatesBetween + " template calls went between the first and last of " + creates + " creates");
        assertEquals(0, sandbox.count429(), "no call refused");
        assertTrue(sandbox.maxInAnyWindow(SECOND_WINDOW) <= PER_SECOND);
        assertTrue(sandbox.maxInAnyWindow(MINUTE_WINDOW) <= PER_MINUTE);
        // the flood's share: template calls (the flood, all of them behind war rooms) arrived no faster
        // than the ceiling lets through, so war-room creation had the rest of every window
        List<Long> templateArrivals = calls.stream().filter(c -> c.path().startsWith("/template/"))
                .map(FlashdutySandbox.Call::arrivalNanos).sorted().toList();
        assertEquals(TEMPLATE_REQUESTS, templateArrivals.size(), "one /template/info call per lookup");
        int shortCeiling = PER_SECOND * OTHER_MAX_SHARE / 100;
        int longCeiling = PER_MINUTE * OTHER_MAX_SHARE / 100;
        assertTrue(FlashdutySandbox.maxIn(templateArrivals, SECOND_WINDOW) <= shortCeiling, FlashdutySandbox.maxIn(templateArrivals,
                SECOND_WINDOW) + " template calls in one " + SECOND_WINDOW + " ms window, more than the others' share " + shortCeiling);
        assertTrue(FlashdutySandbox.maxIn(templateArrivals, MINUTE_WINDOW) <= longCeiling, FlashdutySandbox.maxIn(templateArrivals,
                MINUTE_WINDOW) + " template calls in one " + MINUTE_WINDOW + " ms window, more than the others' share " + longCeiling);
    }
}
