package com.warroom.routes.kafka;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * How every Kafka client of the module connects, as standard Kafka client properties
 * ({@code bootstrap.servers}, {@code security.protocol}, {@code sasl.*}): the plain clients beside
 * Camel's (topic setup, ledger, dead letters, budget share and journal, replay) take a copy with their
 * own {@code client.id}. Camel's endpoints get the same values from the same settings
 * ({@code camel.component.kafka.*} in config/application.properties). Being a plain property map, it
 * can take any other client property (TLS stores, a client properties file) from one place later.
 */
public record KafkaClientSettings(Map<String, String> properties) {

    public KafkaClientSettings {
        properties = Map.copyOf(properties);
    }

    /** The four settings the module reads today; SASL ones only with a SASL protocol. */
    public KafkaClientSettings(String brokers, String securityProtocol, String saslMechanism, String saslJaasConfig) {
        this(standard(brokers, securityProtocol, saslMechanism, saslJaasConfig));
    }

    private static Map<String, String> standard(String brokers, String protocol, String mechanism, String jaas) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, brokers);
        if (protocol != null && !protocol.isBlank()) {
            p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
        }
        if (protocol != null && protocol.toUpperCase().startsWith("SASL")) {
            if (mechanism != null && !mechanism.isBlank()) {
                p.put(SaslConfigs.SASL_MECHANISM, mechanism);
            }
            if (jaas != null && !jaas.isBlank()) {
                p.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
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

    @Override
    public String toString() {
        // the JAAS config may hold a password
        return "KafkaClientSettings[brokers=" + brokers() + ", securityProtocol=" + properties.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG) + "]";
    }
}
