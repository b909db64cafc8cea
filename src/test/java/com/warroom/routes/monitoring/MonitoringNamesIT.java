package com.warroom.routes.monitoring;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every metric the alert rules and the dashboard of deploy/monitoring use is in the scrape of the running app
 * (shipped routes and configuration, the sandbox, a real broker), once a war room was opened and a record
 * dead-lettered (the series that appear at their first observation): a rename breaks the build, not the pager.
 * Names are compared as PromQL selects them (`_bucket` included), so a histogram that became a summary fails too.
 */
class MonitoringNamesIT {

    static final Duration WAIT = Duration.ofSeconds(60);
    /** Series Prometheus writes itself for every scrape target, not the app. */
    static final Set<String> WRITTEN_BY_PROMETHEUS = Set.of("up");

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults();

    @Test
    void everyMetricOfTheAlertsAndTheDashboardIsScraped() {
        Set<String> used = new TreeSet<>(MonitoringFiles.metricNames());
        used.removeAll(WRITTEN_BY_PROMETHEUS);
        assertTrue(used.size() >= 15, "the names the rules and the dashboard use: " + used);

        String incidents = testApp.setting("incident.topic");
        ObjectNode created = Events.fresh();
        testApp.kafka().send(incidents, Events.incidentId(created), Events.json(created));
        testApp.kafka().send(incidents, "not-json", "{not json");
        String eventId = created.path("event_id").asText();
        assertEquals("created", testApp.topics().await(testApp.setting("result.topic"),
                r -> eventId.equals(r.path("event_id").asText()), WAIT).path("status").asText());
        await().atMost(WAIT).until(() -> testApp.topics().records(testApp.setting("dead-letter.topic")).size(), n -> n == 1);

        await().atMost(WAIT).untilAsserted(() -> {
            Set<String> missing = new TreeSet<>(used);
            missing.removeAll(scrapedNames());
            assertEquals(Set.of(), missing, "used by deploy/monitoring, not in /observe/metrics");
        });
    }

    /** The sample names of the Prometheus text scrape (a histogram's `_bucket`, `_count` and `_sum` each). */
    static Set<String> scrapedNames() throws Exception {
        Set<String> names = new TreeSet<>();
        for (String line : testApp.management("/observe/metrics").body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }
}
