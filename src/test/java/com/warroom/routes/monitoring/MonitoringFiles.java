package com.warroom.routes.monitoring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** deploy/monitoring read as data: the alert rules, the dashboard's queries and the metric names they select. */
final class MonitoringFiles {

    static final Path ALERTS = Path.of("deploy/monitoring/alerts.yaml");
    static final Path ALERT_TESTS = Path.of("deploy/monitoring/alerts-test.yaml");
    static final Path DASHBOARD = Path.of("deploy/monitoring/dashboard.json");

    /** PromQL words that look like a series name but are not one. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan");
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern LABEL_LISTS = Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    /** A name not inside a number or a Grafana variable, and not called like a function (possessive, so no shorter prefix matches). */
    private static final Pattern NAME = Pattern.compile("(?<![\\w.$:])[a-zA-Z_:][a-zA-Z0-9_:]*+(?!\\s*\\()");

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern LABEL_MATCHER = Pattern.compile("([a-zA-Z_]\\w*)\\s*(=~|!=|!~|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private MonitoringFiles() {
    }

    /** The rules of alerts.yaml, every group. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alertRules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) yaml(ALERTS).get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        return rules;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path file) {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(read(file));
    }

    /** Every query of the dashboard's panels (rows' panels included). */
    static List<String> dashboardQueries() {
        try {
            List<String> queries = new ArrayList<>();
            for (JsonNode expr : new ObjectMapper().readTree(read(DASHBOARD)).findValues("expr")) {
                queries.add(expr.asText());
            }
            return queries;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The series names every alert expression and dashboard query selects. */
    static Set<String> metricNames() {
        Set<String> names = new TreeSet<>();
        alertRules().forEach(rule -> names.addAll(seriesNames((String) rule.get("expr"))));
        dashboardQueries().forEach(query -> names.addAll(seriesNames(query)));
        return names;
    }

    /** The label matchers every alert expression and dashboard query uses (see {@link #labelMatchers(String)}). */
    static Set<String> labelMatchers() {
        Set<String> matchers = new TreeSet<>();
        alertRules().forEach(rule -> matchers.addAll(labelMatchers((String) rule.get("expr"))));
        dashboardQueries().forEach(query -> matchers.addAll(labelMatchers(query)));
        return matchers;
    }

    /**
     * The label matchers of one expression's selectors, as {@code name{label="value"}} for an equality (the series
     * must have that value) and {@code name{label}} for the other operators (it must have that label).
     */
    static Set<String> labelMatchers(String expr) {
        Set<String> matchers = new TreeSet<>();
        Matcher selector = SELECTOR.matcher(expr);
        while (selector.find()) {
            Matcher label = LABEL_MATCHER.matcher(selector.group(2));
            while (label.find()) {
                matchers.add(selector.group(1) + "{" + label.group(1) + ("=".equals(label.group(2)) ? "=\"" + label.group(3) + "\"" : "") + "}");
            }
        }
        return matchers;
    }

    /**
     * The series names one PromQL expression selects: identifiers left once strings, label matchers, range and
     * offset durations and label lists (by, on, ...) are gone, minus functions (called) and keywords.
     */
    static Set<String> seriesNames(String expr) {
        String bare = expr;
        for (Pattern drop : List.of(STRINGS, MATCHERS, RANGES, LABEL_LISTS)) {
            bare = drop.matcher(bare).replaceAll(" ");
        }
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(bare);
        while (m.find()) {
            if (!KEYWORDS.contains(m.group().toLowerCase())) {
                names.add(m.group());
            }
        }
        return names;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
