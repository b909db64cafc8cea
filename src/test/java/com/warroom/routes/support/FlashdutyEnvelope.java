package com.warroom.routes.support;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Flashduty's two answer envelopes as CONTRACT.md gives them, for everything in the tests that
 * answers like Flashduty (the sandbox, the route tests' stub): written once so the two cannot drift.
 */
public final class FlashdutyEnvelope {

    private FlashdutyEnvelope() {
    }

    /** Success: {@code {"request_id", "data"}}. */
    public static Map<String, Object> ok(String requestId, Object data) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("request_id", requestId);
        env.put("data", data);
        return env;
    }

    /** Failure: {@code {"request_id", "error": {"code", "message"}}}. */
    public static Map<String, Object> error(String requestId, String code, String message) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("request_id", requestId);
        env.put("error", Map.of("code", code, "message", message));
        return env;
    }
}
