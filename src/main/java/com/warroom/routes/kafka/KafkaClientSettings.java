package com.warroom.routes.kafka;

import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Connection settings for the few plain Kafka clients the module runs beside Camel's
 * (ledger read-back, dead-letter copies, topic setup), taken from the same properties
 * as the Camel Kafka component so both always talk to the same cluster the same way.
 */
public record KafkaClientSettings(String brokers, String securityProtocol, String saslMechanism, String saslJaasConfig) {

    public Properties common(String clientId) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        if (securityProtocol != null && !securityProtocol.isBlank()) {
            p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol);
        }
        if (securityProtocol != null && securityProtocol.toUpperCase().startsWith("SASL")) {
            if (saslMechanism != null && !saslMechanism.isBlank()) {
                p.put(SaslConfigs.SASL_MECHANISM, saslMechanism);
            }
            if (saslJaasConfig != null && !saslJaasConfig.isBlank()) {
                p.put(SaslConfigs.SASL_JAAS_CONFIG, saslJaasConfig);
            }
        }
        return p;
    }

    @Override
    public String toString() {
        // the JAAS config may hold a password
        return "KafkaClientSettings[brokers=" + brokers + ", securityProtocol=" + securityProtocol + "]";
    }
}
