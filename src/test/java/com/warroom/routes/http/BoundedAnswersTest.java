package com.warroom.routes.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.GZIPOutputStream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.warroom.routes.flashduty.CallDeadline;
import com.warroom.routes.Backoff;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.flashduty.RetryPolicy;
import com.warroom.routes.security.Secret;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every answer is read within its cap, inflated or not, and Rocket.Chat's within its deadline: the
 * shipped client configurers ({@link ClientAuth#flashduty}, {@link ClientAuth#rocketChat}) on camel-http's own
 * producer (which inflates gzip itself and copies the whole body into memory before a route sees it),
 * against a local server answering what a hostile upstream would.
 */
class BoundedAnswersTest {

    static final int CAP = 1 << 20;
    static final long HUGE = 50_000_000L;
    static final byte[] JSON = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);

    static HttpServer server;
    static byte[] bomb;
    /** bytes each path's handler got written before the client went away, once it is done */
    static final ConcurrentHashMap<String, Long> written = new ConcurrentHashMap<>();
    static DefaultCamelContext camel;
    static ProducerTemplate template;
    static ClientAuth flashduty;
    static BoundedAnswers flashdutyAnswers;
    static BoundedAnswers rocketChatAnswers;
    static ClientAuth rocketChat;

    @BeforeAll
    static void start() throws IOException {
        bomb = gzip(64 << 20); // 64 MiB of JSON in some 64 KB
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hostile-upstream");
            t.setDaemon(true);
            return t;
        }));
        handle("/bomb", http -> {
            http.getResponseHeaders().set("Content-Encoding", "gzip");
            http.sendResponseHeaders(200, bomb.length);
            return write(http, bomb);
        });
        handle("/huge-chunked", http -> {
            http.sendResponseHeaders(200, 0); // no length: only counting the bytes can stop it
            return spaces(http, HUGE);
        });
        handle("/huge-declared", http -> {
            http.sendResponseHeaders(200, HUGE + JSON.length);
            return spaces(http, HUGE);
        });
        handle("/at-cap", http -> {
            http.sendResponseHeaders(200, 0);
            return spaces(http, CAP - JSON.length);
        });
        handle("/small-gzip", http -> {
            byte[] small = gzipOf(JSON);
            http.getResponseHeaders().set("Content-Encoding", "gzip");
            http.sendResponseHeaders(200, small.length);
            return write(http, small);
        });
        handle("/odd-encoding", http -> {
            // a coding the client does not know, but camel-http would inflate (it looks for "gzip" in the header)
            http.getResponseHeaders().set("Content-Encoding", "x-odd-gzip");
            http.sendResponseHeaders(200, bomb.length);
            return write(http, bomb);
        });
        handle("/trickle", http -> {
            http.sendResponseHeaders(200, 0);
            long n = 0;
            try (OutputStream os = http.getResponseBody()) {
                while (n < 100_000) { // a byte every 50 ms: every read well within any read time-out
                    os.write(' ');
                    os.flush();
                    n++;
                    LockSupport.parkNanos(50_000_000L);
                }
            } catch (IOException gone) {
                // cut by the client
            }
            return n;
        });
        handle("/stall", http -> {
            LockSupport.parkNanos(Duration.ofSeconds(20).toNanos()); // no status line for 20 s
            http.sendResponseHeaders(200, JSON.length);
            return write(http, JSON);
        });
        server.start();

        flashdutyAnswers = BoundedAnswers.capped("FLASHDUTY_MAX_ANSWER_BYTES", CAP).withDeadline("FLASHDUTY_CALL_TIMEOUT_MS", CallDeadline::millisLeft);
        rocketChatAnswers = BoundedAnswers.capped("ROCKETCHAT_MAX_ANSWER_BYTES", CAP)
                .withDeadline("ROCKETCHAT_CALL_TIMEOUT_MS", Duration.ofSeconds(2)::toMillis);
        flashduty = ClientAuth.flashduty(Secret.of("FLASHDUTY_APP_KEY", "test-key"), flashdutyAnswers);
        rocketChat = ClientAuth.rocketChat(Secret.of("ROCKETCHAT_USER_ID", "u"), Secret.of("ROCKETCHAT_AUTH_TOKEN", "t"), rocketChatAnswers);
        camel = new DefaultCamelContext();
        camel.getRegistry().bind("flashdutyAuth", flashduty);
        camel.getRegistry().bind("rocketChatAuth", rocketChat);
        camel.start();
        template = camel.createProducerTemplate();
    }

    @AfterAll
    static void stop() {
        camel.stop();
        server.stop(0);
    }

    interface Answer {
        long send(HttpExchange http) throws IOException;
    }

    static void handle(String path, Answer answer) {
        server.createContext(path, (HttpHandler) http -> {
            http.getRequestBody().readAllBytes();
            long n = 0;
            try {
                n = answer.send(http);
            } finally {
                written.put(path, n);
                http.close();
            }
        });
    }

    static long write(HttpExchange http, byte[] body) {
        try (OutputStream os = http.getResponseBody()) {
            os.write(body);
            return body.length;
        } catch (IOException gone) {
            return -1;
        }
    }

    /** JSON of {@code n} whitespace bytes and then {"ok":true}, in 64 KB writes; the bytes written before the client left. */
    static long spaces(HttpExchange http, long n) {
        byte[] chunk = new byte[1 << 16];
        Arrays.fill(chunk, (byte) ' ');
        long sent = 0;
        try (OutputStream os = http.getResponseBody()) {
            while (sent < n) {
                int len = (int) Math.min(chunk.length, n - sent);
                os.write(chunk, 0, len);
                sent += len;
            }
            os.write(JSON);
            sent += JSON.length;
        } catch (IOException gone) {
            // the client dropped the connection
        }
        return sent;
    }

    static byte[] gzip(long spaces) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) ' ');
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
            for (long left = spaces; left > 0; left -= chunk.length) {
                gz.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
            gz.write(JSON);
        }
        return out.toByteArray();
    }

    static byte[] gzipOf(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    /** One GET as the routes make it: camel-http, the configurer, no exception on a status, no redirects. */
    static Exchange get(String path, String configurer) {
        return template.request("http://127.0.0.1:" + server.getAddress().getPort() + path + "?httpClientConfigurer=#" + configurer
                + "&throwExceptionOnFailure=false&followRedirects=false", e -> e.getMessage().setHeader(Exchange.HTTP_METHOD, "GET"));
    }

    static <T extends Throwable> T cause(Class<T> type, Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    static byte[] body(Exchange e) {
        return e.getMessage().getBody(byte[].class);
    }

    @Test
    void aGzipBombStopsAtTheCapAfterInflationForBothServices() {
        for (String configurer : new String[] {"flashdutyAuth", "rocketChatAuth"}) {
            long before = flashdutyAnswers.tooLarge() + rocketChatAnswers.tooLarge();
            Exchange e = get("/bomb", configurer);
            AnswerTooLarge tooLarge = cause(AnswerTooLarge.class, e.getException());
            assertNotNull(tooLarge, configurer + ": 64 MiB inflated from " + bomb.length + " bytes must fail at the cap of " + CAP
                    + ", got " + (e.getException() == null ? "a body of " + body(e).length + " bytes" : e.getException().toString()));
            assertTrue(tooLarge.getMessage().endsWith("_MAX_ANSWER_BYTES (" + CAP + " bytes)"), tooLarge.getMessage());
            assertEquals(before + 1, flashdutyAnswers.tooLarge() + rocketChatAnswers.tooLarge(), "counted once");
        }
    }

    @Test
    void aHugePlainAnswerStopsAtTheCapWithItsRestUnread() {
        for (String path : new String[] {"/huge-chunked", "/huge-declared"}) {
            written.remove(path);
            Exchange e = get(path, "flashdutyAuth");
            assertNotNull(cause(AnswerTooLarge.class, e.getException()),
                    path + ": " + (e.getException() == null ? "read whole, " + body(e).length + " bytes" : e.getException().toString()));
            // the connection was dropped at the cap, not drained: the server could not write the rest
            Awaitility.await(path + " handler done").atMost(Duration.ofSeconds(60)).until(() -> written.containsKey(path));
            assertTrue(written.get(path) < HUGE, path + ": the server wrote " + written.get(path) + " of " + HUGE + " bytes");
        }
    }

    @Test
    void answersWithinTheCapAreReadWholeAndSmallGzipIsInflated() {
        Exchange atCap = get("/at-cap", "flashdutyAuth");
        assertNull(atCap.getException());
        assertEquals(CAP, body(atCap).length, "an answer of exactly the cap is read whole");
        Exchange small = get("/small-gzip", "rocketChatAuth");
        assertNull(small.getException());
        assertArrayEquals(JSON, body(small), "a compressed answer within the cap is inflated as before");
    }

    @Test
    void aCodingTheClientDoesNotUndoIsNeverInflatedLater() {
        Exchange e = get("/odd-encoding", "flashdutyAuth");
        assertNull(e.getException());
        byte[] body = body(e);
        assertArrayEquals(bomb, body, "the bytes as they came (not JSON: an invalid answer), not 64 MiB inflated outside the cap");
        assertNull(e.getMessage().getHeader("Content-Encoding"));
    }

    @Test
    void rocketChatAnswersTricklingOrNeverStartingAreCutAtTheDeadline() {
        for (String path : new String[] {"/trickle", "/stall"}) {
            Exchange e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> get(path, "rocketChatAuth"), path + " still being read");
            AnswerDeadlinePassed cut = cause(AnswerDeadlinePassed.class, e.getException());
            assertNotNull(cut, path + ": " + e.getException());
            assertEquals("no whole answer within ROCKETCHAT_CALL_TIMEOUT_MS (2000 ms)", cut.getMessage());
        }
    }

    /** Flashduty's deadline is its attempt's (CallDeadline), the record's deadline at the latest: here 1 s + 1 s. */
    @Test
    void flashdutyAnswersTricklingOrNeverStartingAreCutAtTheAttemptsDeadline() {
        CallDeadline deadline = new CallDeadline(Duration.ofSeconds(30), Duration.ofSeconds(1));
        FlashdutyResponses responses = new FlashdutyResponses(null, null, new RetryPolicy(1, 1, new Backoff(Duration.ofMillis(1), Duration.ofMillis(1)), false));
        for (String path : new String[] {"/trickle", "/stall"}) {
            Exchange e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                deadline.arm(System.nanoTime() + Duration.ofSeconds(1).toNanos());
                try {
                    return get(path, "flashdutyAuth");
                } finally {
                    deadline.disarm();
                }
            }, path + " still being read");
            AnswerDeadlinePassed cut = cause(AnswerDeadlinePassed.class, e.getException());
            assertNotNull(cut, path + ": " + e.getException());
            assertTrue(cut.getMessage().startsWith("no whole answer within FLASHDUTY_CALL_TIMEOUT_MS ("), cut.getMessage());
            assertEquals(FlashdutyResponses.TIMEOUT, responses.failure(e.getException()), "a cut attempt is a time-out");
        }
        deadline.arm(null);
        try {
            Exchange bomb = get("/bomb", "flashdutyAuth");
            assertEquals(FlashdutyResponses.ANSWER_TOO_LARGE, responses.failure(bomb.getException()),
                    "within its deadline, an answer past the cap is too large, not a time-out: " + bomb.getException());
        } finally {
            deadline.disarm();
        }
        assertEquals(-1, CallDeadline.millisLeft(), "no deadline outside an attempt");
    }

    @Test
    void theFailuresNameTheSettingOnly() {
        assertEquals("the answer is larger than FLASHDUTY_MAX_ANSWER_BYTES (10 bytes)",
                new AnswerTooLarge("FLASHDUTY_MAX_ANSWER_BYTES", 10).getMessage());
        assertEquals("no whole answer within ROCKETCHAT_CALL_TIMEOUT_MS (5 ms)",
                new AnswerDeadlinePassed("ROCKETCHAT_CALL_TIMEOUT_MS", 5).getMessage());
    }
}
