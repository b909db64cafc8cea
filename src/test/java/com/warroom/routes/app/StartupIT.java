package com.warroom.routes.app;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged jar refuses a start it cannot make (no app key, an impossible setting): one clear line, no stack trace. */
class StartupIT {

    @Test
    void missingAppKeyStopsStartUpWithOneLine() throws Exception {
        Path jar = Path.of("target/war-room-routes.jar");
        assertTrue(jar.toFile().isFile(), "mvn package builds " + jar);
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
                .redirectErrorStream(true);
        pb.environment().remove("FLASHDUTY_APP_KEY");
        pb.environment().remove("FLASHDUTY_APP_KEY_FILE");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits by itself");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(2, p.exitValue());
        List<String> lines = out.lines().toList();
        assertEquals(1, lines.size(), out);
        assertEquals("war-room-routes: FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty", lines.get(0));
    }

    @Test
    void unreadableKeyFileIsOneLineToo() throws Exception {
        Path jar = Path.of("target/war-room-routes.jar");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
                .redirectErrorStream(true);
        pb.environment().remove("FLASHDUTY_APP_KEY");
        pb.environment().put("FLASHDUTY_APP_KEY_FILE", new File("target/no-such-key-file").getAbsolutePath());
        pb.environment().put("KAFKA_BROKERS", "127.0.0.1:9");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits by itself");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("war-room-routes: FLASHDUTY_APP_KEY_FILE names a file that cannot be read")), out);
        assertTrue(out.lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + out);
    }

    /** Kafka's producer refuses a delivery time-out below its request time-out: said as our setting, before any connection. */
    @Test
    void deliveryTimeoutBelowKafkasMinimumIsOneLine() throws Exception {
        Path jar = Path.of("target/war-room-routes.jar");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
                .redirectErrorStream(true);
        pb.environment().remove("FLASHDUTY_APP_KEY_FILE");
        pb.environment().put("FLASHDUTY_APP_KEY", "startup-it-key");
        pb.environment().put("KAFKA_BROKERS", "127.0.0.1:9");
        pb.environment().put("KAFKA_DELIVERY_TIMEOUT_MS", "10000");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits by itself");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("war-room-routes: KAFKA_DELIVERY_TIMEOUT_MS must be at least 30000")), out);
        assertTrue(out.lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + out);
        assertTrue(out.lines().noneMatch(l -> l.contains("startup-it-key")), out);
    }
}
