package com.warroom.routes.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import com.sun.net.httpserver.HttpExchange;

/**
 * The bodies of {@link FlashdutySandbox.HostileBody}: the true answer, padded with whitespace after its
 * first {@code {} (still the same JSON once read whole), either gzipped to a small body that inflates
 * to {@value #BOMB_INFLATED} bytes and sent with {@code Content-Encoding: gzip}, or sent plain at
 * {@value #HUGE_PLAIN} bytes. A client that stops reading (its cap) makes the write fail: that is fine.
 */
final class HostileBodies {

    /** what a gzip bomb inflates to: hundreds of MiB, in some 260 KB on the wire */
    static final long BOMB_INFLATED = 256L << 20;
    /** a plain answer of 50 MB */
    static final long HUGE_PLAIN = 50_000_000L;
    private static final int CHUNK = 1 << 20;
    private static final byte[] SPACES = spaces();
    /** one bomb per path, made from the first answer it replaced (making one takes about a second) */
    private static final Map<String, byte[]> BOMBS = new ConcurrentHashMap<>();

    private HostileBodies() {
    }

    private static byte[] spaces() {
        byte[] s = new byte[CHUNK];
        Arrays.fill(s, (byte) ' ');
        return s;
    }

    /** Sends {@code answer} (a JSON object) as this kind of hostile body; response headers other than these are already set. */
    static void send(HttpExchange http, int status, byte[] answer, FlashdutySandbox.HostileBody kind, String path) throws IOException {
        try (OutputStream os = http.getResponseBody()) {
            if (kind == FlashdutySandbox.HostileBody.GZIP_BOMB) {
                byte[] bomb = BOMBS.computeIfAbsent(path, p -> bomb(answer));
                http.getResponseHeaders().set("Content-Encoding", "gzip");
                http.sendResponseHeaders(status, bomb.length);
                os.write(bomb);
            } else {
                http.sendResponseHeaders(status, 0); // chunked: no length to refuse up front, only the bytes counted
                os.write(answer, 0, 1);
                for (long left = HUGE_PLAIN; left > 0; left -= CHUNK) {
                    os.write(SPACES, 0, (int) Math.min(CHUNK, left));
                }
                os.write(answer, 1, answer.length - 1);
            }
        } catch (IOException clientHungUp) {
            // the client stopped reading at its cap and dropped the connection: what the fault is for
        }
    }

    private static byte[] bomb(byte[] answer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(answer, 0, 1);
            for (long left = BOMB_INFLATED; left > 0; left -= CHUNK) {
                gz.write(SPACES, 0, (int) Math.min(CHUNK, left));
            }
            gz.write(answer, 1, answer.length - 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
