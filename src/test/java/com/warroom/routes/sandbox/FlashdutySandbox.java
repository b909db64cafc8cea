package com.warroom.routes.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.warroom.routes.support.TestKafka;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local stand-in for the Flashduty API and Rocket.Chat's integrations.list, behaving as
 * ../shared/api/CONTRACT.md describes: app_key and header auth, field validation, the exact
 * envelopes and error codes (ResourceNotFound as HTTP 400), Flashcat-Request-Id, both rate windows
 * answering 429 RequestTooFrequently, a log of every call, and switchable faults. Tests, the demo
 * and the benchmarks run against it.
 * <p>
 * The JDK server behind it leaves Nagle's algorithm on unless the JVM runs with
 * {@code sun.net.httpserver.nodelay=true} (read once, when its classes load): each answer's body then
 * waits for the client's delayed ACK, about 40 ms per call. The benchmarks set it; the tests run as before.
 */
public final class FlashdutySandbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlashdutySandbox.class);
    private static final ObjectMapper MAPPER = TestKafka.MAPPER;
    private static final Pattern OBJECT_ID = Pattern.compile("^[0-9a-fA-F]{24}$");
    public static final String PRESET_TEMPLATE = "000000000000000000000001";
    public static final Set<String> FLASHDUTY_PATHS = Set.of("/datasource/im/war-room-enabled/list", "/incident/war-room/create",
            "/template/list", "/template/info");
    public static final String ROCKETCHAT_PATH = "/api/v1/integrations.list";

    /** Settings; fluent setters, getters without prefix. */
    public static final class Config {
        private int port;
        private String appKey = "sandbox-app-key-7f3e9c1d2b4a";
        private String rocketChatUserId = "sandboxRcUser9Q2w";
        private String rocketChatAuthToken = "sandbox-rc-token-Zk81LmQp";
        private int perSecond = 50;
        private int perMinute = 1000;
        private long secondWindowMillis = 1000;
        private long minuteWindowMillis = 60_000;
        private int rocketChatMaxCount = 100;

        public Config port(int v) { port = v; return this; }
        public Config appKey(String v) { appKey = v; return this; }
        public Config rocketChatUserId(String v) { rocketChatUserId = v; return this; }
        public Config rocketChatAuthToken(String v) { rocketChatAuthToken = v; return this; }
        public Config perSecond(int v) { perSecond = v; return this; }
        public Config perMinute(int v) { perMinute = v; return this; }
        public Config secondWindowMillis(long v) { secondWindowMillis = v; return this; }
        public Config minuteWindowMillis(long v) { minuteWindowMillis = v; return this; }
        public Config rocketChatMaxCount(int v) { rocketChatMaxCount = v; return this; }
        public int port() { return port; }
        public String appKey() { return appKey; }
        public String rocketChatUserId() { return rocketChatUserId; }
        public String rocketChatAuthToken() { return rocketChatAuthToken; }
        public int perSecond() { return perSecond; }
        public int perMinute() { return perMinute; }
        public long secondWindowMillis() { return secondWindowMillis; }
        public long minuteWindowMillis() { return minuteWindowMillis; }
        public int rocketChatMaxCount() { return rocketChatMaxCount; }
    }

    /**
     * One request as the sandbox saw it (secrets masked). {@code serviceNanos}: the sandbox's own time
     * from the request's arrival until its answer was ready to send (injected delays included), which
     * the latency benchmark subtracts.
     */
    public record Call(long arrivalNanos, String method, String path, String query, Map<String, String> headers, String body,
                       int status, String errorCode, String requestId, String incidentId, String templateId, long serviceNanos) {
    }

    /**
     * One request exactly as it arrived, nothing masked (the request target with its raw query, every
     * header, the body): for a test that must see a leak the masked {@link Call} would hide. Never logged.
     */
    public record RawRequest(String method, String target, Map<String, List<String>> headers, String body) {
    }

    private record Failure(int status, String code) {
    }

    private final Config config;
    private final ExecutorService executor = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "sandbox");
        t.setDaemon(true);
        return t;
    });
    private volatile HttpServer server;
    private final int port;
    private final AtomicLong requestIds = new AtomicLong();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<RawRequest> rawRequests = new CopyOnWriteArrayList<>();
    private final List<Long> accepted = new ArrayList<>(); // arrival nanos of accepted Flashduty calls, guarded by this
    private final Map<String, AtomicInteger> creates = new ConcurrentHashMap<>();
    private final List<Map<String, Object>> warRoomIntegrations = new CopyOnWriteArrayList<>();
    private final Map<String, Map<String, Object>> templates = Collections.synchronizedMap(new TreeMap<>());
    private final List<Map<String, Object>> rocketChatIntegrations = new CopyOnWriteArrayList<>();
    private final Set<Long> myTeams = ConcurrentHashMap.newKeySet();

    // faults
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile Failure failNextAs;
    private volatile double failFraction;
    private volatile Failure failRandomAs;
    private volatile long slowMillis;
    private final AtomicInteger slowNext = new AtomicInteger();
    private volatile long slowNextMillis;
    private final AtomicInteger stormNext = new AtomicInteger();
    private final AtomicInteger gatewayAfterCreate = new AtomicInteger();
    private volatile int gatewayStatus;
    private volatile Integer stormRetryAfter;
    private final Map<String, Failure> incidentFailures = new ConcurrentHashMap<>();
    private volatile Map<String, String> extraHeaders = Map.of();
    private volatile boolean rocketChatUnauthorized;
    private final AtomicInteger rocketChatLimitNext = new AtomicInteger();
    private volatile long rocketChatResetAt;
    private final AtomicInteger rocketChatCallsBeforeReset = new AtomicInteger();
    private volatile boolean rocketChatOffsetStuck;
    private volatile boolean rocketChatTotalGrows;
    private final AtomicInteger rocketChatGrown = new AtomicInteger();

    private FlashdutySandbox(Config config) throws IOException {
        this.config = config;
        myTeams.add(1L);
        warRoomIntegrations.add(defaultIntegration());
        putTemplate(template(PRESET_TEMPLATE, "Preset", 0, 0, 1_700_000_000L));
        this.server = bind(config.port);
        this.port = server.getAddress().getPort();
    }

    public static FlashdutySandbox start(Config config) throws IOException {
        return new FlashdutySandbox(config);
    }

    private HttpServer bind(int wanted) throws IOException {
        BindException last = null;
        for (int i = 0; i < 50; i++) {
            try {
                HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", wanted), 256);
                s.createContext("/", this::handle);
                s.setExecutor(executor);
                s.start();
                return s;
            } catch (BindException e) {
                last = e;
                LockSupport.parkNanos(100_000_000L); // the old socket may linger briefly after an outage ends
            }
        }
        throw last;
    }

    public Config config() {
        return config;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    // ---- seed data --------------------------------------------------------------------------

    public List<Map<String, Object>> warRoomIntegrations() {
        return warRoomIntegrations;
    }

    public void setWarRoomIntegrations(List<Map<String, Object>> items) {
        warRoomIntegrations.clear();
        warRoomIntegrations.addAll(items);
    }

    public static Map<String, Object> defaultIntegration() {
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

    public void putTemplate(Map<String, Object> template) {
        templates.put((String) template.get("template_id"), template);
    }

    public void removeTemplate(String id) {
        templates.remove(id);
    }

    public Map<String, Map<String, Object>> templates() {
        return templates;
    }

    /** n templates with distinct ids, teams 1-3, creators 80001-80002, names "Template i". */
    public List<String> seedTemplates(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("66%022x", 0x1000 + i);
            ids.add(id);
            putTemplate(template(id, "Template " + i, 1 + i % 3, 80001 + i % 2, 1_712_700_000L + i * 60L));
        }
        return ids;
    }

    public static Map<String, Object> template(String id, String name, long teamId, long creatorId, long updatedAt) {
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

    public void setMyTeams(Set<Long> teams) {
        myTeams.clear();
        myTeams.addAll(teams);
    }

    public void setRocketChatIntegrations(List<Map<String, Object>> items) {
        rocketChatIntegrations.clear();
        rocketChatIntegrations.addAll(items);
    }

    public List<Map<String, Object>> rocketChatIntegrations() {
        return rocketChatIntegrations;
    }

    public void seedRocketChatIntegrations(int n) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(rocketChatIntegration(String.format("RcIntegration%04d", i), i));
        }
        setRocketChatIntegrations(items);
    }

    private static Map<String, Object> rocketChatIntegration(String id, int i) {
        Map<String, Object> it = new LinkedHashMap<>();
        it.put("_id", id);
        it.put("type", i % 2 == 0 ? "webhook-incoming" : "webhook-outgoing");
        it.put("name", "Integration " + i);
        it.put("enabled", i % 5 != 4);
        it.put("username", "rocket.cat");
        it.put("channel", List.of("#ops-" + (i % 3)));
        it.put("token", "rc-webhook-token-SECRET-" + i);
        it.put("script", "const key = 'SECRET-SCRIPT-" + i + "';");
        it.put("scriptCompiled", "var key = 'SECRET-SCRIPT-" + i + "';");
        it.put("scriptEnabled", true);
        it.put("_createdAt", "2017-01-05T17:06:05.660Z");
        return it;
    }

    /** Every secret value the sandbox knows: nothing of these may ever show outside the process. */
    public List<String> secretValues() {
        List<String> s = new ArrayList<>(List.of(config.appKey, config.rocketChatUserId, config.rocketChatAuthToken));
        for (Map<String, Object> i : warRoomIntegrations) {
            if (i.get("integration_key") != null) {
                s.add(String.valueOf(i.get("integration_key")));
            }
        }
        for (Map<String, Object> i : rocketChatIntegrations) {
            for (String f : List.of("token", "script", "scriptCompiled")) {
                if (i.get(f) != null) {
                    s.add(String.valueOf(i.get(f)));
                }
            }
        }
        return s;
    }

    // ---- faults -----------------------------------------------------------------------------

    /** On: the port refuses connections. Off: serves again on the same port. */
    public synchronized void outage(boolean on) throws IOException {
        if (on && server != null) {
            server.stop(0);
            server = null;
        } else if (!on && server == null) {
            server = bind(port);
        }
    }

    public void failNext(int n, int status, String code) {
        failNextAs = new Failure(status, code);
        failNext.set(n);
    }

    public void failRandomly(double fraction, int status, String code) {
        failRandomAs = new Failure(status, code);
        failFraction = fraction;
    }

    public void slow(long millis) {
        slowMillis = millis;
    }

    public void slowNext(int n, long millis) {
        slowNextMillis = millis;
        slowNext.set(n);
    }

    /** The next n Flashduty calls answer 429 RequestTooFrequently (with Retry-After when not null). */
    /**
     * The next n creates open the room, then a gateway in front answers {@code status} (502, 504)
     * with its own HTML page instead of Flashduty's envelope: the client cannot tell the room exists.
     */
    public void gatewayErrorAfterCreate(int n, int status) {
        gatewayStatus = status;
        gatewayAfterCreate.set(n);
    }

    public void rateLimitStorm(int n, Integer retryAfterSeconds) {
        stormRetryAfter = retryAfterSeconds;
        stormNext.set(n);
    }

    public void failIncident(String incidentId, int status, String code) {
        incidentFailures.put(incidentId.toLowerCase(Locale.ROOT), new Failure(status, code));
    }

    public void extraResponseHeaders(Map<String, String> headers) {
        extraHeaders = Map.copyOf(headers);
    }

    public void rocketChatUnauthorized(boolean on) {
        rocketChatUnauthorized = on;
    }

    /**
     * integrations.list answers {@code offset: 0} and the first page whatever offset is asked for,
     * with the true total: a client that trusts the answer's offset asks for the same page for ever.
     */
    public void rocketChatOffsetStuck(boolean on) {
        rocketChatOffsetStuck = on;
    }

    /**
     * Each integrations.list call first adds as many new integrations as it was asked for, so the
     * total grows by a page with every page: a client that pages until {@code offset+items >= total}
     * never gets there. Turning it off leaves the added ones in the list.
     */
    public void rocketChatTotalGrows(boolean on) {
        rocketChatTotalGrows = on;
    }

    /** The next n calls answer 429 with X-RateLimit-Reset {@code resetInMillis} from now (a long one: a long wait). */
    public void rocketChatRateLimitNext(int n, long resetInMillis) {
        rocketChatResetAt = System.currentTimeMillis() + resetInMillis;
        rocketChatLimitNext.set(n);
    }

    /** Rocket.Chat calls that arrived while a 429's X-RateLimit-Reset had not yet passed (a client must wait). */
    public int rocketChatCallsBeforeReset() {
        return rocketChatCallsBeforeReset.get();
    }

    public void clearFaults() {
        failNext.set(0);
        gatewayAfterCreate.set(0);
        failFraction = 0;
        slowMillis = 0;
        slowNext.set(0);
        stormNext.set(0);
        incidentFailures.clear();
        extraHeaders = Map.of();
        rocketChatUnauthorized = false;
        rocketChatLimitNext.set(0);
        rocketChatOffsetStuck = false;
        rocketChatTotalGrows = false;
    }

    // ---- what happened ----------------------------------------------------------------------

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Every request unmasked, as it arrived (see {@link RawRequest}). */
    public List<RawRequest> rawRequests() {
        return List.copyOf(rawRequests);
    }

    public List<Call> calls(String path) {
        return calls.stream().filter(c -> c.path().equals(path)).toList();
    }

    public long count429() {
        return calls.stream().filter(c -> c.status() == 429 && FLASHDUTY_PATHS.contains(c.path())).count();
    }

    public int createCount(String incidentId) {
        AtomicInteger n = creates.get(incidentId.toLowerCase(Locale.ROOT));
        return n == null ? 0 : n.get();
    }

    public Map<String, Integer> createCounts() {
        Map<String, Integer> m = new TreeMap<>();
        creates.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    public void resetCalls() {
        calls.clear();
        rawRequests.clear();
        synchronized (this) {
            accepted.clear();
        }
    }

    /** The most Flashduty request arrivals (accepted or not) in any window of this length. */
    public int maxInAnyWindow(long windowMillis) {
        return maxIn(calls.stream().filter(c -> !c.path().equals(ROCKETCHAT_PATH))
                .map(Call::arrivalNanos).sorted().toList(), windowMillis);
    }

    public synchronized int maxAcceptedInAnyWindow(long windowMillis) {
        return maxIn(accepted.stream().sorted().toList(), windowMillis);
    }

    /** The most timestamps (nanos, sorted) inside any half-open window of this length. */
    public static int maxIn(List<Long> sorted, long windowMillis) {
        return java.util.Arrays.stream(inWindowEndingAt(sorted, windowMillis)).max().orElse(0);
    }

    /** How many timestamps (nanos, sorted) arrived while {@code limit} others were already inside the window before them. */
    public static int overLimit(List<Long> sorted, long windowMillis, int limit) {
        return (int) java.util.Arrays.stream(inWindowEndingAt(sorted, windowMillis)).filter(n -> n > limit).count();
    }

    /** For each timestamp, how many (itself included) lie in the half-open window of this length ending at it. */
    private static int[] inWindowEndingAt(List<Long> sorted, long windowMillis) {
        long w = windowMillis * 1_000_000L;
        int[] counts = new int[sorted.size()];
        int lo = 0;
        for (int hi = 0; hi < sorted.size(); hi++) {
            while (sorted.get(hi) - sorted.get(lo) >= w) {
                lo++;
            }
            counts[hi] = hi - lo + 1;
        }
        return counts;
    }

    // ---- HTTP -------------------------------------------------------------------------------

    private void handle(HttpExchange http) throws IOException {
        long arrival = System.nanoTime();
        String path = http.getRequestURI().getPath();
        String rawQuery = http.getRequestURI().getRawQuery();
        Map<String, String> query = parseQuery(rawQuery);
        byte[] bodyBytes;
        try (InputStream in = http.getRequestBody()) {
            bodyBytes = in.readAllBytes();
        }
        String body = new String(bodyBytes, StandardCharsets.UTF_8);
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        http.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
        Map<String, List<String>> rawHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        http.getRequestHeaders().forEach((k, v) -> rawHeaders.put(k, List.copyOf(v)));
        rawRequests.add(new RawRequest(http.getRequestMethod(), http.getRequestURI().toString(), rawHeaders, body));
        Answer answer;
        try {
            if (ROCKETCHAT_PATH.equals(path)) {
                answer = rocketChat(http.getRequestMethod(), query, headers);
            } else {
                answer = flashduty(arrival, http.getRequestMethod(), path, query, headers, body);
            }
        } catch (RuntimeException e) {
            answer = error(500, "InternalError", "sandbox: " + e.getClass().getSimpleName());
        }
        long delay = slowMillis;
        if (slowNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            delay = Math.max(delay, slowNextMillis);
        }
        if (delay > 0) {
            LockSupport.parkNanos(delay * 1_000_000L); // a slow answer, as injected
        }
        Map<String, String> masked = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> masked.put(k, k.equalsIgnoreCase("X-Auth-Token") || k.equalsIgnoreCase("X-User-Id") ? "***" : v));
        String maskedQuery = rawQuery == null ? null : rawQuery.replaceAll("(app_key=)[^&]*", "$1***");
        byte[] out = answer.raw != null ? answer.raw : MAPPER.writeValueAsBytes(answer.body);
        calls.add(new Call(arrival, http.getRequestMethod(), path, maskedQuery, masked, body, answer.status, answer.errorCode,
                answer.requestId, answer.incidentId, answer.templateId, System.nanoTime() - arrival));
        LOG.debug("{} {} -> {} {}", http.getRequestMethod(), path, answer.status, answer.errorCode == null ? "" : answer.errorCode);
        http.getResponseHeaders().set("Content-Type", answer.raw != null ? "text/html" : "application/json");
        if (answer.requestId != null) {
            http.getResponseHeaders().set("Flashcat-Request-Id", answer.requestId);
        }
        answer.headers.forEach((k, v) -> http.getResponseHeaders().set(k, v));
        extraHeaders.forEach((k, v) -> http.getResponseHeaders().add(k, v));
        http.sendResponseHeaders(answer.status, out.length);
        try (OutputStream os = http.getResponseBody()) {
            os.write(out);
        }
    }

    private static final class Answer {
        int status;
        Object body;
        /** a body that is not Flashduty's (a gateway's page), sent as it is */
        byte[] raw;
        String errorCode;
        String requestId;
        String incidentId;
        String templateId;
        Map<String, String> headers = new LinkedHashMap<>();
    }

    private String nextRequestId() {
        return String.format("01SANDBOX%017d", requestIds.incrementAndGet());
    }

    private Answer ok(Object data) {
        Answer a = new Answer();
        a.status = 200;
        a.requestId = nextRequestId();
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("request_id", a.requestId);
        env.put("data", data);
        a.body = env;
        return a;
    }

    private Answer error(int status, String code, String message) {
        Answer a = new Answer();
        a.status = status;
        a.errorCode = code;
        a.requestId = nextRequestId();
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("request_id", a.requestId);
        env.put("error", Map.of("code", code, "message", message));
        a.body = env;
        return a;
    }

    private Answer flashduty(long arrival, String method, String path, Map<String, String> query, Map<String, String> headers, String body) {
        if (!FLASHDUTY_PATHS.contains(path)) {
            return error(404, "RouteNotFound", "route not found");
        }
        if (!config.appKey.equals(query.get("app_key"))) {
            return error(401, "Unauthorized", "invalid app_key");
        }
        if (!"POST".equals(method)) {
            return error(405, "MethodNotAllowed", "method not allowed");
        }
        synchronized (this) {
            long second = config.secondWindowMillis * 1_000_000L;
            long minute = config.minuteWindowMillis * 1_000_000L;
            int inSecond = 0;
            int inMinute = 0;
            for (int i = accepted.size() - 1; i >= 0; i--) {
                long age = arrival - accepted.get(i);
                if (age >= minute) {
                    break;
                }
                inMinute++;
                if (age < second) {
                    inSecond++;
                }
            }
            if (inSecond >= config.perSecond || inMinute >= config.perMinute) {
                return error(429, "RequestTooFrequently", "request too frequently");
            }
            accepted.add(arrival);
        }
        if (stormNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            Answer a = error(429, "RequestTooFrequently", "request too frequently");
            if (stormRetryAfter != null) {
                a.headers.put("Retry-After", String.valueOf(stormRetryAfter));
            }
            return a;
        }
        if (failNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            return error(failNextAs.status, failNextAs.code, "injected fault");
        }
        if (failFraction > 0 && Math.random() < failFraction) {
            return error(failRandomAs.status, failRandomAs.code, "injected fault");
        }
        String contentType = headers.getOrDefault("Content-Type", "");
        if (!contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return error(400, "InvalidContentType", "content type must be application/json");
        }
        JsonNode req;
        try {
            req = MAPPER.readTree(body.isEmpty() ? "{}" : body);
        } catch (IOException e) {
            return error(400, "InvalidParameter", "body is not JSON");
        }
        if (req == null || !req.isObject()) {
            return error(400, "InvalidParameter", "body must be an object");
        }
        return switch (path) {
            case "/datasource/im/war-room-enabled/list" -> ok(Map.of("items", List.copyOf(warRoomIntegrations)));
            case "/incident/war-room/create" -> create(req);
            case "/template/info" -> templateInfo(req);
            default -> templateList(req);
        };
    }

    private Answer create(JsonNode req) {
        JsonNode id = req.get("incident_id");
        if (id == null || !id.isTextual() || !OBJECT_ID.matcher(id.asText()).matches()) {
            return error(400, "InvalidParameter", "incident_id must be 24 hex characters");
        }
        String incidentId = id.asText().toLowerCase(Locale.ROOT);
        JsonNode integration = req.get("integration_id");
        if (integration == null || !integration.isIntegralNumber()) {
            return tag(error(400, "InvalidParameter", "integration_id must be an int64"), incidentId, null);
        }
        JsonNode members = req.get("member_ids");
        if (members != null && !members.isNull()) {
            if (!members.isArray()) {
                return tag(error(400, "InvalidParameter", "member_ids must be an array"), incidentId, null);
            }
            for (JsonNode m : members) {
                if (!m.isIntegralNumber()) {
                    return tag(error(400, "InvalidParameter", "member_ids must be int64"), incidentId, null);
                }
            }
        }
        JsonNode observers = req.get("add_observers");
        if (observers != null && !observers.isNull() && !observers.isBoolean()) {
            return tag(error(400, "InvalidParameter", "add_observers must be a boolean"), incidentId, null);
        }
        boolean enabled = warRoomIntegrations.stream().anyMatch(i -> ((Number) i.get("integration_id")).longValue() == integration.asLong());
        if (!enabled) {
            return tag(error(400, "ResourceNotFound", "integration not found or war room not enabled"), incidentId, null);
        }
        Failure f = incidentFailures.get(incidentId);
        if (f != null) {
            return tag(error(f.status, f.code, "injected failure for this incident"), incidentId, null);
        }
        creates.computeIfAbsent(incidentId, k -> new AtomicInteger()).incrementAndGet();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("chat_id", "oc_" + incidentId);
        data.put("chat_name", "Incident #" + incidentId.substring(18).toUpperCase(Locale.ROOT) + " war room");
        data.put("share_link", "");
        if (gatewayAfterCreate.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            Answer gateway = new Answer();
            gateway.status = gatewayStatus;
            gateway.errorCode = "gateway_" + gatewayStatus;
            gateway.raw = ("<html><body><h1>" + gatewayStatus + " from the gateway</h1></body></html>").getBytes(StandardCharsets.UTF_8);
            return tag(gateway, incidentId, null);
        }
        return tag(ok(data), incidentId, null);
    }

    private static Answer tag(Answer a, String incidentId, String templateId) {
        a.incidentId = incidentId;
        a.templateId = templateId;
        return a;
    }

    private Answer templateInfo(JsonNode req) {
        JsonNode id = req.get("template_id");
        if (id == null || !id.isTextual() || !OBJECT_ID.matcher(id.asText()).matches()) {
            return error(400, "InvalidParameter", "template_id must be 24 hex characters");
        }
        Map<String, Object> t = templates.get(id.asText().toLowerCase(Locale.ROOT));
        if (t == null) {
            return tag(error(400, "ResourceNotFound", "template not found"), null, id.asText());
        }
        return tag(ok(t), null, id.asText());
    }

    private Answer templateList(JsonNode req) {
        int p = req.path("p").asInt(1);
        int limit = req.path("limit").asInt(20);
        if (req.has("p") && !req.get("p").isIntegralNumber() || p < 1) {
            return error(400, "InvalidParameter", "p must be >= 1");
        }
        if (req.has("limit") && !req.get("limit").isIntegralNumber() || limit < 1 || limit > 100) {
            return error(400, "InvalidParameter", "limit must be 1..100");
        }
        String orderby = req.path("orderby").asText("updated_at");
        if (!orderby.equals("created_at") && !orderby.equals("updated_at")) {
            return error(400, "InvalidParameter", "orderby must be created_at or updated_at");
        }
        boolean asc = req.path("asc").asBoolean(false);
        boolean myTeam = req.path("is_my_team").asBoolean(false);
        List<Long> teamIds = new ArrayList<>();
        if (req.has("team_ids")) {
            if (!req.get("team_ids").isArray()) {
                return error(400, "InvalidParameter", "team_ids must be an array");
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
        int from = Math.min(matching.size(), (p - 1) * limit);
        int to = Math.min(matching.size(), from + limit);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("total", matching.size());
        data.put("has_next_page", to < matching.size());
        data.put("items", matching.subList(from, to));
        return ok(data);
    }

    private Answer rocketChat(String method, Map<String, String> query, Map<String, String> headers) {
        Answer a = new Answer();
        if (!"GET".equals(method)) {
            a.status = 405;
            a.body = Map.of("success", false, "error", "method not allowed");
            return a;
        }
        if (rocketChatResetAt > System.currentTimeMillis() && rocketChatLimitNext.get() == 0) {
            rocketChatCallsBeforeReset.incrementAndGet();
        }
        if (rocketChatUnauthorized || !config.rocketChatUserId.equals(headers.get("X-User-Id"))
                || !config.rocketChatAuthToken.equals(headers.get("X-Auth-Token"))) {
            a.status = 401;
            a.body = Map.of("status", "error", "message", "You must be logged in to do this.");
            return a;
        }
        if (rocketChatLimitNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            a.status = 429;
            a.body = Map.of("success", false, "error", "Error, too many requests. Please slow down.");
            a.headers.put("X-RateLimit-Limit", "10");
            a.headers.put("X-RateLimit-Remaining", "0");
            a.headers.put("X-RateLimit-Reset", String.valueOf(rocketChatResetAt));
            return a;
        }
        int offset = rocketChatOffsetStuck ? 0 : parseInt(query.get("offset"), 0);
        int count = Math.min(parseInt(query.get("count"), 50), config.rocketChatMaxCount);
        if (rocketChatTotalGrows) {
            for (int i = 0; i < count; i++) {
                int n = rocketChatGrown.getAndIncrement();
                rocketChatIntegrations.add(rocketChatIntegration(String.format("RcGrown%06d", n), n));
            }
        }
        List<Map<String, Object>> all = List.copyOf(rocketChatIntegrations);
        int from = Math.min(all.size(), Math.max(0, offset));
        int to = Math.min(all.size(), from + Math.max(0, count));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("integrations", all.subList(from, to));
        body.put("offset", from);
        body.put("items", to - from);
        body.put("total", all.size());
        body.put("success", true);
        a.status = 200;
        a.body = body;
        return a;
    }

    private static int parseInt(String s, int fallback) {
        try {
            return s == null ? fallback : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            m.put(k, v);
        }
        return m;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        executor.shutdownNow();
    }

    /** Runs the sandbox on SANDBOX_PORT (default 18080) with sample data, until killed. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : Integer.parseInt(System.getenv().getOrDefault("SANDBOX_PORT", "18080"));
        FlashdutySandbox s = start(new Config().port(port));
        s.seedTemplates(3);
        s.seedRocketChatIntegrations(2);
        System.out.println("Flashduty sandbox at " + s.baseUrl());
        Thread.currentThread().join();
    }
}
