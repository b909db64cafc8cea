package com.warroom.routes.routetest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.warroom.routes.kafka.KafkaClientSettings;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Camel's Kafka consumers and producers connect exactly as the module's own clients do: the shipped
 * configuration with a client properties file and environment forms set, Camel Main configuring the
 * kafka component, then the properties camel-kafka makes its producer with (recorded by its client
 * factory as the routes start) and its consumer properties (from an endpoint of the configured
 * component) hold the same connection settings as {@link KafkaClientSettings#common}, and no others.
 */
class KafkaConnectionRouteTest extends RouteTestSupport {

    static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";";

    /** Producer properties, as camel-kafka's producers were made with them. */
    final List<Properties> producers = new CopyOnWriteArrayList<>();

    @Override
    protected Map<String, String> properties() {
        Map<String, String> p = new HashMap<>(PROPERTIES);
        p.put("kafka.client-properties-file", clientProperties());
        p.put("kafka.security-protocol", "SASL_SSL"); // an environment form over the file's SSL
        p.put("kafka.ssl-keystore-type", "PKCS12");
        return p;
    }

    private static String clientProperties() {
        try {
            Path file = Files.createDirectories(Path.of("target", "route-tests")).resolve("kafka-client.properties");
            return Files.write(file, List.of(
                    "bootstrap.servers=broker-1:9093,broker-2:9093",
                    "security.protocol=SSL",
                    "sasl.mechanism=SCRAM-SHA-512",
                    "sasl.jaas.config=" + JAAS,
                    "ssl.truststore.location=/etc/kafka/ca.pem",
                    "ssl.truststore.type=PEM",
                    "ssl.keystore.location=/etc/kafka/user.p12",
                    "ssl.keystore.password=store-password",
                    "ssl.endpoint.identification.algorithm=",
                    "client.dns.lookup=use_all_dns_ips")).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected KafkaClientFactory kafkaClients() {
        return new KafkaClientFactory() {
            @Override
            public Producer getProducer(Properties props) {
                producers.add(props);
                return new MockProducer<>(true, null, KafkaKeyRouteTest.AS_IS, KafkaKeyRouteTest.AS_IS);
            }

            @Override
            public Consumer getConsumer(Properties props) {
                throw new UnsupportedOperationException("no Kafka consumer in route tests");
            }

            @Override
            public String getBrokers(KafkaConfiguration configuration) {
                return configuration.getBrokers();
            }
        };
    }

    @Test
    void camelsConsumersAndProducersConnectAsTheModulesOwnClients() {
        Map<String, String> expected = Map.of("bootstrap.servers", "broker-1:9093,broker-2:9093", "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", JAAS, "ssl.truststore.location", "/etc/kafka/ca.pem",
                "ssl.truststore.type", "PEM", "ssl.keystore.location", "/etc/kafka/user.p12", "ssl.keystore.type", "PKCS12",
                "ssl.keystore.password", "store-password", "ssl.endpoint.identification.algorithm", "");
        KafkaClientSettings settings = context.getRegistry().lookupByNameAndType("kafkaClientSettings", KafkaClientSettings.class);
        assertEquals(expected, connection(settings.common("ours")));
        assertEquals("use_all_dns_ips", settings.properties().get("client.dns.lookup"));

        assertFalse(producers.isEmpty(), "camel-kafka made its producers as the routes started");
        for (Properties producer : producers) {
            assertEquals(expected, connection(producer));
            assertEquals("use_all_dns_ips", producer.get("client.dns.lookup"));
            assertEquals("all", producer.get("acks"), "Camel's own options stay");
        }

        KafkaEndpoint endpoint = context.getEndpoint("kafka:" + INCIDENT_TOPIC + "?groupId=g", KafkaEndpoint.class);
        Properties consumer = endpoint.getConfiguration().createConsumerProperties();
        consumer.put("bootstrap.servers", endpoint.getKafkaClientFactory().getBrokers(endpoint.getConfiguration()));
        assertEquals(expected, connection(consumer));
        assertEquals("use_all_dns_ips", consumer.get("client.dns.lookup"));
        assertEquals("read_committed", consumer.get("isolation.level"), "Camel's own options stay");
    }

    /** The brokers and every security.*, sasl.* and ssl.* property: how a client connects. */
    private static Map<String, String> connection(Properties p) {
        Map<String, String> c = new TreeMap<>();
        p.forEach((k, v) -> {
            String name = k.toString();
            if (name.equals("bootstrap.servers") || name.startsWith("security.") || name.startsWith("sasl.") || name.startsWith("ssl.")) {
                c.put(name, String.valueOf(v));
            }
        });
        return c;
    }
}
