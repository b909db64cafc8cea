package com.warroom.routes.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.warroom.routes.sandbox.FlashdutySandbox.Call;
import com.warroom.routes.sandbox.FlashdutySandbox.RawRequest;
import com.warroom.routes.support.TestKafka;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side: the JDK server on 127.0.0.1 (which can go away and come back on the same port, for
 * an outage), reading each request, handing it to Rocket.Chat's or Flashduty's endpoints, holding
 * the answer back when a slow answer is injected, recording the call with its secrets masked, and
 * writing the answer with its Flashcat-Request-Id.
 */
final class SandboxServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlashdutySandbox.class);

    private final FlashdutyEndpoints flashduty;
    private final RocketChatEndpoint rocketChat;
    private final SandboxFaults faults;
    private final CallLog log;
    private final ExecutorService executor = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "sandbox");
        t.setDaemon(true);
        return t;
    });
    private HttpServer server; // guarded by this
    private final int port;

    SandboxServer(int wantedPort, FlashdutyEndpoints flashduty, RocketChatEndpoint rocketChat, SandboxFaults faults, CallLog log)
            throws IOException {
        this.flashduty = flashduty;
        this.rocketChat = rocketChat;
        this.faults = faults;
        this.log = log;
        this.server = bind(wantedPort);
        this.port = server.getAddress().getPort();
    }

    int port() {
        return port;
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

    /** On: the port refuses connections. Off: serves again on the same port. */
    synchronized void outage(boolean on) throws IOException {
        if (on && server != null) {
            server.stop(0);
            server = null;
        } else if (!on && server == null) {
            server = bind(port);
        }
    }

    private void handle(HttpExchange http) throws IOException {
        long arrival = System.nanoTime();
        String method = http.getRequestMethod();
        String path = http.getRequestURI().getPath();
        String rawQuery = http.getRequestURI().getRawQuery();
        String body;
        try (InputStream in = http.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        Map<String, List<String>> rawHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        http.getRequestHeaders().forEach((k, v) -> {
            headers.put(k, String.join(",", v));
            rawHeaders.put(k, List.copyOf(v));
        });
        log.arrived(new RawRequest(method, http.getRequestURI().toString(), rawHeaders, body));
        Answer answer;
        try {
            answer = RocketChatEndpoint.PATH.equals(path)
                    ? rocketChat.answer(method, parseQuery(rawQuery), headers)
                    : flashduty.answer(arrival, method, path, parseQuery(rawQuery), headers, body);
        } catch (RuntimeException e) {
            answer = Answer.error(500, "InternalError", "sandbox: " + e.getClass().getSimpleName());
        }
        long delay = faults.delayMillis();
        if (delay > 0) {
            LockSupport.parkNanos(delay * 1_000_000L); // a slow answer, as injected
        }
        byte[] out = answer.raw != null ? answer.raw : TestKafka.MAPPER.writeValueAsBytes(answer.body);
        log.answered(new Call(arrival, method, path, maskQuery(rawQuery), maskHeaders(headers), body, answer.status, answer.errorCode,
                answer.requestId, answer.incidentId, answer.templateId, System.nanoTime() - arrival));
        LOG.debug("{} {} -> {} {}", method, path, answer.status, answer.errorCode == null ? "" : answer.errorCode);
        http.getResponseHeaders().set("Content-Type", answer.raw != null ? "text/html" : "application/json");
        if (answer.requestId != null) {
            http.getResponseHeaders().set("Flashcat-Request-Id", answer.requestId);
        }
        answer.headers.forEach((k, v) -> http.getResponseHeaders().set(k, v));
        faults.extraHeaders().forEach((k, v) -> http.getResponseHeaders().add(k, v));
        FlashdutySandbox.HostileBody hostile = faults.hostileBody(path);
        if (hostile != null) {
            HostileBodies.send(http, answer.status, out, hostile, path);
            return;
        }
        long trickle = faults.trickleMillisPerByte(path);
        http.sendResponseHeaders(answer.status, out.length);
        try (OutputStream os = http.getResponseBody()) {
            if (trickle > 0) {
                for (byte b : out) { // a byte at a time: every read gets one well within any read time-out
                    os.write(b);
                    os.flush();
                    LockSupport.parkNanos(trickle * 1_000_000L);
                }
            } else {
                os.write(out);
            }
        }
    }

    private static Map<String, String> maskHeaders(Map<String, String> headers) {
        Map<String, String> masked = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> masked.put(k, k.equalsIgnoreCase("X-Auth-Token") || k.equalsIgnoreCase("X-User-Id") ? "***" : v));
        return masked;
    }

    private static String maskQuery(String rawQuery) {
        return rawQuery == null ? null : rawQuery.replaceAll("(app_key=)[^&]*", "$1***");
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
}
