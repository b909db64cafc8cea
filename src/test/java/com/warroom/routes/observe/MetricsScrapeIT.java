package com.warroom.routes.observe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.DoubleStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.WarRoomTestApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scrape an on-call team plugs in, from the app on the shipped routes and configuration after a created and a
 * failed war room: every metric of the README's table is there with its type (and nothing of ours that the table
 * lacks), the histograms have exactly the decided buckets, Micrometer's JVM and process meters are there, and the
 * incident group's lag per partition. {@link #scrapedFamilies} and {@link #readmeMetrics} are for other checks
 * against the same scrape (alert rules, dashboard queries).
 */
class MetricsScrapeIT {

    static final Duration WAIT = Duration.ofSeconds(60);
    private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);
    private static final Pattern README_ROW = Pattern.compile("^\\| (`war_room_[^|]+) \\| (\\w+) \\|", Pattern.MULTILINE);
    private static final Pattern NAME = Pattern.compile("`(war_room_[a-z_]+)`");

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults();

    @Test
    void theScrapeHasEveryMetricOfTheReadmeTheDecidedBucketsJvmMetricsAndLag() throws Exception {
        await().atMost(WAIT).until(() -> testApp.management("/observe/health/ready").statusCode() == 200);
        ObjectNode created = Events.fresh();
        ObjectNode failed = Events.fresh();
        testApp.sandbox().failIncident(Events.incidentId(failed), 400, "InvalidParameter");
        String incidents = testApp.setting("incident.topic");
        testApp.kafka().send(incidents, Events.incidentId(created), Events.json(created));
        testApp.kafka().send(incidents, Events.incidentId(failed), Events.json(failed));
        testApp.kafka().send(incidents, "unreadable", "{not json"); // war_room_dead_lettered_total{reason="malformed_json"}
        assertEquals("created", result(created));
        assertEquals("failed", result(failed));

        String lag = "war_room_consumer_lag_records{group=\"" + testApp.setting("consumer.group") + "\",partition=\"";
        String scrape = await().atMost(WAIT).until(() -> testApp.management("/observe/metrics").body(),
                body -> body.contains(lag) && body.contains("war_room_ready 1.0") && body.contains("war_room_dead_lettered_total{"));

        Map<String, String> scraped = scrapedFamilies(scrape);
        Map<String, String> readme = readmeMetrics();
        readme.forEach((name, type) -> assertEquals(type, scraped.get(name), name + " (README) in the scrape as a " + type));
        for (Map.Entry<String, String> family : scraped.entrySet()) {
            String name = family.getKey();
            boolean histogramsMax = name.endsWith("_max") && "histogram".equals(readme.get(name.substring(0, name.length() - 4)));
            assertTrue(!name.startsWith("war_room_") || readme.containsKey(name) || histogramsMax, name + " is in the scrape, not in the README");
        }

        assertEquals(buckets(WarRoomMetrics.TO_RESULT), le(scrape, "war_room_event_to_result_seconds", "status=\"created\""));
        assertEquals(buckets(WarRoomMetrics.TO_RESULT), le(scrape, "war_room_event_to_result_seconds", "status=\"failed\""));
        assertEquals(buckets(WarRoomMetrics.TO_RESULT), le(scrape, "war_room_record_to_result_seconds", "status=\"created\""));
        assertEquals(buckets(WarRoomMetrics.CALL), le(scrape, "war_room_flashduty_call_duration_seconds", "outcome=\"success\""));
        assertEquals(buckets(WarRoomMetrics.CALL), le(scrape, "war_room_flashduty_call_duration_seconds", "outcome=\"error\""));
        assertEquals(buckets(WarRoomMetrics.BUDGET_WAIT), le(scrape, "war_room_flashduty_budget_wait_seconds", ""));

        for (String jvm : new String[] {"jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage", "process_uptime_seconds"}) {
            assertTrue(scraped.containsKey(jvm), jvm + " in " + scraped.keySet());
        }
        assertTrue(scraped.keySet().stream().anyMatch(n -> n.startsWith("jvm_gc_")), "jvm_gc_* in " + scraped.keySet());
        assertTrue(scrape.contains(lag) && scrape.contains("topic=\"" + incidents + "\""), "the incident group's lag by partition");
    }

    /**
     * Every metric family of a Prometheus text scrape by its {@code # TYPE} line: name and type (a counter by its
     * {@code _total} name, a histogram by its base name).
     */
    static Map<String, String> scrapedFamilies(String scrape) {
        Map<String, String> families = new TreeMap<>();
        Matcher m = TYPE.matcher(scrape);
        while (m.find()) {
            String name = m.group(1);
            families.put("counter".equals(m.group(2)) && !name.endsWith("_total") ? name + "_total" : name, m.group(2));
        }
        return families;
    }

    /** The README's metric table: each {@code war_room_*} name in it and its type. */
    static Map<String, String> readmeMetrics() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Map<String, String> metrics = new TreeMap<>();
        Matcher row = README_ROW.matcher(readme);
        while (row.find()) {
            Matcher name = NAME.matcher(row.group(1));
            while (name.find()) {
                metrics.put(name.group(1), row.group(2));
            }
        }
        assertTrue(metrics.size() > 20, "the README's metric table: " + metrics);
        return metrics;
    }

    /** The le values of one histogram's series (the first whose labels contain {@code label}). */
    static Set<Double> le(String scrape, String histogram, String label) {
        Set<String> series = new TreeSet<>();
        Set<Double> le = new TreeSet<>();
        Pattern bucket = Pattern.compile("^" + histogram + "_bucket\\{(.*)le=\"([^\"]+)\"(.*)\\} ", Pattern.MULTILINE);
        Matcher m = bucket.matcher(scrape);
        while (m.find()) {
            if (m.group(0).contains(label)) {
                String others = m.group(1) + m.group(3);
                if (series.isEmpty() || series.contains(others)) {
                    series.add(others);
                    le.add("+Inf".equals(m.group(2)) ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(2)));
                }
            }
        }
        assertTrue(!le.isEmpty(), histogram + "{" + label + "} in the scrape");
        return le;
    }

    static Set<Double> buckets(double[] decided) {
        Set<Double> le = DoubleStream.of(decided).boxed().collect(Collectors.toCollection(TreeSet::new));
        le.add(Double.POSITIVE_INFINITY);
        return le;
    }

    static String result(ObjectNode event) {
        String eventId = event.path("event_id").asText();
        return testApp.topics().await(testApp.setting("result.topic"), r -> eventId.equals(r.path("event_id").asText()), WAIT)
                .path("status").asText();
    }
}
