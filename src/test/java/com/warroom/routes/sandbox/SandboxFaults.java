package com.warroom.routes.sandbox;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The switchable faults, set by a test through {@link FlashdutySandbox} and consulted by the
 * endpoints and the server as each request is answered. "Next n" faults count down once per request
 * they apply to; {@link #clear()} turns every fault off (Rocket.Chat's reset time and the count of
 * calls that came too early stay, as before).
 */
final class SandboxFaults {

    /** An injected error answer. */
    record Failure(int status, String code) {
    }

    /** A successful answer that holds nothing: no list at all, or an empty one. */
    enum EmptyAnswer {
        /** Flashduty's {@code {"data": {}}}; Rocket.Chat's {@code {"success": true}}: no list */
        NO_LIST,
        /** Flashduty's {@code {"data": {"items": []}}}; Rocket.Chat's well-formed page of nothing, total 0 */
        EMPTY_LIST
    }

    // Flashduty
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile Failure failNextAs;
    private volatile double failFraction;
    private volatile Failure failRandomAs;
    private final AtomicInteger stormNext = new AtomicInteger();
    private volatile Integer stormRetryAfter;
    private final AtomicInteger gatewayAfterCreate = new AtomicInteger();
    private volatile int gatewayStatus;
    private final Map<String, Failure> incidentFailures = new ConcurrentHashMap<>();
    private final AtomicInteger trickleCreates = new AtomicInteger();
    private volatile long trickleMillisPerByte;
    private final AtomicInteger hugeChatNames = new AtomicInteger();
    private volatile int hugeChatNameChars;
    private final Map<String, AtomicInteger> failNextOn = new ConcurrentHashMap<>();
    private final Map<String, Failure> failNextOnAs = new ConcurrentHashMap<>();
    private final AtomicInteger forgedNext = new AtomicInteger();
    private volatile String forgedCode;
    private final AtomicInteger emptyPageWithNext = new AtomicInteger();
    // any path (Flashduty's, Rocket.Chat's)
    private final Map<String, AtomicInteger> hostileNext = new ConcurrentHashMap<>();
    private final Map<String, FlashdutySandbox.HostileBody> hostileBodies = new ConcurrentHashMap<>();
    private final AtomicInteger trickleRocketChat = new AtomicInteger();
    private final Map<String, AtomicInteger> emptyNext = new ConcurrentHashMap<>();
    private final Map<String, EmptyAnswer> emptyKinds = new ConcurrentHashMap<>();
    // every answer
    private volatile long slowMillis;
    private final AtomicInteger slowNext = new AtomicInteger();
    private volatile long slowNextMillis;
    private volatile Map<String, String> extraHeaders = Map.of();
    // Rocket.Chat
    private volatile boolean rocketChatUnauthorized;
    private final AtomicInteger rocketChatLimitNext = new AtomicInteger();
    private volatile long rocketChatResetAt;
    private final AtomicInteger rocketChatCallsBeforeReset = new AtomicInteger();
    private volatile boolean rocketChatOffsetStuck;
    private volatile boolean rocketChatTotalGrows;

    // ---- switches ----

    void failNext(int n, int status, String code) {
        failNextAs = new Failure(status, code);
        failNext.set(n);
    }

    void failRandomly(double fraction, int status, String code) {
        failRandomAs = new Failure(status, code);
        failFraction = fraction;
    }

    void slow(long millis) {
        slowMillis = millis;
    }

    void slowNext(int n, long millis) {
        slowNextMillis = millis;
        slowNext.set(n);
    }

    void gatewayErrorAfterCreate(int n, int status) {
        gatewayStatus = status;
        gatewayAfterCreate.set(n);
    }

    void trickleCreates(int n, long millisPerByte) {
        trickleMillisPerByte = millisPerByte;
        trickleCreates.set(n);
    }

    void hostileAnswers(FlashdutySandbox.HostileBody kind, int n, String... paths) {
        for (String path : paths) {
            hostileBodies.put(path, kind);
            hostileNext.put(path, new AtomicInteger(n));
        }
    }

    void trickleRocketChat(int n, long millisPerByte) {
        trickleMillisPerByte = millisPerByte;
        trickleRocketChat.set(n);
    }

    void failNextOn(int n, String path, int status, String code) {
        failNextOnAs.put(path, new Failure(status, code));
        failNextOn.put(path, new AtomicInteger(n));
    }

    void forgedErrorCodeNext(int n, String code) {
        forgedCode = code;
        forgedNext.set(n);
    }

    void emptyNext(EmptyAnswer kind, int n, String path) {
        emptyKinds.put(path, kind);
        emptyNext.put(path, new AtomicInteger(n));
    }

    void emptyPageWithNextNext(int n) {
        emptyPageWithNext.set(n);
    }

    void hugeChatNames(int n, int chars) {
        hugeChatNameChars = chars;
        hugeChatNames.set(n);
    }

    void rateLimitStorm(int n, Integer retryAfterSeconds) {
        stormRetryAfter = retryAfterSeconds;
        stormNext.set(n);
    }

    void failIncident(String incidentId, int status, String code) {
        incidentFailures.put(incidentId.toLowerCase(Locale.ROOT), new Failure(status, code));
    }

    void extraResponseHeaders(Map<String, String> headers) {
        extraHeaders = Map.copyOf(headers);
    }

    void rocketChatUnauthorized(boolean on) {
        rocketChatUnauthorized = on;
    }

    void rocketChatOffsetStuck(boolean on) {
        rocketChatOffsetStuck = on;
    }

    void rocketChatTotalGrows(boolean on) {
        rocketChatTotalGrows = on;
    }

    void rocketChatRateLimitNext(int n, long resetInMillis) {
        rocketChatResetAt = System.currentTimeMillis() + resetInMillis;
        rocketChatLimitNext.set(n);
    }

    int rocketChatCallsBeforeReset() {
        return rocketChatCallsBeforeReset.get();
    }

    void clear() {
        failNext.set(0);
        gatewayAfterCreate.set(0);
        trickleCreates.set(0);
        hugeChatNames.set(0);
        hostileNext.clear();
        failNextOn.clear();
        forgedNext.set(0);
        emptyNext.clear();
        emptyPageWithNext.set(0);
        trickleRocketChat.set(0);
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

    // ---- what the endpoints ask, once per request ----

    /** A 429 storm's answer for this accepted Flashduty call, or null. */
    Answer storm() {
        if (takeOne(stormNext)) {
            Answer a = Answer.error(429, "RequestTooFrequently", "request too frequently");
            if (stormRetryAfter != null) {
                a.headers.put("Retry-After", String.valueOf(stormRetryAfter));
            }
            return a;
        }
        return null;
    }

    /** An injected error (the next n on this path, a forged code, the next n, or a random fraction) for this accepted Flashduty call, or null. */
    Answer injectedError(String path) {
        AtomicInteger onPath = failNextOn.get(path);
        if (onPath != null && takeOne(onPath)) {
            Failure f = failNextOnAs.get(path);
            return Answer.error(f.status(), f.code(), "injected fault");
        }
        if (takeOne(forgedNext)) {
            return Answer.error(500, forgedCode, "injected fault: a forged error code");
        }
        if (takeOne(failNext)) {
            return Answer.error(failNextAs.status(), failNextAs.code(), "injected fault");
        }
        if (failFraction > 0 && Math.random() < failFraction) {
            return Answer.error(failRandomAs.status(), failRandomAs.code(), "injected fault");
        }
        return null;
    }

    /** The failure set for this incident's creates, or null. */
    Failure incidentFailure(String incidentId) {
        return incidentFailures.get(incidentId);
    }

    /** Whether this create, already made, is answered by the gateway's page; then {@link #gatewayStatus()}. */
    boolean gatewayAfterThisCreate() {
        return takeOne(gatewayAfterCreate);
    }

    int gatewayStatus() {
        return gatewayStatus;
    }

    /** The pause between the bytes of this answer of a create, in ms (0: it is sent at once). */
    long trickleMillisPerByte(String path) {
        return "/incident/war-room/create".equals(path) && takeOne(trickleCreates)
                || RocketChatEndpoint.PATH.equals(path) && takeOne(trickleRocketChat) ? trickleMillisPerByte : 0;
    }

    /** The hostile body this answer on {@code path} is sent as, or null (the answer as it is). */
    FlashdutySandbox.HostileBody hostileBody(String path) {
        AtomicInteger next = hostileNext.get(path);
        return next != null && takeOne(next) ? hostileBodies.get(path) : null;
    }

    /** The empty answer this successful answer on {@code path} is replaced by, or null (the answer as it is). */
    EmptyAnswer emptyAnswer(String path) {
        AtomicInteger next = emptyNext.get(path);
        return next != null && takeOne(next) ? emptyKinds.get(path) : null;
    }

    int emptyAnswersLeft(String path) {
        AtomicInteger next = emptyNext.get(path);
        return next == null ? 0 : next.get();
    }

    int emptyPagesWithNextLeft() {
        return emptyPageWithNext.get();
    }

    /** Whether this /template/list answer is a page of nothing that says a next page follows. */
    boolean emptyPageWithNext() {
        return takeOne(emptyPageWithNext);
    }

    /** How many characters this create's chat_name has (0: the usual name). */
    int hugeChatNameChars() {
        return takeOne(hugeChatNames) ? hugeChatNameChars : 0;
    }

    /** How long this answer is held back, in ms (0: not at all). */
    long delayMillis() {
        long delay = slowMillis;
        if (takeOne(slowNext)) {
            delay = Math.max(delay, slowNextMillis);
        }
        return delay;
    }

    Map<String, String> extraHeaders() {
        return extraHeaders;
    }

    /** Counts a Rocket.Chat call that came while a 429's reset time had not passed (after the last 429). */
    void noteRocketChatCall() {
        if (rocketChatResetAt > System.currentTimeMillis() && rocketChatLimitNext.get() == 0) {
            rocketChatCallsBeforeReset.incrementAndGet();
        }
    }

    boolean rocketChatUnauthorized() {
        return rocketChatUnauthorized;
    }

    /** Whether this Rocket.Chat call is answered 429; then {@link #rocketChatResetAt()}. */
    boolean rocketChatLimited() {
        return takeOne(rocketChatLimitNext);
    }

    long rocketChatResetAt() {
        return rocketChatResetAt;
    }

    boolean rocketChatOffsetStuck() {
        return rocketChatOffsetStuck;
    }

    boolean rocketChatTotalGrows() {
        return rocketChatTotalGrows;
    }

    /** Takes one from a "next n" count; false when it is spent. */
    private static boolean takeOne(AtomicInteger next) {
        return next.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }
}
