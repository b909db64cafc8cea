package com.warroom.routes.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.ops.ReplayCommand;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.SecureKafkaBroker;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TestPki;
import com.warroom.routes.support.TestPki.StoreType;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24: the shipped routes and configuration over a secured Kafka, as a principal holding only the
 * documented ACLs (docs/deploying.md), with the topics made beforehand and {@code KAFKA_CREATE_TOPICS=false}.
 * An incident gets its war room (and its ledger entry), a template lookup its answer, the IM catalog is
 * published, a malformed record is dead-lettered, and {@code replay} (in this JVM, as the CLI runs it)
 * re-publishes the incidents for the live service. Once over SASL_SSL with SCRAM-SHA-512 (CA in a PKCS12
 * trust store), once over mutual TLS (certificate, encrypted key and CA in PEM files). One broker with both
 * listeners ({@link SecureKafkaBroker#shared()}); the test's own records and reads go through the super
 * user's PLAINTEXT listener. And what those ACLs do not cover: a budget group outside {@code CONSUMER_GROUP}'s prefix.
 */
class SecuredPipelineIT {

    static final Duration WAIT = Duration.ofSeconds(60);

    static SecureKafkaBroker broker;
    static KafkaTestClient superUser;

    @BeforeAll
    static void startBroker() {
        broker = SecureKafkaBroker.shared();
        superUser = new KafkaTestClient(broker.broker().bootstrapServers());
    }

    @AfterAll
    static void closeClient() {
        if (superUser != null) {
            superUser.close();
        }
    }

    /**
     * What is no secret through the environment forms' keys ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_MECHANISM},
     * {@code KAFKA_SSL_TRUSTSTORE_LOCATION}, {@code _TYPE}), the JAAS line and the trust store's password through
     * the client properties file (the secrets' environment forms cannot be set in this JVM).
     */
    @Test
    void pipelineOverSaslSslWithScramAndAPkcs12TrustStore() throws Exception {
        String user = "war-room-" + TestPki.randomHex(4);
        String password = TestPki.randomHex(16);
        broker.createScramUser(user, password);
        Map<String, Object> client = broker.scramClient(user, password, StoreType.PKCS12);
        Map<String, String> settings = new HashMap<>();
        settings.put("kafka.security-protocol", (String) client.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG));
        settings.put("kafka.sasl-mechanism", (String) client.get(SaslConfigs.SASL_MECHANISM));
        settings.put("kafka.ssl-truststore-location", (String) client.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG));
        settings.put("kafka.ssl-truststore-type", (String) client.get(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG));
        settings.put("kafka.client-properties-file", clientPropertiesFile(Map.of(
                SaslConfigs.SASL_JAAS_CONFIG, client.get(SaslConfigs.SASL_JAAS_CONFIG),
                SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, client.get(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG))).toString());
        runPipeline("User:" + user, broker.saslSslBootstrapServers(), settings,
                List.of(password, (String) client.get(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG)));
    }

    /** Everything in the client properties file: protocol, PEM key store (encrypted key, its password), PEM trust store. */
    @Test
    void pipelineOverMutualTlsWithPemStores() throws Exception {
        String cn = "war-room-" + TestPki.randomHex(4);
        Map<String, Object> client = new HashMap<>(broker.mtlsClient(cn, StoreType.PEM));
        client.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        runPipeline(SecureKafkaBroker.mtlsPrincipal(cn), broker.sslBootstrapServers(),
                Map.of("kafka.client-properties-file", clientPropertiesFile(client).toString()),
                List.of((String) client.get(SslConfigs.SSL_KEY_PASSWORD_CONFIG)));
    }

    /**
     * A budget group outside {@code CONSUMER_GROUP}'s prefix (FLASHDUTY_BUDGET_GROUP shared by several deployments)
     * is not covered by the prefixed group ACLs (docs/deploying.md): readiness DOWN naming the group, no Flashduty call.
     */
    @Test
    void budgetGroupOutsideTheConsumerGroupPrefixIsNotCovered() throws Exception {
        String user = "war-room-" + TestPki.randomHex(4);
        String password = TestPki.randomHex(16);
        broker.createScramUser(user, password);
        Map<String, Object> client = new HashMap<>(broker.scramClient(user, password, StoreType.JKS));
        client.remove(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> settings = RunningApp.settings(broker.saslSslBootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
            settings.put("kafka.create-topics", "false");
            settings.put("kafka.client-properties-file", clientPropertiesFile(client).toString());
            String budgetGroup = "shared-budget-" + TestPki.randomHex(4);
            settings.put("flashduty.budget-group", budgetGroup);
            broker.grantLeastPrivilege("User:" + user, createTopics(settings), settings.get("consumer.group"), false);
            // not waiting for the Kafka start-up, which waits 30 s for the budget group's first join before it gives up
            try (RunningApp app = RunningApp.starting(settings, Path.of("routes"), Path.of("config/application.properties"))) {
                // "budget-share=not authorized: Read on group <budget group> (ACL missing for this module's principal)"
                Awaitility.await("readiness DOWN naming the budget group").atMost(WAIT).until(() -> {
                    var ready = app.management("/observe/health/ready");
                    return ready.statusCode() == 503 && ready.body().contains("Read on group " + budgetGroup);
                });
                assertEquals(List.of(), sandbox.calls(), "no Flashduty call without the budget");
            }
        }
    }

    /** The pipeline as {@code principal}; none of {@code secrets} may reach a log line, the health page or the metrics. */
    private static void runPipeline(String principal, String brokers, Map<String, String> clientSettings, List<String> secrets)
            throws Exception {
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            List<String> templates = sandbox.seedTemplates(2);
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            settings.put("kafka.create-topics", "false");
            settings.putAll(clientSettings);
            List<String> topics = createTopics(settings);
            List<AclBinding> granted = broker.grantLeastPrivilege(principal, topics, settings.get("consumer.group"), false);
            assertEquals(Set.copyOf(granted), aclsOf(principal), "the principal holds the documented ACLs and nothing else");

            try (LogCapture log = LogCapture.capture();
                 TopicCollector collected = new TopicCollector(broker.broker().bootstrapServers(), List.of(
                    settings.get("result.topic"), settings.get("dead-letter.topic"), settings.get("ledger.topic"),
                    settings.get("template.topic"), settings.get("integration.topic"), settings.get("incident.topic")));
                 RunningApp app = RunningApp.start(settings)) {
                Awaitility.await("ready").atMost(WAIT)
                        .until(() -> app.management("/observe/health/ready").statusCode() == 200);
                Instant before = Instant.now().minusSeconds(1);

                // an incident gets its war room, and its ledger entry
                ObjectNode event = Events.fresh();
                String incidentId = Events.incidentId(event);
                superUser.send(settings.get("incident.topic"), incidentId, Events.json(event));
                JsonNode created = collected.await(settings.get("result.topic"),
                        r -> incidentId.equals(r.path("incident_id").asText()), WAIT);
                assertEquals("created", created.path("status").asText(), created.toString());
                collected.await(settings.get("ledger.topic"), r -> incidentId.equals(r.path("incident_id").asText()), WAIT);

                // a template lookup gets its answer
                superUser.send(settings.get("template-request.topic"), null,
                        "{\"template_id\": \"" + templates.get(1) + "\", \"lookup_id\": \"secured-1\"}");
                JsonNode answer = collected.await(settings.get("template.topic"), r -> "secured-1".equals(r.path("lookup_id").asText()), WAIT);
                assertEquals("found", answer.path("lookup_status").asText(), answer.toString());

                // the IM catalog is published
                Awaitility.await("the IM catalog").atMost(WAIT).until(() -> collected.records(settings.get("integration.topic")).stream()
                        .anyMatch(r -> "flashduty:362".equals(TestKafka.key(r))));

                // a malformed record is dead-lettered
                superUser.send(settings.get("incident.topic"), "not-json", "{\"event_id\": \"x\", \"incident\": {");
                Awaitility.await("the dead letter").atMost(WAIT).until(() -> collected.records(settings.get("dead-letter.topic")).stream()
                        .anyMatch(r -> "not-json".equals(TestKafka.key(r)) && "malformed_json".equals(TestKafka.header(r, "dlq-reason"))));

                // replay re-publishes the incident's record; the live service finds its war room
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int code = ReplayCommand.run(new String[] {"--from", before.toString()}, settings,
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
                String printed = out.toString(StandardCharsets.UTF_8) + "\n" + err.toString(StandardCharsets.UTF_8);
                assertEquals(0, code, printed);
                assertTrue(printed.contains("replay: 2/2 records (100%)"), printed);
                Awaitility.await("the replayed copy").atMost(WAIT).until(() -> collected.records(settings.get("incident.topic")).stream()
                        .anyMatch(r -> incidentId.equals(TestKafka.key(r)) && TestKafka.header(r, "replayed-from-offset") != null));
                List<JsonNode> both = collected.awaitCount(settings.get("result.topic"),
                        r -> incidentId.equals(r.path("incident_id").asText()), 2, WAIT);
                assertEquals("already_exists", both.get(1).path("status").asText(), both.toString());
                assertEquals(1, sandbox.createCount(incidentId), "one war room");

                assertEquals(200, app.management("/observe/health/ready").statusCode(), "still ready");
                String pages = app.management("/observe/health").body() + app.management("/observe/metrics").body();
                assertFalse(log.lines().isEmpty(), "the log was captured");
                for (String secret : secrets) {
                    assertFalse(printed.contains(secret), "a secret reached replay's output");
                    assertTrue(log.lines().stream().noneMatch(l -> l.contains(secret)), "a secret reached the log");
                    assertFalse(pages.contains(secret), "a secret reached the health or metrics page");
                }
            }
        }
    }

    /**
     * The topics as an operator makes them beforehand (docs/deploying.md, TopicSetup): the ledger compacted with
     * deletion after its retention, the catalogs compacted, the budget journal on one partition stamped by the broker.
     */
    private static List<String> createTopics(Map<String, String> settings) {
        for (String key : List.of("incident.topic", "result.topic", "template-request.topic")) {
            broker.broker().createTopic(settings.get(key), 1);
        }
        broker.broker().createTopic(settings.get("dead-letter.topic"), 1,
                Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1052684"));
        broker.broker().createTopic(settings.get("ledger.topic"), 1, Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete",
                TopicConfig.RETENTION_MS_CONFIG, String.valueOf(Duration.ofDays(31).toMillis()),
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        broker.broker().createCompactedTopic(settings.get("template.topic"), 1);
        broker.broker().createCompactedTopic(settings.get("integration.topic"), 1);
        broker.broker().createTopic(settings.get("budget-journal.topic"), 1, Map.of(
                TopicConfig.RETENTION_MS_CONFIG, "3600000", TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        return settings.entrySet().stream().filter(e -> e.getKey().endsWith(".topic")).map(Map.Entry::getValue).toList();
    }

    private static Set<AclBinding> aclsOf(String principal) throws Exception {
        try (Admin admin = broker.admin()) {
            return new HashSet<>(admin.describeAcls(new AclBindingFilter(ResourcePatternFilter.ANY,
                    new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY))).values().get());
        }
    }

    /** The client settings as a Kafka client properties file (KAFKA_CLIENT_PROPERTIES_FILE), readable by its owner only. */
    private static Path clientPropertiesFile(Map<String, Object> client) throws IOException {
        Properties p = new Properties();
        client.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        Path file = Files.createTempFile("kafka-client", ".properties");
        file.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, null);
        }
        return file;
    }
}
