package com.warroom.routes.kafka;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import com.warroom.routes.StartupProblem;
import com.warroom.routes.security.Secret;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * How every Kafka client of the module connects, as standard Kafka client properties, built once
 * ({@link #read}): Camel's endpoints ({@link #configure}) and the plain clients beside them (topic
 * setup, ledger, dead letters, budget share and journal, replay, validate) take the same map, the
 * latter each with its own {@code client.id} ({@link #common}).
 */
public record KafkaClientSettings(Map<String, String> properties) {

    /** A client properties file is a few lines; one larger than this is not one. */
    static final int MAX_FILE_BYTES = 64 * 1024;

    /** The configuration keys of the environment forms that are no secret, and the Kafka property each sets. */
    static final Map<String, String> PLAIN = Map.of(
            "kafka.security-protocol", CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
            "kafka.sasl-mechanism", SaslConfigs.SASL_MECHANISM,
            "kafka.ssl-truststore-location", SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
            "kafka.ssl-truststore-type", SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG,
            "kafka.ssl-keystore-location", SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
            "kafka.ssl-keystore-type", SslConfigs.SSL_KEYSTORE_TYPE_CONFIG);

    /** The secret ones: read from the environment or {@code NAME_FILE} only, never as Camel properties (so never in its summary). */
    static final Map<String, String> SECRET = Map.of(
            "KAFKA_SASL_JAAS_CONFIG", SaslConfigs.SASL_JAAS_CONFIG,
            "KAFKA_SSL_TRUSTSTORE_PASSWORD", SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG,
            "KAFKA_SSL_KEYSTORE_PASSWORD", SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG,
            "KAFKA_SSL_KEY_PASSWORD", SslConfigs.SSL_KEY_PASSWORD_CONFIG);

    /**
     * What the module sets on its clients itself (commits after the result, idempotent writes acknowledged by
     * every in-sync replica, records' deadlines, its groups). Camel applies the map after its own options, so a
     * file that set one of these would silently change those guarantees: such a file stops the start instead.
     */
    static final Set<String> SET_BY_THE_MODULE = Set.of("group.id", "client.id", "transactional.id", "enable.auto.commit",
            "isolation.level", "auto.offset.reset", "max.poll.records", "max.poll.interval.ms", "allow.auto.create.topics",
            "key.deserializer", "value.deserializer", "acks", "enable.idempotence", "delivery.timeout.ms", "linger.ms",
            "max.request.size", "key.serializer", "value.serializer");

    public KafkaClientSettings {
        properties = Map.copyOf(properties);
    }

    /**
     * From, later winning: {@code kafka.brokers}; the file {@code kafka.client-properties-file} names (the
     * format of Kafka's {@code --command-config}); the environment forms ({@link #PLAIN}, {@link #SECRET}).
     * Without a protocol, PLAINTEXT; SASL settings apply only with a SASL protocol.
     *
     * @param setting a configuration key's resolved value (empty: not set)
     * @param env     the environment, for the secrets
     */
    public static KafkaClientSettings read(Function<String, String> setting, Function<String, String> env) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, setting.apply("kafka.brokers"));
        String file = setting.apply("kafka.client-properties-file");
        if (!file.isEmpty()) {
            Properties fromFile = load(file);
            fromFile.stringPropertyNames().forEach(name -> p.put(name, fromFile.getProperty(name)));
        }
        PLAIN.forEach((key, name) -> {
            String v = setting.apply(key);
            if (!v.isEmpty()) {
                p.put(name, v);
            }
        });
        SECRET.forEach((envName, name) -> {
            Secret secret = Secret.from(envName, null, env);
            if (secret.isPresent()) {
                p.put(name, secret.reveal());
            }
        });
        p.putIfAbsent(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL);
        if (!p.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG).toUpperCase(Locale.ROOT).startsWith("SASL")) {
            p.remove(SaslConfigs.SASL_MECHANISM);
            p.remove(SaslConfigs.SASL_JAAS_CONFIG);
        }
        return new KafkaClientSettings(p);
    }

    /** A client properties file, read as Kafka's tools read one; a problem stops the start naming the variable and the path only. */
    private static Properties load(String file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new StartupProblem("KAFKA_CLIENT_PROPERTIES_FILE names a file larger than " + MAX_FILE_BYTES + " bytes: " + file);
            }
            p.load(new ByteArrayInputStream(bytes));
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: a path that is none, or a malformed \\uXXXX escape
            throw new StartupProblem("KAFKA_CLIENT_PROPERTIES_FILE names a file that cannot be read: " + file);
        }
        for (String name : new TreeSet<>(p.stringPropertyNames())) {
            if (SET_BY_THE_MODULE.contains(name)) {
                throw new StartupProblem("KAFKA_CLIENT_PROPERTIES_FILE sets " + name + ", which the module sets itself: remove it from " + file);
            }
        }
        return p;
    }

    public String brokers() {
        return properties.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }

    /** The properties for one client, named {@code clientId}. */
    public Properties common(String clientId) {
        Properties p = new Properties();
        p.putAll(properties);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return p;
    }

    /** Camel's kafka component: the same map, which Camel applies after its own options, so on every endpoint. */
    public void configure(KafkaConfiguration camel) {
        camel.setBrokers(brokers());
        camel.setAdditionalProperties(new HashMap<>(properties));
    }

    @Override
    public String toString() {
        // the names only past the two that are no secret: a JAAS line or a password must not show
        return "KafkaClientSettings[brokers=" + brokers() + ", securityProtocol=" + properties.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG)
                + ", set=" + new TreeSet<>(properties.keySet()) + "]";
    }
}
