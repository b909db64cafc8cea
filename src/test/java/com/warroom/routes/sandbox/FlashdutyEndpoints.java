package com.warroom.routes.sandbox;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.support.TestKafka;

/**
 * Flashduty's four endpoints as CONTRACT.md gives them, checked in Flashduty's order: the route,
 * the app_key, the method, both rate windows, injected faults, the content type, the body and its
 * fields; ResourceNotFound as HTTP 400. Holds the account's data (war-room integrations, templates,
 * the caller's teams) and counts the rooms each incident got.
 */
final class FlashdutyEndpoints {

    static final Set<String> PATHS = Set.of("/datasource/im/war-room-enabled/list", "/incident/war-room/create",
            "/template/list", "/template/info");
    private static final Pattern OBJECT_ID = Pattern.compile("^[0-9a-fA-F]{24}$");

    private final FlashdutySandbox.Config config;
    private final RateWindows windows;
    private final SandboxFaults faults;
    final List<Map<String, Object>> warRoomIntegrations = new CopyOnWriteArrayList<>();
    final Map<String, Map<String, Object>> templates = Collections.synchronizedMap(new TreeMap<>());
    final Set<Long> myTeams = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> creates = new ConcurrentHashMap<>();

    FlashdutyEndpoints(FlashdutySandbox.Config config, RateWindows windows, SandboxFaults faults) {
        this.config = config;
        this.windows = windows;
        this.faults = faults;
    }

    /** The account's one war-room integration unless a test sets others (its integration_key is a secret). */
    static Map<String, Object> defaultIntegration() {
        Map<String, Object> i = new LinkedHashMap<>();
        i.put("data_source_id", 362L);
        i.put("account_id", 10001L);
        i.put("team_id", 0);
        i.put("plugin_id", 101);
        i.put("name", "Feishu Ops");
        i.put("status", "enabled");
        i.put("category", "im");
        i.put("plugin_type", "feishu");
        i.put("plugin_type_name", "Feishu");
        i.put("description", "Feishu war-room integration");
        i.put("integration_key", "ik_sandbox_SECRET_8f3a2b1c");
        i.put("ref_id", "");
        i.put("settings", Map.of("war_room_enabled", true));
        i.put("no_editable", false);
        i.put("creator_id", 20001L);
        i.put("updated_by", 20001L);
        i.put("created_at", 1716962400L);
        i.put("updated_at", 1716962700L);
        i.put("last_time", 1716963000L);
        i.put("exclusive_data_source_id", 0);
        i.put("integration_id", 362L);
        return i;
    }

    static Map<String, Object> template(String id, String name, long teamId, long creatorId, long updatedAt) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("account_id", 10023L);
        t.put("team_id", teamId);
        t.put("template_id", id);
        t.put("template_name", name);
        t.put("description", "Template " + name);
        t.put("email", "Incident {{ .IncidentName }} on {{ .Severity }}");
        t.put("sms", "[Flashduty] {{ .IncidentName }}");
        for (String channel : List.of("voice", "dingtalk", "wecom", "feishu", "feishu_app", "dingtalk_app", "wecom_app",
                "slack_app", "teams_app", "telegram", "slack", "zoom")) {
            t.put(channel, "");
        }
        t.put("status", "enabled");
        t.put("creator_id", creatorId);
        t.put("updated_by", creatorId);
        t.put("created_at", updatedAt - 3600);
        t.put("updated_at", updatedAt);
        return t;
    }

    int createCount(String incidentId) {
        AtomicInteger n = creates.get(incidentId.toLowerCase(Locale.ROOT));
        return n == null ? 0 : n.get();
    }

    Map<String, Integer> createCounts() {
        Map<String, Integer> m = new TreeMap<>();
        creates.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    Answer answer(long arrival, String method, String path, Map<String, String> query, Map<String, String> headers, String body) {
        if (!PATHS.contains(path)) {
            return Answer.error(404, "RouteNotFound", "route not found");
        }
        if (!config.appKey().equals(query.get("app_key"))) {
            return Answer.error(401, "Unauthorized", "invalid app_key");
        }
        if (!"POST".equals(method)) {
            return Answer.error(405, "MethodNotAllowed", "method not allowed");
        }
        if (!windows.tryAccept(arrival)) {
            return Answer.error(429, "RequestTooFrequently", "request too frequently");
        }
        Answer fault = faults.storm();
        if (fault == null) {
            fault = faults.injectedError(path);
        }
        if (fault != null) {
            return fault;
        }
        String contentType = headers.getOrDefault("Content-Type", "");
        if (!contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return Answer.error(400, "InvalidContentType", "content type must be application/json");
        }
        JsonNode req;
        try {
            req = TestKafka.MAPPER.readTree(body.isEmpty() ? "{}" : body);
        } catch (IOException e) {
            return Answer.error(400, "InvalidParameter", "body is not JSON");
        }
        if (req == null || !req.isObject()) {
            return Answer.error(400, "InvalidParameter", "body must be an object");
        }
        return switch (path) {
            case "/datasource/im/war-room-enabled/list" -> warRoomEnabledList(path);
            case "/incident/war-room/create" -> create(req);
            case "/template/info" -> templateInfo(req);
            default -> templateList(req);
        };
    }

    private Answer warRoomEnabledList(String path) {
        SandboxFaults.EmptyAnswer empty = faults.emptyAnswer(path);
        if (empty == SandboxFaults.EmptyAnswer.NO_LIST) {
            return Answer.ok(Map.of()); // {"data": {}}
        }
        return Answer.ok(Map.of("items", empty == SandboxFaults.EmptyAnswer.EMPTY_LIST ? List.of() : List.copyOf(warRoomIntegrations)));
    }

    /** A war-room-enabled integration with a name of {@code nameChars} characters (its integration_key is a secret too). */
    static Map<String, Object> hugeIntegration(long id, int nameChars) {
        Map<String, Object> i = defaultIntegration();
        i.put("data_source_id", id);
        i.put("integration_id", id);
        i.put("name", "Huge " + "n".repeat(Math.max(0, nameChars - 5)));
        i.put("integration_key", "ik_sandbox_SECRET_huge_5d1e");
        return i;
    }

    private Answer create(JsonNode req) {
        JsonNode id = req.get("incident_id");
        if (id == null || !id.isTextual() || !OBJECT_ID.matcher(id.asText()).matches()) {
            return Answer.error(400, "InvalidParameter", "incident_id must be 24 hex characters");
        }
        String incidentId = id.asText().toLowerCase(Locale.ROOT);
        Answer invalid = invalidCreateFields(req);
        if (invalid != null) {
            return invalid.about(incidentId, null);
        }
        long integration = req.get("integration_id").asLong();
        boolean enabled = warRoomIntegrations.stream().anyMatch(i -> ((Number) i.get("integration_id")).longValue() == integration);
        if (!enabled) {
            return Answer.error(400, "ResourceNotFound", "integration not found or war room not enabled").about(incidentId, null);
        }
        SandboxFaults.Failure f = faults.incidentFailure(incidentId);
        if (f != null) {
            return Answer.error(f.status(), f.code(), "injected failure for this incident").about(incidentId, null);
        }
        creates.computeIfAbsent(incidentId, k -> new AtomicInteger()).incrementAndGet();
        if (faults.gatewayAfterThisCreate()) {
            return Answer.gatewayPage(faults.gatewayStatus()).about(incidentId, null);
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("chat_id", "oc_" + incidentId);
        int huge = faults.hugeChatNameChars();
        data.put("chat_name", huge > 0 ? "Incident war room " + "x".repeat(huge)
                : "Incident #" + incidentId.substring(18).toUpperCase(Locale.ROOT) + " war room");
        data.put("share_link", "");
        return Answer.ok(data).about(incidentId, null);
    }

    /** integration_id an int64, member_ids an array of int64, add_observers a boolean; null when they are. */
    private static Answer invalidCreateFields(JsonNode req) {
        JsonNode integration = req.get("integration_id");
        if (integration == null || !integration.isIntegralNumber()) {
            return Answer.error(400, "InvalidParameter", "integration_id must be an int64");
        }
        JsonNode members = req.get("member_ids");
        if (members != null && !members.isNull()) {
            if (!members.isArray()) {
                return Answer.error(400, "InvalidParameter", "member_ids must be an array");
            }
            for (JsonNode m : members) {
                if (!m.isIntegralNumber()) {
                    return Answer.error(400, "InvalidParameter", "member_ids must be int64");
                }
            }
        }
        JsonNode observers = req.get("add_observers");
        if (observers != null && !observers.isNull() && !observers.isBoolean()) {
            return Answer.error(400, "InvalidParameter", "add_observers must be a boolean");
        }
        return null;
    }

    private Answer templateInfo(JsonNode req) {
        JsonNode id = req.get("template_id");
        if (id == null || !id.isTextual() || !OBJECT_ID.matcher(id.asText()).matches()) {
            return Answer.error(400, "InvalidParameter", "template_id must be 24 hex characters");
        }
        Map<String, Object> t = templates.get(id.asText().toLowerCase(Locale.ROOT));
        if (t == null) {
            return Answer.error(400, "ResourceNotFound", "template not found").about(null, id.asText());
        }
        return Answer.ok(t).about(null, id.asText());
    }

    private Answer templateList(JsonNode req) {
        int p = req.path("p").asInt(1);
        int limit = req.path("limit").asInt(20);
        if (req.has("p") && !req.get("p").isIntegralNumber() || p < 1) {
            return Answer.error(400, "InvalidParameter", "p must be >= 1");
        }
        if (req.has("limit") && !req.get("limit").isIntegralNumber() || limit < 1 || limit > 100) {
            return Answer.error(400, "InvalidParameter", "limit must be 1..100");
        }
        String orderby = req.path("orderby").asText("updated_at");
        if (!orderby.equals("created_at") && !orderby.equals("updated_at")) {
            return Answer.error(400, "InvalidParameter", "orderby must be created_at or updated_at");
        }
        boolean asc = req.path("asc").asBoolean(false);
        boolean myTeam = req.path("is_my_team").asBoolean(false);
        List<Long> teamIds = new ArrayList<>();
        if (req.has("team_ids")) {
            if (!req.get("team_ids").isArray()) {
                return Answer.error(400, "InvalidParameter", "team_ids must be an array");
            }
            req.get("team_ids").forEach(n -> teamIds.add(n.asLong()));
        }
        Long creator = req.has("creator_id") ? req.get("creator_id").asLong() : null;
        String q = req.has("query") ? req.get("query").asText() : null;
        List<Map<String, Object>> all;
        synchronized (templates) {
            all = new ArrayList<>(templates.values());
        }
        List<Map<String, Object>> matching = all.stream()
                .filter(t -> !myTeam || myTeams.contains(((Number) t.get("team_id")).longValue()))
                .filter(t -> myTeam || teamIds.isEmpty() || teamIds.contains(((Number) t.get("team_id")).longValue()))
                .filter(t -> creator == null || creator == ((Number) t.get("creator_id")).longValue())
                .filter(t -> q == null || String.valueOf(t.get("template_name")).contains(q))
                .sorted((a, b) -> {
                    int c = Long.compare(((Number) a.get(orderby)).longValue(), ((Number) b.get(orderby)).longValue());
                    if (c == 0) {
                        c = String.valueOf(a.get("template_id")).compareTo(String.valueOf(b.get("template_id")));
                    }
                    return asc ? c : -c;
                })
                .toList();
        if (faults.emptyPageWithNext()) {
            Map<String, Object> empty = new LinkedHashMap<>();
            empty.put("total", matching.size());
            empty.put("has_next_page", true);
            empty.put("items", List.of());
            return Answer.ok(empty);
        }
        int from = Math.min(matching.size(), (p - 1) * limit);
        int to = Math.min(matching.size(), from + limit);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("total", matching.size());
        data.put("has_next_page", to < matching.size());
        data.put("items", matching.subList(from, to));
        return Answer.ok(data);
    }
}
