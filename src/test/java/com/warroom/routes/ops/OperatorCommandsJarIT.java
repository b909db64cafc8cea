package com.warroom.routes.ops;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.LocalAddresses;
import com.warroom.routes.support.RunningApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The operator commands through the packaged jar, as an operator types them. */
class OperatorCommandsJarIT {

    @TempDir
    Path dir;

    @Test
    void validateTheShippedRoutes() throws Exception {
        Run r = jar(Map.of(), "validate");
        assertEquals(0, r.code, r.out);
        long files;
        try (var shipped = Files.list(Path.of("routes"))) {
            files = shipped.filter(p -> p.toString().endsWith(".yaml")).count();
        }
        String ok = "ok: \\d+ routes in " + files + " files";
        assertTrue(r.out.lines().anyMatch(l -> l.matches(ok)), ok + " in: " + r.out);
    }

    @Test
    void validateABrokenCopy() throws Exception {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        Path file = routes.resolve("10-incidents.yaml");
        List<String> lines = Files.readAllLines(Path.of("routes/10-incidents.yaml")).stream()
                .map(l -> l.replace("consumersCount:", "consumersCont:")).toList();
        Files.write(file, lines);
        int line = lines.indexOf(lines.stream().filter(l -> l.contains("consumersCont:")).findFirst().orElseThrow()) + 1;
        Run r = jar(Map.of(), "validate", "--routes", routes.toString());
        assertEquals(1, r.code, r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.startsWith(file + ":" + line + ": unknown option consumersCont of the kafka endpoint")), r.out);
    }

    @Test
    void helpNamesTheCommands() throws Exception {
        Run r = jar(Map.of(), "--help");
        assertEquals(0, r.code, r.out);
        assertTrue(r.out.contains("war-room-routes.jar replay --from TIME"), r.out);
        assertTrue(r.out.contains("war-room-routes.jar validate"), r.out);
    }

    @Test
    void replayWithAnUnreachableBrokerIsOneLine() throws Exception {
        // no FLASHDUTY_APP_KEY: the replay calls no one
        Run r = jar(Map.of("KAFKA_BROKERS", "127.0.0.1:9"), "replay", "--from", "2026-11-23T08:00:00Z");
        assertEquals(2, r.code, r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.equals("war-room-routes: cannot reach Kafka at 127.0.0.1:9 (no answer within 10 s)")), r.out);
        assertTrue(r.out.lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + r.out);
    }

    /** The container's health check: {@code health} asks the address MANAGEMENT_HOST names, not always localhost. */
    @Test
    void healthAsksTheModuleOnItsManagementHost() throws Exception {
        InetAddress external = LocalAddresses.nonLoopbackIpv4().orElse(null);
        assumeTrue(external != null, "this machine has no non-loopback IPv4 address");
        String host = external.getHostAddress();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> settings = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(),
                    sandbox.config().appKey());
            settings.put("management.host", host);
            try (RunningApp app = RunningApp.start(settings)) {
                String port = settings.get("management.port");
                // one request at a time, each bounded: a send that hangs is tried again, and a page that stays DOWN says why
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(java.time.Duration.ofSeconds(5)).build();
                HttpRequest ready = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/observe/health"))
                        .timeout(java.time.Duration.ofSeconds(5)).build();
                java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>("no answer");
                try {
                    await().atMost(java.time.Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                        HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
                        last.set(r.statusCode() + " " + r.body());
                        return r.statusCode() == 200;
                    });
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("the module at " + host + " never answered UP; last: " + last.get(), e);
                }

                Run there = jar(Map.of("MANAGEMENT_HOST", host, "MANAGEMENT_PORT", port), "health");
                assertEquals(0, there.code, there.out);
                assertTrue(there.out.contains("\"status\":\"UP\""), there.out);
                Run loopback = jar(Map.of("MANAGEMENT_HOST", "127.0.0.1", "MANAGEMENT_PORT", port), "health");
                assertEquals(1, loopback.code, "nothing listens on 127.0.0.1: " + loopback.out);
            }
        }
    }

    private static Run jar(Map<String, String> env, String... args) throws Exception {
        Path jar = Path.of("target/war-room-routes.jar");
        assertTrue(jar.toFile().isFile(), "mvn package builds " + jar);
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits by itself");
        return new Run(p.exitValue(), out);
    }

    private record Run(int code, String out) {
    }
}
