package com.warroom.routes.warroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica started with other budget settings (twice the per-minute limit) beside a running one in
 * the same budget group: it refuses to take budget, readiness DOWN with one line naming the
 * difference, and makes no Flashduty call; the running replica goes on and handles every event, one
 * war room each, inside the account's windows.
 */
class MismatchedReplicaIT {

    static final int PER_SECOND = 6;
    static final long SECOND_WINDOW = 300;
    static final int PER_MINUTE = 24;
    static final long MINUTE_WINDOW = 1500;
    static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().budget(PER_SECOND, SECOND_WINDOW, PER_MINUTE, MINUTE_WINDOW)
            .startedByTest();

    @Test
    void aReplicaWithOtherBudgetSettingsRefusesTheBudgetAndTheGroupGoesOn() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        Map<String, String> settings = new LinkedHashMap<>(testApp.settings());
        settings.put("flashduty.budget-group", settings.get("consumer.group") + "-budget");
        String incidents = settings.get("incident.topic");
        String results = settings.get("result.topic");
        testApp.broker().createTopic(incidents, 3);

        // the other deployment: its own (empty) incident topic and group, the same account, budget group and ledger
        Map<String, String> other = new LinkedHashMap<>(settings);
        other.put("flashduty.rate-per-minute", String.valueOf(2 * PER_MINUTE));
        other.put("consumer.group", settings.get("consumer.group") + "-other");
        other.put("incident.topic", incidents + "-other");
        other.put("management.port", String.valueOf(TestKafka.freePort()));
        testApp.broker().createTopic(other.get("incident.topic"), 1);

        try (RunningApp a = RunningApp.start(new LinkedHashMap<>(settings))) {
            await("the first replica is ready").atMost(WAIT).until(() -> a.management("/observe/health").statusCode() == 200);
            try (RunningApp b = RunningApp.start(other)) {
                await("the mismatched replica says why it is not ready").atMost(WAIT)
                        .until(() -> b.management("/observe/health").body()
                                .contains("budget-share=flashduty.rate-per-minute: " + 2 * PER_MINUTE + " here, " + PER_MINUTE + " at member "));
                assertEquals(503, b.management("/observe/health").statusCode());

                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    ObjectNode e = Events.fresh();
                    ids.add(Events.incidentId(e));
                    testApp.kafka().send(incidents, Events.incidentId(e), Events.json(e));
                }
                testApp.topics().awaitCount(results, r -> true, ids.size(), WAIT);
                assertEquals(0, b.bean("accountRateBudget", AccountRateBudget.class).permitsGranted(),
                        "the mismatched replica made no Flashduty call");
                assertEquals(200, a.management("/observe/health").statusCode(), a.management("/observe/health").body());
                for (String id : ids) {
                    assertEquals(1, sandbox.createCount(id), "one war room for " + id);
                }
            }
        }
        assertEquals(0, sandbox.count429(), "no call refused");
        assertTrue(sandbox.maxInAnyWindow(SECOND_WINDOW) <= PER_SECOND, "short window: " + sandbox.maxInAnyWindow(SECOND_WINDOW));
        assertTrue(sandbox.maxInAnyWindow(MINUTE_WINDOW) <= PER_MINUTE, "long window: " + sandbox.maxInAnyWindow(MINUTE_WINDOW));
    }
}
