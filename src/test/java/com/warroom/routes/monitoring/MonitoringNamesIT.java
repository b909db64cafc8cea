package com.warroom.routes.monitoring;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every metric the alert rules and the dashboard of deploy/monitoring use is in the scrape of the running app
 * (shipped routes and configuration, the sandbox, a real broker), with the labels and values their selectors ask
 * for, once a war room was opened, one failed and a record was dead-lettered (the series that appear at their first
 * observation): a rename breaks the build, not the pager. Names are compared as PromQL selects them (`_bucket`
 * included), so a histogram that became a summary fails too.
 */
class MonitoringNamesIT {

    static final Duration WAIT = Duration.ofSeconds(60);
    /** Series Prometheus writes itself for every scrape target, not the app. */
    static final Set<String> WRITTEN_BY_PROMETHEUS = Set.of("up");
    static final Pattern LABEL = Pattern.compile("([a-zA-Z_]\\w*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults();

    @Test
    void everyMetricAndLabelOfTheAlertsAndTheDashboardIsScraped() {
        Set<String> used = new TreeSet<>(MonitoringFiles.metricNames());
        used.addAll(MonitoringFiles.labelMatchers());
        used.removeIf(name -> WRITTEN_BY_PROMETHEUS.contains(name.split("\\{", 2)[0]));
        assertTrue(used.contains("war_room_results_total{status=\"failed\"}") && used.size() >= 15,
                "the names and labels the rules and the dashboard use: " + used);

        String incidents = testApp.setting("incident.topic");
        ObjectNode created = Events.fresh();
        ObjectNode failed = Events.fresh();
        testApp.sandbox().failIncident(Events.incidentId(failed), 400, "InvalidParameter");
        testApp.kafka().send(incidents, Events.incidentId(created), Events.json(created));
        testApp.kafka().send(incidents, Events.incidentId(failed), Events.json(failed));
        testApp.kafka().send(incidents, "not-json", "{not json");
        assertEquals("created", result(created));
        assertEquals("failed", result(failed));
        await().atMost(WAIT).until(() -> testApp.topics().records(testApp.setting("dead-letter.topic")).size(), n -> n == 1);

        await().atMost(WAIT).untilAsserted(() -> {
            Set<String> missing = new TreeSet<>(used);
            missing.removeAll(scraped());
            assertEquals(Set.of(), missing, "used by deploy/monitoring, not in /observe/metrics");
        });
    }

    static String result(ObjectNode event) {
        String eventId = event.path("event_id").asText();
        return testApp.topics().await(testApp.setting("result.topic"), r -> eventId.equals(r.path("event_id").asText()), WAIT)
                .path("status").asText();
    }

    /**
     * The Prometheus text scrape as the selectors see it: each sample's name (a histogram's `_bucket`, `_count` and
     * `_sum` each), and per label `name{label}` and `name{label="value"}`.
     */
    static Set<String> scraped() throws Exception {
        Set<String> seen = new TreeSet<>();
        for (String line : testApp.management("/observe/metrics").body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String name = line.split("[{ ]", 2)[0];
            seen.add(name);
            int labels = line.indexOf('{');
            Matcher label = LABEL.matcher(labels < 0 ? "" : line.substring(labels, line.lastIndexOf('}')));
            while (label.find()) {
                seen.add(name + "{" + label.group(1) + "}");
                seen.add(name + "{" + label.group(1) + "=\"" + label.group(2) + "\"}");
            }
        }
        return seen;
    }
}
