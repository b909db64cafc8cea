package com.warroom.routes.security;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.Records;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A Flashduty or Rocket.Chat address that answers with a redirect to another host never makes the
 * module send anything there: no app_key, no X-Auth-Token, no request at all. Camel 4.18.2's camel-http
 * sends credentials on a cross-host redirect when it follows one (fixed only in 4.18.5 / 4.22.1, which
 * do not resolve here: README, Security); the shipped routes set {@code followRedirects=false} and both
 * HTTP client configurers disable redirect handling, and this test shows the two hold.
 */
class RedirectsIT {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void redirectsToAnotherHostAreNotFollowed() throws Exception {
        HttpServer redirector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> asked = new CopyOnWriteArrayList<>();
        try (FlashdutySandbox trap = FlashdutySandbox.start(new FlashdutySandbox.Config());
             FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            redirector.createContext("/", exchange -> {
                asked.add(exchange.getRequestURI().getPath());
                exchange.getRequestBody().readAllBytes();
                // 307 keeps the method and body: a client that follows it repeats the call at the trap
                exchange.getResponseHeaders().add("Location", trap.baseUrl() + exchange.getRequestURI());
                exchange.sendResponseHeaders(307, -1);
                exchange.close();
            });
            redirector.start();
            String redirectUrl = "http://127.0.0.1:" + redirector.getAddress().getPort();
            String brokers = KafkaBroker.shared().bootstrapServers();
            Map<String, String> settings = RunningApp.settings(brokers, redirectUrl, sandbox.config().appKey());
            settings.put("rocketchat.url", redirectUrl);
            settings.put("rocketchat.user-id-file", RunningApp.secretFile(sandbox.config().rocketChatUserId()).toString());
            settings.put("rocketchat.auth-token-file", RunningApp.secretFile(sandbox.config().rocketChatAuthToken()).toString());
            settings.put("flashduty.retry.max-attempts", "2");
            String results = settings.get("result.topic");
            try (TopicCollector topics = new TopicCollector(brokers, List.of(results));
                 Records records = new Records(brokers);
                 RunningApp app = RunningApp.start(settings)) {
                ObjectNode event = Events.fresh();
                String incidentId = Events.incidentId(event);
                records.send(settings.get("incident.topic"), incidentId, Events.json(event));
                JsonNode result = topics.await(results, r -> incidentId.equals(r.path("incident_id").asText()), WAIT);
                assertNotEquals("created", result.path("status").asText(), "a redirect is not a war room: " + result);
                Awaitility.await().atMost(WAIT).until(() -> asked.contains("/api/v1/integrations.list")
                        && asked.stream().anyMatch(p -> p.startsWith("/datasource/im/war-room-enabled/list")));
            }
            assertEquals(List.of(), trap.calls(), "the host named only by a redirect was called");
        } finally {
            redirector.stop(0);
        }
    }
}
