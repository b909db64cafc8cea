package com.warroom.routes;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Settings are data, never expressions. The routes paste some settings into places that evaluate
 * what they hold: the Rocket.Chat URL into a {@code toD} and a filter, the war-room filters into
 * Simple predicates. A value such as {@code ${env:FLASHDUTY_APP_KEY}} there would be evaluated (and
 * the key sent to that host). So each such setting is checked once, at start, against what it may
 * be; anything else stops the start with one line naming the setting (never its value: it may be a
 * secret pasted in the wrong place).
 */
public final class SettingsAsData {

    /** A comma-separated list of Flashduty names (event types, severities), no spaces. */
    static final Pattern NAME_LIST = Pattern.compile("[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*");
    /** A comma-separated list of numeric ids, or one id. */
    static final Pattern ID_LIST = Pattern.compile(" *[0-9]{1,19} *(, *[0-9]{1,19} *)*");
    static final Pattern ONE_ID = Pattern.compile("[0-9]{1,19}");

    private SettingsAsData() {
    }

    /**
     * Checks every setting a route or a client uses as text.
     *
     * @param value resolves a key as at start
     * @param env   the raw environment: Camel resolves a placeholder nested in an environment value
     *              ({@code ROCKETCHAT_URL=https://x/{{env:FLASHDUTY_APP_KEY}}} would arrive resolved,
     *              the key in the URL), so the raw variable is checked too
     */
    public static void check(Function<String, String> value, Function<String, String> env) {
        setting("FLASHDUTY_BASE_URL", "flashduty.base-url", value, env, (name, v) -> url(name, v, true));
        setting("ROCKETCHAT_URL", "rocketchat.url", value, env, (name, v) -> url(name, v, false));
        setting("WAR_ROOM_EVENT_TYPES", "war-room.event-types", value, env, (name, v) -> matches(name, v, NAME_LIST, true,
                "a comma-separated list of event types without spaces, e.g. i_new,i_assign"));
        setting("WAR_ROOM_SEVERITIES", "war-room.severities", value, env, (name, v) -> matches(name, v, NAME_LIST, true,
                "a comma-separated list of severities without spaces, e.g. Critical,Warning"));
        setting("WAR_ROOM_MEMBER_IDS", "war-room.member-ids", value, env,
                (name, v) -> matches(name, v, ID_LIST, false, "a comma-separated list of numeric member ids"));
        setting("WAR_ROOM_INTEGRATION_ID", "war-room.integration-id", value, env,
                (name, v) -> matches(name, v, ONE_ID, false, "one numeric integration id"));
    }

    /** The raw environment variable holds no expression, and the resolved value passes {@code rule}. */
    private static void setting(String envName, String key, Function<String, String> value, Function<String, String> env,
                                BiConsumer<String, String> rule) {
        String name = envName + " (" + key + ")";
        noExpression(name, env.apply(envName));
        rule.accept(name, value.apply(key));
    }

    private static void noExpression(String name, String raw) {
        if (raw != null && (raw.contains("${") || raw.contains("{{") || raw.contains("}}"))) {
            throw new StartupProblem(name + " holds an expression (a placeholder or a Simple expression); it must be plain data");
        }
    }

    static void url(String key, String raw, boolean required) {
        String v = raw == null ? "" : raw.trim();
        if (v.isEmpty()) {
            if (required) {
                throw new StartupProblem(key + " is empty; it must be an http(s) URL");
            }
            return;
        }
        noExpression(key, v);
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            throw new StartupProblem(key + " is not a URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new StartupProblem(key + " must be an http(s) URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new StartupProblem(key + " names no host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new StartupProblem(key + " must not hold credentials, a query or a fragment (secrets have settings of their own)");
        }
    }

    static void matches(String key, String raw, Pattern pattern, boolean required, String what) {
        String v = raw == null ? "" : raw.trim();
        if (v.isEmpty() ? required : !pattern.matcher(v).matches()) {
            throw new StartupProblem(key + " must be " + what);
        }
    }
}
