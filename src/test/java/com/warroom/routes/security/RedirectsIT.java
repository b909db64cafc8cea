package com.warroom.routes.security;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import com.warroom.routes.support.WarRoomTestApp;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
    static final List<String> asked = new CopyOnWriteArrayList<>();
    static HttpServer redirector;

    /** The sandbox is the trap: the app knows its address only as the target of the redirector's answers. */
    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().rocketChat()
            .settings((trap, s) -> {
                String redirectUrl = startRedirectorTo(trap);
                s.put("flashduty.base-url", redirectUrl);
                s.put("rocketchat.url", redirectUrl);
            })
            .setting("flashduty.retry.max-attempts", "2");

    /** Answers every request with a redirect to the same path and query at the trap; its URL. */
    static String startRedirectorTo(FlashdutySandbox trap) {
        try {
            redirector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        redirector.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().getPath());
            exchange.getRequestBody().readAllBytes();
            // 307 keeps the method and body: a client that follows it repeats the call at the trap
            exchange.getResponseHeaders().add("Location", trap.baseUrl() + exchange.getRequestURI());
            exchange.sendResponseHeaders(307, -1);
            exchange.close();
        });
        redirector.start();
        return "http://127.0.0.1:" + redirector.getAddress().getPort();
    }

    @AfterAll
    static void stopRedirector() {
        if (redirector != null) {
            redirector.stop(0);
        }
    }

    @Test
    void redirectsToAnotherHostAreNotFollowed() throws Exception {
        Map<String, String> settings = testApp.settings();
        String results = settings.get("result.topic");
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        testApp.kafka().send(settings.get("incident.topic"), incidentId, Events.json(event));
        JsonNode result = testApp.topics().await(results, r -> incidentId.equals(r.path("incident_id").asText()), WAIT);
        assertNotEquals("created", result.path("status").asText(), "a redirect is not a war room: " + result);
        Awaitility.await().atMost(WAIT).until(() -> asked.contains("/api/v1/integrations.list")
                && asked.stream().anyMatch(p -> p.startsWith("/datasource/im/war-room-enabled/list")));
        testApp.stop();
        assertEquals(List.of(), testApp.sandbox().calls(), "the host named only by a redirect was called");
    }
}
