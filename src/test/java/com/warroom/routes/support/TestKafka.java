package com.warroom.routes.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The small things every test does with records and the app: UTF-8 of keys, values and headers,
 * JSON through the one shared {@link #MAPPER}, a free port, a GET of a management page.
 */
public final class TestKafka {

    /** The one ObjectMapper of the test code (thread-safe once configured; it is never reconfigured). */
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);

    private TestKafka() {
    }

    // ---- UTF-8 ----

    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    public static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    public static String key(ConsumerRecord<byte[], byte[]> record) {
        return text(record.key());
    }

    public static String value(ConsumerRecord<byte[], byte[]> record) {
        return text(record.value());
    }

    /** The last value of a header key as UTF-8, or null if absent (or its value is null). */
    public static String header(ConsumerRecord<byte[], byte[]> record, String key) {
        Header h = record.headers().lastHeader(key);
        return h == null ? null : text(h.value());
    }

    /** Every value of a header key, in order, as UTF-8 (a null value stays null). */
    public static List<String> headers(ConsumerRecord<byte[], byte[]> record, String key) {
        List<String> out = new ArrayList<>();
        for (Header h : record.headers().headers(key)) {
            out.add(text(h.value()));
        }
        return out;
    }

    // ---- JSON ----

    public static JsonNode json(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("tombstone (null value), not JSON");
        }
        try {
            return MAPPER.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + text(value), e);
        }
    }

    public static JsonNode json(String value) {
        return json(utf8(value));
    }

    public static JsonNode json(ConsumerRecord<byte[], byte[]> record) {
        return json(record.value());
    }

    /** JSON values of the records, tombstones left out. */
    public static List<JsonNode> json(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().filter(r -> r.value() != null).map(TestKafka::json).toList();
    }

    public static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write as JSON: " + value.getClass().getName(), e);
        }
    }

    // ---- network ----

    /** A loopback port free right now (known before a server starts, unlike port 0). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GET of a page of a management server on localhost ({@code /observe/health}, {@code /observe/metrics}). */
    public static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return get("http://localhost:" + port + path);
    }

    public static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A Kafka client properties file (KAFKA_CLIENT_PROPERTIES_FILE) of these lines, target/test-kafka/{@code name}; its path. */
    public static String clientPropertiesFile(String name, String... lines) {
        try {
            return Files.write(Files.createDirectories(Path.of("target", "test-kafka")).resolve(name), List.of(lines)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
