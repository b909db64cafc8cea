package com.warroom.routes.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

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
    /** one bomb per path, made from the first answer it replaced */
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

    /**
     * Deflating the padding (256 MiB at the best compression) takes about a second on an idle machine and
     * several on a loaded one: done once, when the fault is armed, so no answer waits for it (a create
     * waiting past its response time-out would end as {@code timeout}, not the outcome the scenario checks).
     */
    static void prepare(FlashdutySandbox.HostileBody kind) {
        if (kind == FlashdutySandbox.HostileBody.GZIP_BOMB) {
            deflatedPadding();
        }
    }

    private static byte[] deflatedPadding;

    /** The padding as raw deflate blocks of their own (no reference before their start), not final, byte-aligned. */
    private static synchronized byte[] deflatedPadding() {
        if (deflatedPadding == null) {
            Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (long left = BOMB_INFLATED; left > 0; left -= CHUNK) {
                d.setInput(SPACES, 0, (int) Math.min(CHUNK, left));
                drain(d, out, Deflater.NO_FLUSH);
            }
            drain(d, out, Deflater.SYNC_FLUSH);
            d.end();
            deflatedPadding = out.toByteArray();
        }
        return deflatedPadding;
    }

    /**
     * One gzip member: the answer's first byte, the padding, the rest of the answer, each deflated on its
     * own and the three deflate streams joined (a valid single stream: only the last block is final).
     */
    private static byte[] bomb(byte[] answer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff});
        Deflater head = new Deflater(Deflater.BEST_COMPRESSION, true);
        head.setInput(answer, 0, 1);
        drain(head, out, Deflater.SYNC_FLUSH);
        head.end();
        out.writeBytes(deflatedPadding());
        Deflater tail = new Deflater(Deflater.BEST_COMPRESSION, true);
        tail.setInput(answer, 1, answer.length - 1);
        tail.finish();
        byte[] buf = new byte[1 << 16];
        while (!tail.finished()) {
            out.write(buf, 0, tail.deflate(buf));
        }
        tail.end();
        CRC32 crc = new CRC32();
        crc.update(answer, 0, 1);
        for (long left = BOMB_INFLATED; left > 0; left -= CHUNK) {
            crc.update(SPACES, 0, (int) Math.min(CHUNK, left));
        }
        crc.update(answer, 1, answer.length - 1);
        long size = BOMB_INFLATED + answer.length;
        for (long v : new long[] {crc.getValue(), size}) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)) & 0xff);
            }
        }
        return out.toByteArray();
    }

    /** Deflates what was given so far with this flush mode, until the deflater has nothing more to give. */
    private static void drain(Deflater d, ByteArrayOutputStream out, int flush) {
        byte[] buf = new byte[1 << 16];
        int n;
        do {
            n = d.deflate(buf, 0, buf.length, flush);
            out.write(buf, 0, n);
        } while (n == buf.length || flush == Deflater.NO_FLUSH && !d.needsInput());
    }
}
