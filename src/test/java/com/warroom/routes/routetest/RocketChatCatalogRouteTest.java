package com.warroom.routes.routetest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.warroom.routes.routetest.FlashdutyStub.Answer;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.support.DefaultExchange;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static com.warroom.routes.sandbox.FlashdutySandbox.ROCKETCHAT_PATH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rocket.Chat's part of the IM catalog, routes/50-im-catalog.yaml with ROCKETCHAT_URL set: the route's
 * own HTTP step calls the sandbox's integrations.list (the credentials added inside the HTTP client,
 * every answer read within ROCKETCHAT_MAX_ANSWER_BYTES and ROCKETCHAT_CALL_TIMEOUT_MS), pages through
 * it and publishes {@code rocketchat:<_id>} entries without token or scripts; a refresh that fails for
 * any reason publishes nothing, says why in one line, and marks the source stale until a good one.
 * Flashduty's answers come from the stub. Each test starts from a good refresh of both sources, the
 * sandbox holding 8 integrations served at most 3 a page.
 */
class RocketChatCatalogRouteTest extends RouteTestSupport {

    static final String TOPIC = "im-integrations";

    final FlashdutySandbox sandbox = sandbox();
    final CompactedTopic topic = new CompactedTopic(TOPIC);
    int writesBefore;

    static FlashdutySandbox sandbox() {
        try {
            return FlashdutySandbox.start(new FlashdutySandbox.Config().rocketChatMaxCount(3));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>(PROPERTIES);
        p.put("rocketchat.url", sandbox.baseUrl());
        p.put("rocketchat.user-id-file", RunningApp.secretFile(sandbox.config().rocketChatUserId()).toString());
        p.put("rocketchat.auth-token-file", RunningApp.secretFile(sandbox.config().rocketChatAuthToken()).toString());
        p.put("rocketchat.page-size", "3");
        // how long one refresh may wait out 429s (and how far apart two empty lists must be)
        p.put("rocketchat.refresh", "10s");
        p.put("rocketchat.max-answer-bytes", "65536");
        p.put("rocketchat.call-timeout-ms", "1500");
        return p;
    }

    @AfterAll
    void stopSandbox() {
        sandbox.close();
    }

    @BeforeEach
    void bothSourcesRefreshed() {
        sandbox.clearFaults();
        sandbox.seedRocketChatIntegrations(8);
        sandbox.resetCalls();
        records.whenAnyExchangeReceived(topic);
        refreshFlashduty();
        refreshRocketChat();
        assertEquals(9, topic.held().size(), topic.held().keySet().toString());
        assertEquals(0.0, stale("rocketchat"));
        writesBefore = topic.writes().size();
    }

    @Test
    void everyPageIsAskedForAndBothProvidersArePublishedWithoutSecrets() throws Exception {
        List<FlashdutySandbox.Call> pages = sandbox.calls(ROCKETCHAT_PATH);
        assertEquals(List.of(200, 200, 200), pages.stream().map(FlashdutySandbox.Call::status).toList(),
                "8 integrations at most 3 a page, the credentials accepted: " + pages);
        assertEquals(List.of("offset=0&count=3", "offset=3&count=3", "offset=6&count=3"),
                pages.stream().map(FlashdutySandbox.Call::query).toList());

        Set<String> keys = topic.held().keySet();
        assertTrue(keys.contains("flashduty:362"), keys.toString());
        for (int i = 0; i < 8; i++) {
            assertTrue(keys.contains(String.format("rocketchat:RcIntegration%04d", i)), keys.toString());
        }
        JsonNode rc = MAPPER.readTree(topic.held().get("rocketchat:RcIntegration0002"));
        assertEquals(ImCatalogRouteTest.FIELDS, ImCatalogRouteTest.fieldNames(rc), rc.toString());
        assertEquals("rocketchat", rc.path("provider").asText());
        assertEquals("webhook-incoming", rc.path("type").asText());
        assertEquals("#ops-2", rc.path("channels").get(0).asText());
        assertFalse(MAPPER.readTree(topic.held().get("rocketchat:RcIntegration0004")).path("enabled").asBoolean());
        for (CompactedTopic.Written w : topic.writes()) {
            assertEquals(Map.of(KafkaConstants.KEY, w.key()), w.headers(), "the key and nothing else");
            for (String secret : sandbox.secretValues()) {
                assertFalse(String.valueOf(w.value()).contains(secret), "a secret in " + w);
            }
            assertFalse(String.valueOf(w.value()).contains("SECRET"), "token or script in " + w);
        }
    }

    @Test
    void onlyWhatChangedIsPublishedAndWhatVanishedIsTombstoned() {
        refreshRocketChat();
        assertEquals(List.of(), topic.writesSince(writesBefore), "an unchanged list publishes nothing");

        List<Map<String, Object>> changed = new ArrayList<>(sandbox.rocketChatIntegrations());
        changed.remove(4);
        Map<String, Object> renamed = new LinkedHashMap<>(changed.get(1));
        renamed.put("name", "Renamed");
        changed.set(1, renamed);
        sandbox.setRocketChatIntegrations(changed);
        refreshRocketChat();

        List<CompactedTopic.Written> written = topic.writesSince(writesBefore);
        assertEquals(Set.of("rocketchat:RcIntegration0001", "rocketchat:RcIntegration0004"), ImCatalogRouteTest.keys(written));
        assertEquals(2, written.size(), written.toString());
        assertNull(written.stream().filter(w -> w.key().endsWith("0004")).findFirst().orElseThrow().value(), "a tombstone");
        assertTrue(topic.held().get("rocketchat:RcIntegration0001").contains("\"name\":\"Renamed\""));
        assertTrue(topic.held().containsKey("flashduty:362"), "Flashduty's entries are not Rocket.Chat's to remove");
    }

    /** Ways a refresh fails, each with the words its one log line says why in. */
    enum Failure {
        UNAUTHORIZED(s -> s.rocketChatUnauthorized(true), "refused the credentials (401)"),
        NOT_A_LIST(s -> s.emptyDataNext(1, ROCKETCHAT_PATH), "without a list of integrations"),
        OFFSET_STUCK(s -> s.rocketChatOffsetStuck(true), "does not advance"),
        TOTAL_GROWS(s -> s.rocketChatTotalGrows(true), "total grew"),
        ANSWER_TOO_LARGE(s -> s.hostileAnswers(FlashdutySandbox.HostileBody.HUGE_PLAIN, 1, ROCKETCHAT_PATH),
                "larger than ROCKETCHAT_MAX_ANSWER_BYTES"),
        TRICKLING_ANSWER(s -> s.trickleRocketChat(1, 500), "no whole answer within ROCKETCHAT_CALL_TIMEOUT_MS");

        final Consumer<FlashdutySandbox> fault;
        final String why;

        Failure(Consumer<FlashdutySandbox> fault, String why) {
            this.fault = fault;
            this.why = why;
        }
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void aFailedRefreshPublishesNothingSaysWhyOnceAndLeavesTheSourceStaleUntilAGoodOne(Failure failure) {
        Map<String, String> before = topic.held();
        double tooLarge = meter("war.room.http.answers.too.large", "service", "rocketchat");
        failure.fault.accept(sandbox);
        try (LogCapture logs = LogCapture.capture()) {
            refreshRocketChat();

            List<String> lines = logs.lines().stream().filter(l -> l.contains("Rocket.Chat catalog refresh failed")).toList();
            assertEquals(1, lines.size(), "one line per refresh: " + lines);
            assertTrue(lines.get(0).contains(failure.why), lines.get(0));
            for (String line : logs.lines()) {
                sandbox.secretValues().forEach(secret -> assertFalse(line.contains(secret), line));
            }
        }
        assertEquals(List.of(), topic.writesSince(writesBefore), "no record and no tombstone");
        assertEquals(before, topic.held(), "the last good catalog stays");
        assertEquals(1.0, stale("rocketchat"));
        assertEquals(0.0, stale("flashduty"));
        assertEquals(failure == Failure.ANSWER_TOO_LARGE ? tooLarge + 1 : tooLarge, meter("war.room.http.answers.too.large", "service", "rocketchat"));
        HealthCheck.Result health = CompactedTopic.health(context, "im-catalog");
        assertEquals(HealthCheck.State.UP, health.getState(), "a stale catalog does not make the module unready");
        assertTrue(health.getMessage().orElse("").contains("rocketchat"), health.getMessage().toString());

        sandbox.clearFaults();
        sandbox.seedRocketChatIntegrations(8);
        refreshRocketChat();
        assertEquals(0.0, stale("rocketchat"), "a good refresh clears it");
        assertTrue(CompactedTopic.health(context, "im-catalog").getMessage().isEmpty());
    }

    @Test
    void aRateLimitIsWaitedOutUntilItsResetWhileFlashdutysRefreshGoesOn() throws Exception {
        sandbox.resetCalls();
        sandbox.rocketChatRateLimitNext(1, 1200);
        CompletableFuture<Exchange> rocketChat = template().asyncSend("direct:rocketchat-catalog-refresh", new DefaultExchange(context));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !sandbox.calls(ROCKETCHAT_PATH).isEmpty());
        assertEquals(429, sandbox.calls(ROCKETCHAT_PATH).get(0).status());

        flashduty.script(FlashdutyStub.LIST, Answer.ok(ImCatalogRouteTest.twoIntegrations()));
        refreshFlashduty();
        assertTrue(topic.held().containsKey("flashduty:" + ImCatalogRouteTest.SLACK_ID), "Flashduty's refresh is not held up");
        assertFalse(rocketChat.isDone(), "the Rocket.Chat refresh still waits for X-RateLimit-Reset");

        assertNull(rocketChat.get(30, TimeUnit.SECONDS).getException());
        assertEquals(0, sandbox.rocketChatCallsBeforeReset(), "no call before X-RateLimit-Reset");
        assertEquals(List.of(429, 200, 200, 200), sandbox.calls(ROCKETCHAT_PATH).stream().map(FlashdutySandbox.Call::status).toList());
        assertEquals(0.0, stale("rocketchat"));
    }

    void refreshFlashduty() {
        Exchange done = template().send("direct:im-catalog-refresh", new DefaultExchange(context));
        assertNull(done.getException());
    }

    void refreshRocketChat() {
        Exchange done = template().send("direct:rocketchat-catalog-refresh", new DefaultExchange(context));
        assertNull(done.getException());
    }

    double stale(String provider) {
        return meter("war.room.im.catalog.stale", "provider", provider);
    }

    double meter(String name, String... tags) {
        Double v = CompactedTopic.meter(context, name, tags);
        return v == null ? -1 : v;
    }
}
