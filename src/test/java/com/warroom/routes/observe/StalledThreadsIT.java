package com.warroom.routes.observe;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker becomes unreachable: the background clients' polls come back empty and throw nothing, so
 * only their missing progress shows it. Past BACKGROUND_STALL_TIMEOUT readiness is DOWN naming the
 * threads ("no progress for N s") and no Flashduty call may start; once the broker is back, so are they.
 */
class StalledThreadsIT {

    static final Duration WAIT = Duration.ofMinutes(2);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().dedicatedBroker().setting("background.stall-timeout", "3s");

    @Test
    void threadsThatReachNoBrokerAreDownAndCloseTheBudgetUntilTheyMoveAgain() throws Exception {
        AccountRateBudget budget = testApp.bean("accountRateBudget", AccountRateBudget.class);
        await("ready").atMost(WAIT).until(() -> testApp.management("/observe/health").statusCode() == 200);
        assertTrue(budget.limits()[1] > 0);
        List<String> ids = new ArrayList<>(send(20));
        testApp.topics().awaitCount(testApp.setting("result.topic"), r -> true, ids.size(), WAIT);

        testApp.broker().stop();
        try {
            await("readiness names the stalled threads").atMost(WAIT).until(() -> {
                String body = testApp.management("/observe/health").body();
                return body.contains("follow-" + testApp.setting("ledger.topic") + "=no progress for")
                        && body.contains("budget-share=no progress for");
            });
            assertEquals(0, budget.limits()[1], "no Flashduty call while the ledger and the group are out of sight");
        } finally {
            testApp.broker().start();
        }
        await("back once the broker is").atMost(WAIT).until(() -> testApp.management("/observe/health").statusCode() == 200);
        HttpResponse<String> health = testApp.management("/observe/health");
        assertTrue(!health.body().contains("no progress"), health.body());
        await().atMost(WAIT).until(() -> budget.limits()[1] > 0);

        ids.addAll(send(20));
        testApp.topics().awaitCount(testApp.setting("result.topic"), r -> true, ids.size(), WAIT);
        for (String id : ids) {
            assertEquals(1, testApp.sandbox().createCount(id), "one war room for " + id);
        }
    }

    private static List<String> send(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectNode e = Events.fresh();
            ids.add(Events.incidentId(e));
            testApp.kafka().send(testApp.setting("incident.topic"), Events.incidentId(e), Events.json(e));
        }
        return ids;
    }
}
