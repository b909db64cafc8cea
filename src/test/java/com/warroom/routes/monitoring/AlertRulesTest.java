package com.warroom.routes.monitoring;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * deploy/monitoring's alert rules and dashboard: promtool accepts the rules, their unit tests pass and the
 * dashboard's queries parse (skipped, saying so, where promtool is not installed: Debian's `prometheus` package
 * ships it, and .ci/run installs it); every alert carries what on-call needs and has a runbook section in the
 * README; every alert has a test that fires it and one that does not. (MonitoringNamesIT checks the metric names
 * against the app's scrape.)
 */
class AlertRulesTest {

    static final Set<String> SEVERITIES = Set.of("page", "ticket");

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        promtool("check", "rules", MonitoringFiles.ALERTS.toString());
    }

    @Test
    void promtoolUnitTestsOfTheRulesPass() throws Exception {
        promtool("test", "rules", MonitoringFiles.ALERT_TESTS.toString());
    }

    /** Each dashboard query as a recording rule, Grafana's interval variables as 5m: promtool parses them all. */
    @Test
    void promtoolParsesTheDashboardQueries(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode group = json.createObjectNode().put("name", "dashboard");
        ArrayNode rules = group.putArray("rules");
        List<String> queries = MonitoringFiles.dashboardQueries();
        assertFalse(queries.isEmpty(), "the dashboard has queries");
        for (int i = 0; i < queries.size(); i++) {
            rules.addObject().put("record", "dashboard_query_" + i).put("expr", queries.get(i).replaceAll("\\$__\\w+", "5m"));
        }
        Path file = dir.resolve("dashboard-queries.yaml"); // JSON is YAML
        Files.writeString(file, json.createObjectNode().set("groups", json.createArrayNode().add(group)).toString());
        promtool("check", "rules", file.toString());
    }

    /** Imported anywhere: the data source is the `DS_PROMETHEUS` input Grafana asks for, in every panel and query. */
    @Test
    void theDashboardAsksForItsPrometheusDataSource() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(MonitoringFiles.DASHBOARD.toFile());
        assertEquals("DS_PROMETHEUS", dashboard.path("__inputs").path(0).path("name").asText());
        List<JsonNode> sources = dashboard.path("panels").findValues("datasource");
        assertFalse(sources.isEmpty());
        sources.forEach(source -> assertEquals("${DS_PROMETHEUS}", source.path("uid").asText(), source.toString()));
    }

    @Test
    void everyAlertHasSeveritySummaryDescriptionAndARunbookSectionInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<Map<String, Object>> alerts = alerts();
        assertTrue(alerts.size() >= 10, "the alerts of issue 26: " + alerts.size());
        for (Map<String, Object> alert : alerts) {
            String name = (String) alert.get("alert");
            Map<?, ?> labels = (Map<?, ?>) alert.get("labels");
            Map<?, ?> annotations = (Map<?, ?>) alert.get("annotations");
            assertTrue(labels != null && SEVERITIES.contains(labels.get("severity")), name + ": severity page or ticket");
            for (String key : List.of("summary", "description", "runbook_url")) {
                assertTrue(annotations != null && annotations.get(key) instanceof String s && !s.isBlank(), name + " has " + key);
            }
            String url = (String) annotations.get("runbook_url");
            assertTrue(url.startsWith("README.md#"), name + ": runbook in the README, " + url);
            String anchor = "<a id=\"" + url.substring("README.md#".length()) + "\"></a>";
            Optional<String> entry = readme.lines().filter(line -> line.contains(anchor)).findFirst();
            assertTrue(entry.isPresent(), name + ": the README has its runbook anchor " + anchor);
            assertTrue(entry.get().contains("`" + name + "`"), name + ": its runbook entry names it: " + entry.get());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasATestThatFiresItAndOneThatDoesNot() {
        Set<String> fired = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (Map<String, Object> test : (List<Map<String, Object>>) MonitoringFiles.yaml(MonitoringFiles.ALERT_TESTS).get("tests")) {
            for (Map<String, Object> check : (List<Map<String, Object>>) test.getOrDefault("alert_rule_test", List.of())) {
                List<?> expected = (List<?>) check.get("exp_alerts");
                (expected == null || expected.isEmpty() ? quiet : fired).add((String) check.get("alertname"));
            }
        }
        Set<String> names = new TreeSet<>();
        alerts().forEach(alert -> names.add((String) alert.get("alert")));
        assertEquals(names, fired, "alerts with a test that fires them");
        assertEquals(names, quiet, "alerts with a test that does not fire them");
    }

    @Test
    void seriesNamesAndLabelMatchersAreWhatAnExpressionSelects() {
        assertEquals(Set.of("a_bucket", "up", "process_uptime_seconds", "b_seconds", "c"), MonitoringFiles.seriesNames(
                "histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{status=\"created\",le!~\"1e3|x{y}\"}[$__rate_interval])))"
                        + " > 60 and on (job, instance) (up offset 15m or process_uptime_seconds < 900)"
                        + " or time() - (b_seconds > 0) unless ignoring(reason) group_left sum(c) by (instance)"));
        assertEquals(Set.of("a_bucket{le}", "a_bucket{status=\"created\"}", "up{job=\"x\"}"),
                MonitoringFiles.labelMatchers("sum(rate(a_bucket{status=\"created\", le!~\"1|2\"}[5m])) or up{job=\"x\"}"));
        Set<String> used = MonitoringFiles.metricNames();
        assertTrue(used.contains("war_room_event_to_result_seconds_bucket") && used.contains("war_room_ready"), used.toString());
    }

    static List<Map<String, Object>> alerts() {
        List<Map<String, Object>> alerts = new ArrayList<>();
        MonitoringFiles.alertRules().stream().filter(rule -> rule.containsKey("alert")).forEach(alerts::add);
        return alerts;
    }

    /** Runs promtool (skipping the test when it is not installed) and asserts it succeeded. */
    static void promtool(String... args) throws Exception {
        Optional<Path> promtool = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "promtool")).filter(Files::isExecutable).findFirst();
        assumeTrue(promtool.isPresent(), "promtool is not installed (Debian: apt-get install prometheus; .ci/run does): skipped");
        List<String> command = new ArrayList<>(List.of(promtool.get().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool answered");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
    }
}
