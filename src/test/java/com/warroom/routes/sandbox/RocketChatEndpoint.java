package com.warroom.routes.sandbox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Rocket.Chat's {@code GET /api/v1/integrations.list}: X-User-Id / X-Auth-Token auth, offset/count
 * paging capped at the server's count limit, 429 with X-RateLimit-Reset, and the paging faults a
 * client must survive (an offset that never moves, a total that grows with every page).
 */
final class RocketChatEndpoint {

    static final String PATH = "/api/v1/integrations.list";

    private final FlashdutySandbox.Config config;
    private final SandboxFaults faults;
    final List<Map<String, Object>> integrations = new CopyOnWriteArrayList<>();
    private final AtomicInteger grown = new AtomicInteger();

    RocketChatEndpoint(FlashdutySandbox.Config config, SandboxFaults faults) {
        this.config = config;
        this.faults = faults;
    }

    void seed(int n) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(integration(String.format("RcIntegration%04d", i), i));
        }
        integrations.clear();
        integrations.addAll(items);
    }

    /** One integration named with {@code nameChars} characters, listing {@code channels} channels (its token and scripts are secrets). */
    static Map<String, Object> huge(String id, int nameChars, int channels) {
        Map<String, Object> it = integration(id, 0);
        it.put("name", "Huge " + "n".repeat(Math.max(0, nameChars - 5)));
        List<String> names = new ArrayList<>(channels);
        for (int c = 0; c < channels; c++) {
            names.add(String.format("#huge-channel-%05d", c));
        }
        it.put("channel", names);
        it.put("token", "rc-webhook-token-SECRET-huge");
        return it;
    }

    /** One integration; its token and scripts are secrets. */
    private static Map<String, Object> integration(String id, int i) {
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

    Answer answer(String method, Map<String, String> query, Map<String, String> headers) {
        if (!"GET".equals(method)) {
            return Answer.json(405, Map.of("success", false, "error", "method not allowed"));
        }
        faults.noteRocketChatCall();
        if (faults.rocketChatUnauthorized() || !config.rocketChatUserId().equals(headers.get("X-User-Id"))
                || !config.rocketChatAuthToken().equals(headers.get("X-Auth-Token"))) {
            return Answer.json(401, Map.of("status", "error", "message", "You must be logged in to do this."));
        }
        if (faults.rocketChatLimited()) {
            Answer a = Answer.json(429, Map.of("success", false, "error", "Error, too many requests. Please slow down."));
            a.headers.put("X-RateLimit-Limit", "10");
            a.headers.put("X-RateLimit-Remaining", "0");
            a.headers.put("X-RateLimit-Reset", String.valueOf(faults.rocketChatResetAt()));
            return a;
        }
        SandboxFaults.EmptyAnswer empty = faults.emptyAnswer(PATH);
        if (empty == SandboxFaults.EmptyAnswer.NO_LIST) {
            return Answer.json(200, Map.of("success", true));
        }
        if (empty == SandboxFaults.EmptyAnswer.EMPTY_LIST) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("integrations", List.of());
            body.put("offset", 0);
            body.put("items", 0);
            body.put("total", 0);
            body.put("success", true);
            return Answer.json(200, body);
        }
        int offset = faults.rocketChatOffsetStuck() ? 0 : parseInt(query.get("offset"), 0);
        int count = Math.min(parseInt(query.get("count"), 50), config.rocketChatMaxCount());
        if (faults.rocketChatTotalGrows()) {
            for (int i = 0; i < count; i++) {
                int n = grown.getAndIncrement();
                integrations.add(integration(String.format("RcGrown%06d", n), n));
            }
        }
        List<Map<String, Object>> all = List.copyOf(integrations);
        int from = Math.min(all.size(), Math.max(0, offset));
        int to = Math.min(all.size(), from + Math.max(0, count));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("integrations", all.subList(from, to));
        body.put("offset", from);
        body.put("items", to - from);
        body.put("total", all.size());
        body.put("success", true);
        return Answer.json(200, body);
    }

    private static int parseInt(String s, int fallback) {
        try {
            return s == null ? fallback : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
