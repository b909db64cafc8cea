package com.warroom.routes.kafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.warroom.routes.StartupProblem;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.TestPki;
import com.warroom.routes.support.TestPki.KeyStoreFile;
import com.warroom.routes.support.TestPki.StoreType;
import com.warroom.routes.support.TestPki.TrustStoreFile;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the one Kafka client configuration is read: brokers, then the file, then the environment forms; secrets never shown. */
class KafkaClientSettingsTest {

    static final Path DIR = Path.of("target", "kafka-client-settings-test");
    static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"war-room\" password=\"%s\";";

    /** The configuration keys as config/application.properties ships them (all empty but the brokers), with {@code overrides}. */
    static Map<String, String> settings(String... overrides) {
        Map<String, String> s = new HashMap<>();
        s.put("kafka.brokers", "localhost:9092");
        s.put("kafka.client-properties-file", "");
        KafkaClientSettings.PLAIN.keySet().forEach(k -> s.put(k, ""));
        for (String kv : overrides) {
            s.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return s;
    }

    static KafkaClientSettings read(Map<String, String> settings, Map<String, String> env) {
        return KafkaClientSettings.read(settings::get, env::get);
    }

    static String file(String name, String... lines) throws IOException {
        Files.createDirectories(DIR);
        return Files.write(DIR.resolve(name), List.of(lines)).toString();
    }

    @Test
    void byDefaultPlaintextToTheBrokersAndNothingElse() {
        KafkaClientSettings s = read(settings(), Map.of());
        assertEquals(Map.of("bootstrap.servers", "localhost:9092", "security.protocol", "PLAINTEXT"), s.properties());
        Properties one = s.common("war-room-routes-x");
        assertEquals("war-room-routes-x", one.get("client.id"));
        assertEquals(3, one.size());
    }

    @Test
    void theFileWinsOverTheBrokersAndTheEnvironmentFormsOverTheFile() throws IOException {
        String file = file("precedence.properties",
                "# as Kafka's --command-config",
                "bootstrap.servers=file-broker:9093",
                "security.protocol=SASL_PLAINTEXT",
                "sasl.mechanism=PLAIN",
                "sasl.jaas.config=" + JAAS.formatted("from-file"),
                "ssl.truststore.type=JKS",
                "client.dns.lookup=use_all_dns_ips");
        Map<String, String> env = Map.of("KAFKA_SASL_JAAS_CONFIG", JAAS.formatted("from-env"));
        KafkaClientSettings s = read(settings("kafka.client-properties-file=" + file, "kafka.security-protocol=SASL_SSL",
                "kafka.sasl-mechanism=SCRAM-SHA-512", "kafka.ssl-truststore-type=PEM", "kafka.ssl-truststore-location=/ca.pem"), env);
        assertEquals(Map.of("bootstrap.servers", "file-broker:9093", "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS.formatted("from-env"), "ssl.truststore.type", "PEM", "ssl.truststore.location", "/ca.pem",
                "client.dns.lookup", "use_all_dns_ips"), s.properties());

        // the file alone, as written
        KafkaClientSettings fileOnly = read(settings("kafka.client-properties-file=" + file), Map.of());
        assertEquals("file-broker:9093", fileOnly.brokers());
        assertEquals("PLAIN", fileOnly.properties().get("sasl.mechanism"));
        assertEquals(JAAS.formatted("from-file"), fileOnly.properties().get("sasl.jaas.config"));
    }

    @Test
    void everySecretFromTheEnvironmentOrItsFileAndTheVariableWinsOverTheFile() throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_SASL_JAAS_CONFIG_FILE", file("jaas", JAAS.formatted("jaas-from-file")));
        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE", file("truststore-password", "trust-from-file"));
        env.put("KAFKA_SSL_KEYSTORE_PASSWORD_FILE", file("keystore-password", "keystore-from-file"));
        env.put("KAFKA_SSL_KEY_PASSWORD_FILE", file("key-password", "key-from-file"));
        env.put("KAFKA_SSL_KEY_PASSWORD", "key-from-env");
        Map<String, String> p = read(settings("kafka.security-protocol=SASL_SSL"), env).properties();
        assertEquals(JAAS.formatted("jaas-from-file"), p.get("sasl.jaas.config"));
        assertEquals("trust-from-file", p.get("ssl.truststore.password"));
        assertEquals("keystore-from-file", p.get("ssl.keystore.password"));
        assertEquals("key-from-env", p.get("ssl.key.password"), "NAME before NAME_FILE, as for FLASHDUTY_APP_KEY");

        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE", DIR.resolve("no-such-file").toString());
        StartupProblem unreadable = assertThrows(StartupProblem.class, () -> read(settings(), env));
        assertEquals("KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE names a file that cannot be read: " + DIR.resolve("no-such-file"),
                unreadable.getMessage());
    }

    @Test
    void saslSettingsOnlyWithASaslProtocol() {
        Map<String, String> env = Map.of("KAFKA_SASL_JAAS_CONFIG", JAAS.formatted("p"), "KAFKA_SSL_TRUSTSTORE_PASSWORD", "t");
        Map<String, String> ssl = read(settings("kafka.security-protocol=SSL", "kafka.sasl-mechanism=PLAIN"), env).properties();
        assertFalse(ssl.containsKey("sasl.mechanism"));
        assertFalse(ssl.containsKey("sasl.jaas.config"));
        assertEquals("t", ssl.get("ssl.truststore.password"));
        Map<String, String> sasl = read(settings("kafka.security-protocol=sasl_plaintext", "kafka.sasl-mechanism=PLAIN"), env).properties();
        assertEquals("PLAIN", sasl.get("sasl.mechanism"));
        assertEquals(JAAS.formatted("p"), sasl.get("sasl.jaas.config"));
    }

    @Test
    void aFileThatCannotBeUsedStopsTheStartWithOneLineNamingTheVariableAndThePathOnly() throws IOException {
        String missing = DIR.resolve("missing.properties").toString();
        StartupProblem none = assertThrows(StartupProblem.class, () -> read(settings("kafka.client-properties-file=" + missing), Map.of()));
        assertEquals("KAFKA_CLIENT_PROPERTIES_FILE names a file that cannot be read: " + missing, none.getMessage());

        String large = file("large.properties", "ssl.key.password=secret-in-large-file", "#" + "x".repeat(KafkaClientSettings.MAX_FILE_BYTES));
        StartupProblem tooLarge = assertThrows(StartupProblem.class, () -> read(settings("kafka.client-properties-file=" + large), Map.of()));
        assertEquals("KAFKA_CLIENT_PROPERTIES_FILE names a file larger than 65536 bytes: " + large, tooLarge.getMessage());

        String malformed = file("malformed.properties", "sasl.jaas.config=secret-in-bad-file \\u12");
        StartupProblem bad = assertThrows(StartupProblem.class, () -> read(settings("kafka.client-properties-file=" + malformed), Map.of()));
        assertEquals("KAFKA_CLIENT_PROPERTIES_FILE names a file that cannot be read: " + malformed, bad.getMessage());

        // the module's own guarantees are not the file's to change (Camel would apply it after its own options)
        String guarantees = file("acks.properties", "ssl.key.password=secret-beside-acks", "acks=1");
        StartupProblem acks = assertThrows(StartupProblem.class, () -> read(settings("kafka.client-properties-file=" + guarantees), Map.of()));
        assertEquals("KAFKA_CLIENT_PROPERTIES_FILE sets acks, which the module sets itself: remove it from " + guarantees, acks.getMessage());
    }

    @Test
    void toStringShowsNoSecret() {
        Map<String, String> env = Map.of("KAFKA_SASL_JAAS_CONFIG", JAAS.formatted("jaas-secret"), "KAFKA_SSL_TRUSTSTORE_PASSWORD", "trust-secret",
                "KAFKA_SSL_KEYSTORE_PASSWORD", "keystore-secret", "KAFKA_SSL_KEY_PASSWORD", "key-secret");
        String text = read(settings("kafka.security-protocol=SASL_SSL"), env).toString();
        for (String secret : List.of("jaas-secret", "trust-secret", "keystore-secret", "key-secret")) {
            assertFalse(text.contains(secret), text);
        }
        assertTrue(text.contains("brokers=localhost:9092") && text.contains("securityProtocol=SASL_SSL") && text.contains("ssl.key.password"), text);
    }

    /**
     * PKCS12, JKS and PEM stores (PEM with an encrypted key and ssl.key.password, and unencrypted with no password
     * at all) pass through untouched and Kafka's own clients accept them: a consumer, a producer and an admin client
     * are made (Kafka loads and checks the stores then). Kafka logs each client's configuration: no password and no
     * JAAS line in it. Kafka refuses a store password with PEM, which the README says.
     */
    @Test
    void everyStoreTypeReachesKafkasClientsAndNoSecretReachesTheirLogs() throws Exception {
        TestPki pki = new TestPki(DIR.resolve("pki"));
        Map<StoreType, KeyStoreFile> client = pki.issue("client", "war-room-routes", false);
        String jaasPassword = TestPki.randomHex(12);
        List<String> secrets = new ArrayList<>(List.of(jaasPassword));
        List<String> lines;
        try (LogCapture logs = LogCapture.capture("org.apache.kafka")) {
            for (StoreType type : StoreType.values()) {
                KeyStoreFile key = client.get(type);
                TrustStoreFile trust = pki.trustStore(type);
                Map<String, String> env = new HashMap<>(Map.of("KAFKA_SASL_JAAS_CONFIG", JAAS.formatted(jaasPassword)));
                put(env, "KAFKA_SSL_TRUSTSTORE_PASSWORD", trust.password(), secrets);
                put(env, "KAFKA_SSL_KEYSTORE_PASSWORD", key.storePassword(), secrets);
                put(env, "KAFKA_SSL_KEY_PASSWORD", key.keyPassword(), secrets);
                KafkaClientSettings s = read(settings("kafka.brokers=127.0.0.1:1", "kafka.security-protocol=SASL_SSL",
                        "kafka.sasl-mechanism=SCRAM-SHA-512", "kafka.ssl-truststore-location=" + trust.location(),
                        "kafka.ssl-truststore-type=" + type.kafkaType(), "kafka.ssl-keystore-location=" + key.location(),
                        "kafka.ssl-keystore-type=" + type.kafkaType()), env);
                assertEquals(type.kafkaType(), s.properties().get("ssl.keystore.type"), "untouched");
                assertEquals(type.kafkaType(), s.properties().get("ssl.truststore.type"), "untouched");
                clients(s);
            }
            lines = logs.lines();
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("ssl.keystore.password = [hidden]")), "the capture saw Kafka's config lines");
        for (String line : lines) {
            for (String secret : secrets) {
                assertFalse(line.contains(secret), "a log line shows a secret: " + line.replace(secret, "<SECRET>"));
            }
        }

        KeyStoreFile pem = client.get(StoreType.PEM);
        KafkaClientSettings pemWithStorePassword = read(settings("kafka.brokers=127.0.0.1:1", "kafka.security-protocol=SSL",
                "kafka.ssl-keystore-location=" + pem.location(), "kafka.ssl-keystore-type=PEM"),
                Map.of("KAFKA_SSL_KEYSTORE_PASSWORD", "any", "KAFKA_SSL_KEY_PASSWORD", pem.keyPassword()));
        assertThrows(KafkaException.class, () -> new KafkaConsumer<>(pemWithStorePassword.common("pem"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).close());
    }

    private static void put(Map<String, String> env, String name, String value, List<String> secrets) {
        if (value != null) {
            env.put(name, value);
            secrets.add(value);
        }
    }

    /** Kafka's three kinds of client, made from the settings and closed: each loads the stores and logs in (no connection yet). */
    private static void clients(KafkaClientSettings s) {
        new KafkaConsumer<>(s.common("consumer"), new ByteArrayDeserializer(), new ByteArrayDeserializer()).close();
        new KafkaProducer<>(s.common("producer"), new ByteArraySerializer(), new ByteArraySerializer()).close(java.time.Duration.ZERO);
        Admin.create(s.common("admin")).close(java.time.Duration.ZERO);
    }

    /**
     * Every Kafka client the module makes itself (a consumer, a producer or an admin client) takes its
     * properties from {@link KafkaClientSettings#common}: so it connects as Camel's endpoints do.
     */
    @Test
    void everyClientOfOursIsMadeFromTheSettings() throws IOException {
        Pattern made = Pattern.compile("new Kafka(?:Consumer|Producer)<>\\((\\w+)|Admin\\.create\\(([^\\n]*)");
        int clients = 0;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String source = Files.readString(f);
                Matcher m = made.matcher(source);
                while (m.find()) {
                    clients++;
                    String where = f.getFileName() + ": " + m.group();
                    if (m.group(1) != null) {
                        assertTrue(Pattern.compile("Properties " + m.group(1) + " = \\w+(\\(\\))?(\\.\\w+\\(\\))*\\.common\\(").matcher(source).find(),
                                where + " takes properties that are not KafkaClientSettings.common(...)");
                    } else {
                        assertTrue(m.group(2).contains(".common("), where + " is not made from KafkaClientSettings.common(...)");
                    }
                }
            }
        }
        assertTrue(clients >= 9, "the clients found: " + clients);
    }
}
