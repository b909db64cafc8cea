package com.warroom.routes.sandbox;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * <p>
 * This class is the facade tests use; each concern has its own class: {@link SandboxServer} (HTTP,
 * outages, masking), {@link CallLog} (what was asked and answered), {@link FlashdutyEndpoints}
 * (Flashduty's endpoints and the account's data), {@link RocketChatEndpoint},
 * {@link SandboxFaults} (the switches) and {@link RateWindows} (both windows and their arithmetic).
 */
public final class FlashdutySandbox implements AutoCloseable {

    public static final String PRESET_TEMPLATE = "000000000000000000000001";
    public static final Set<String> FLASHDUTY_PATHS = FlashdutyEndpoints.PATHS;
    public static final String ROCKETCHAT_PATH = RocketChatEndpoint.PATH;
    /** The war-room-enabled integration and the Rocket.Chat integration {@link #hugeIntegration} adds. */
    public static final long HUGE_INTEGRATION_ID = 9363L;
    public static final String HUGE_ROCKETCHAT_ID = "RcHugeIntegration";

    /** A body no honest server sends (SandboxFaults, HostileBodies). */
    public enum HostileBody {
        /** the answer padded to 256 MiB of JSON whitespace, gzipped to some 260 KB, with Content-Encoding: gzip */
        GZIP_BOMB,
        /** the answer padded to 50 MB of JSON whitespace, sent plain (chunked: no length to refuse up front) */
        HUGE_PLAIN
    }

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

    private final Config config;
    private final SandboxFaults faults = new SandboxFaults();
    private final RateWindows windows;
    private final CallLog log = new CallLog();
    private final FlashdutyEndpoints flashduty;
    private final RocketChatEndpoint rocketChat;
    private final SandboxServer server;

    private FlashdutySandbox(Config config) throws IOException {
        this.config = config;
        this.windows = new RateWindows(config);
        this.flashduty = new FlashdutyEndpoints(config, windows, faults);
        this.rocketChat = new RocketChatEndpoint(config, faults);
        flashduty.myTeams.add(1L);
        flashduty.warRoomIntegrations.add(defaultIntegration());
        putTemplate(template(PRESET_TEMPLATE, "Preset", 0, 0, 1_700_000_000L));
        this.server = new SandboxServer(config.port(), flashduty, rocketChat, faults, log);
    }

    public static FlashdutySandbox start(Config config) throws IOException {
        return new FlashdutySandbox(config);
    }

    public Config config() {
        return config;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public int port() {
        return server.port();
    }

    // ---- seed data --------------------------------------------------------------------------

    public List<Map<String, Object>> warRoomIntegrations() {
        return flashduty.warRoomIntegrations;
    }

    public void setWarRoomIntegrations(List<Map<String, Object>> items) {
        flashduty.warRoomIntegrations.clear();
        flashduty.warRoomIntegrations.addAll(items);
    }

    public static Map<String, Object> defaultIntegration() {
        return FlashdutyEndpoints.defaultIntegration();
    }

    public void putTemplate(Map<String, Object> template) {
        flashduty.templates.put((String) template.get("template_id"), template);
    }

    public void removeTemplate(String id) {
        flashduty.templates.remove(id);
    }

    public Map<String, Map<String, Object>> templates() {
        return flashduty.templates;
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
        return FlashdutyEndpoints.template(id, name, teamId, creatorId, updatedAt);
    }

    public void setMyTeams(Set<Long> teams) {
        flashduty.myTeams.clear();
        flashduty.myTeams.addAll(teams);
    }

    public void setRocketChatIntegrations(List<Map<String, Object>> items) {
        rocketChat.integrations.clear();
        rocketChat.integrations.addAll(items);
    }

    public List<Map<String, Object>> rocketChatIntegrations() {
        return rocketChat.integrations;
    }

    public void seedRocketChatIntegrations(int n) {
        rocketChat.seed(n);
    }

    /**
     * Adds an oversized integration to both lists (an upstream no honest account has, which a catalog
     * must still publish): a war-room-enabled one, {@value #HUGE_INTEGRATION_ID}, named with
     * {@code nameChars} characters, after the others; and a Rocket.Chat one, {@value #HUGE_ROCKETCHAT_ID},
     * with such a name and {@code channels} channels.
     */
    public void hugeIntegration(int nameChars, int channels) {
        flashduty.warRoomIntegrations.add(FlashdutyEndpoints.hugeIntegration(HUGE_INTEGRATION_ID, nameChars));
        rocketChat.integrations.add(RocketChatEndpoint.huge(HUGE_ROCKETCHAT_ID, nameChars, channels));
    }

    /** Every secret value the sandbox knows: nothing of these may ever show outside the process. */
    public List<String> secretValues() {
        List<String> s = new ArrayList<>(List.of(config.appKey(), config.rocketChatUserId(), config.rocketChatAuthToken()));
        for (Map<String, Object> i : flashduty.warRoomIntegrations) {
            if (i.get("integration_key") != null) {
                s.add(String.valueOf(i.get("integration_key")));
            }
        }
        for (Map<String, Object> i : rocketChat.integrations) {
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
    public void outage(boolean on) throws IOException {
        server.outage(on);
    }

    /** The next n accepted Flashduty calls answer this error. */
    public void failNext(int n, int status, String code) {
        faults.failNext(n, status, code);
    }

    /** The next n accepted Flashduty calls on this path answer this error (the others are answered as usual). */
    public void failNextOn(int n, String path, int status, String code) {
        faults.failNextOn(n, path, status, code);
    }

    /**
     * The next n accepted Flashduty calls answer HTTP 500 with this {@code error.code}, as a hostile
     * server or a proxy could: line breaks and a forged log line in it, longer than any real code.
     */
    public void forgedErrorCodeNext(int n, String code) {
        faults.forgedErrorCodeNext(n, code);
    }

    /**
     * The next n successful answers on this path (the war-room-enabled list, Rocket.Chat's
     * integrations.list) hold no list at all: Flashduty's {@code {"data": {}}}, Rocket.Chat's
     * {@code {"success": true}}.
     */
    public void emptyDataNext(int n, String path) {
        faults.emptyNext(SandboxFaults.EmptyAnswer.NO_LIST, n, path);
    }

    /**
     * The next n successful answers on this path hold an empty list: Flashduty's
     * {@code {"data": {"items": []}}}, Rocket.Chat's well-formed page of nothing (total 0).
     */
    public void emptyListNext(int n, String path) {
        faults.emptyNext(SandboxFaults.EmptyAnswer.EMPTY_LIST, n, path);
    }

    /** The next n /template/list answers hold no template but say {@code has_next_page: true} (with the true total). */
    public void emptyPageWithNextNext(int n) {
        faults.emptyPageWithNextNext(n);
    }

    /** How many of the empty answers asked for on this path ({@link #emptyDataNext}, {@link #emptyListNext}) are still to come. */
    public int emptyAnswersLeft(String path) {
        return faults.emptyAnswersLeft(path);
    }

    /** How many of the pages of nothing asked for ({@link #emptyPageWithNextNext}) are still to come. */
    public int emptyPagesWithNextLeft() {
        return faults.emptyPagesWithNextLeft();
    }

    /** This fraction of accepted Flashduty calls, at random, answer this error. */
    public void failRandomly(double fraction, int status, String code) {
        faults.failRandomly(fraction, status, code);
    }

    /** Every answer is held back this long. */
    public void slow(long millis) {
        faults.slow(millis);
    }

    /** The next n answers are held back at least this long. */
    public void slowNext(int n, long millis) {
        faults.slowNext(n, millis);
    }

    /**
     * The next n creates open the room, then a gateway in front answers {@code status} (502, 504)
     * with its own HTML page instead of Flashduty's envelope: the client cannot tell the room exists.
     */
    public void gatewayErrorAfterCreate(int n, int status) {
        faults.gatewayErrorAfterCreate(n, status);
    }

    /** The answers of the next n creates (the room opened) come a byte at a time, {@code millisPerByte} apart. */
    public void trickleCreates(int n, long millisPerByte) {
        faults.trickleCreates(n, millisPerByte);
    }

    /**
     * The next n answers on each of these paths (Flashduty's or Rocket.Chat's; a create opens the room
     * first) are sent as this hostile body: the true answer padded with whitespace to hundreds of MiB.
     */
    public void hostileAnswers(HostileBody kind, int n, String... paths) {
        prepare(kind);
        faults.hostileAnswers(kind, n, paths);
    }

    /**
     * Builds what this kind of hostile body needs (the gzip bomb's deflated padding: seconds on a loaded
     * machine) once per JVM: call it before the application starts, so arming the fault mid-run is
     * instant and the service does not finish the burst while the fault is still being prepared.
     */
    public static void prepare(HostileBody kind) {
        HostileBodies.prepare(kind);
    }

    /** The next n integrations.list answers come a byte at a time, {@code millisPerByte} apart. */
    public void trickleRocketChat(int n, long millisPerByte) {
        faults.trickleRocketChat(n, millisPerByte);
    }

    /** The next n creates open the room and answer it with a chat_name of this many characters. */
    public void hugeChatNames(int n, int chars) {
        faults.hugeChatNames(n, chars);
    }

    /** The next n accepted Flashduty calls answer 429 RequestTooFrequently (with Retry-After when not null). */
    public void rateLimitStorm(int n, Integer retryAfterSeconds) {
        faults.rateLimitStorm(n, retryAfterSeconds);
    }

    /** Every create for this incident answers this error (no room is opened). */
    public void failIncident(String incidentId, int status, String code) {
        faults.failIncident(incidentId, status, code);
    }

    /** Headers added to every answer (a hostile or confused server's). */
    public void extraResponseHeaders(Map<String, String> headers) {
        faults.extraResponseHeaders(headers);
    }

    /** integrations.list answers 401 whatever the credentials. */
    public void rocketChatUnauthorized(boolean on) {
        faults.rocketChatUnauthorized(on);
    }

    /**
     * integrations.list answers {@code offset: 0} and the first page whatever offset is asked for,
     * with the true total: a client that trusts the answer's offset asks for the same page for ever.
     */
    public void rocketChatOffsetStuck(boolean on) {
        faults.rocketChatOffsetStuck(on);
    }

    /**
     * Each integrations.list call first adds as many new integrations as it was asked for, so the
     * total grows by a page with every page: a client that pages until {@code offset+items >= total}
     * never gets there. Turning it off leaves the added ones in the list.
     */
    public void rocketChatTotalGrows(boolean on) {
        faults.rocketChatTotalGrows(on);
    }

    /** The next n calls answer 429 with X-RateLimit-Reset {@code resetInMillis} from now (a long one: a long wait). */
    public void rocketChatRateLimitNext(int n, long resetInMillis) {
        faults.rocketChatRateLimitNext(n, resetInMillis);
    }

    /** Rocket.Chat calls that arrived while a 429's X-RateLimit-Reset had not yet passed (a client must wait). */
    public int rocketChatCallsBeforeReset() {
        return faults.rocketChatCallsBeforeReset();
    }

    public void clearFaults() {
        faults.clear();
    }

    // ---- what happened ----------------------------------------------------------------------

    public List<Call> calls() {
        return log.calls();
    }

    /** Every request unmasked, as it arrived (see {@link RawRequest}). */
    public List<RawRequest> rawRequests() {
        return log.rawRequests();
    }

    public List<Call> calls(String path) {
        return log.calls(path);
    }

    /** Flashduty calls answered 429 (by the windows or a storm). */
    public long count429() {
        return log.flashdutyRejectedByRate();
    }

    public int createCount(String incidentId) {
        return flashduty.createCount(incidentId);
    }

    public Map<String, Integer> createCounts() {
        return flashduty.createCounts();
    }

    /** Forgets the calls and the windows' accepted arrivals (not the rooms opened). */
    public void resetCalls() {
        log.clear();
        windows.clear();
    }

    /** The most Flashduty request arrivals (accepted or not) in any window of this length. */
    public int maxInAnyWindow(long windowMillis) {
        return log.maxFlashdutyInAnyWindow(windowMillis);
    }

    /** The most accepted Flashduty calls in any window of this length. */
    public int maxAcceptedInAnyWindow(long windowMillis) {
        return windows.maxAcceptedInAnyWindow(windowMillis);
    }

    /** The most timestamps (nanos, sorted) inside any half-open window of this length. */
    public static int maxIn(List<Long> sorted, long windowMillis) {
        return RateWindows.maxIn(sorted, windowMillis);
    }

    /** How many timestamps (nanos, sorted) arrived while {@code limit} others were already inside the window before them. */
    public static int overLimit(List<Long> sorted, long windowMillis, int limit) {
        return RateWindows.overLimit(sorted, windowMillis, limit);
    }

    @Override
    public void close() {
        server.close();
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
