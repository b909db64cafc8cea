package com.warroom.routes.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.warroom.routes.support.TestPki.StoreType;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The secured test broker with plain Kafka clients (no app): issue 24's ACL set is enough to produce
 * (idempotent, acks=all), consume and commit over SASL_SSL + SCRAM-SHA-512 and over mTLS, with PKCS12,
 * JKS and PEM stores; less is refused naming the resource; bad credentials are refused. One broker for all.
 */
class SecureKafkaBrokerIT {

    private static final Logger LOG = LoggerFactory.getLogger(SecureKafkaBrokerIT.class);
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static SecureKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = SecureKafkaBroker.shared();
        LOG.info("secured broker start took {} ms", broker.startupTime().toMillis());
    }

    @ParameterizedTest
    @EnumSource(value = StoreType.class, names = "PEM_UNENCRYPTED_KEY", mode = EnumSource.Mode.EXCLUDE) // same trust store as PEM
    void scramUserWithTheAclSetProducesConsumesAndCommitsButCreatesNothing(StoreType type) throws Exception {
        String user = "war-room-" + TestPki.randomHex(4);
        String password = TestPki.randomHex(16);
        broker.createScramUser(user, password);
        leastPrivilegeIsEnough("User:" + user, broker.scramClient(user, password, type));
    }

    @ParameterizedTest
    @EnumSource(StoreType.class)
    void mtlsPrincipalWithTheAclSetProducesConsumesAndCommitsButCreatesNothing(StoreType type) throws Exception {
        String cn = "war-room-" + TestPki.randomHex(4);
        leastPrivilegeIsEnough(SecureKafkaBroker.mtlsPrincipal(cn), broker.mtlsClient(cn, type));
    }

    private static void leastPrivilegeIsEnough(String principal, Map<String, Object> client) throws Exception {
        String topic = "secure-" + TestPki.randomHex(4);
        String groupPrefix = "war-room-routes-" + TestPki.randomHex(4);
        broker.broker().createTopic(topic, 1);
        broker.grantLeastPrivilege(principal, List.of(topic), groupPrefix, false);

        String notCreated = topic + "-new";
        try (Admin admin = Admin.create(client)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.createTopics(List.of(new NewTopic(notCreated, 1, (short) 1))).all().get());
            assertInstanceOf(TopicAuthorizationException.class, e.getCause());
        }
        try (Admin admin = broker.admin()) {
            assertFalse(admin.listTopics().names().get().contains(notCreated));
        }

        try (KafkaProducer<String, String> producer = producer(client)) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
            }
        }

        String group = groupPrefix + "-consumer";
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = consumer(client, group)) {
            consumer.subscribe(List.of(topic));
            List<String> values = new ArrayList<>();
            Awaitility.await("3 records").atMost(DEADLINE).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return values.size() >= 3;
            });
            assertEquals(List.of("v0", "v1", "v2"), values);
            consumer.commitSync();
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(partition));
            assertEquals(3, committed.get(partition).offset());
        }
    }

    @Test
    void missingAclsAreRefusedNamingTheResource() throws Exception {
        String user = "war-room-" + TestPki.randomHex(4);
        String password = TestPki.randomHex(16);
        String granted = "secure-granted-" + TestPki.randomHex(4);
        String other = "secure-other-" + TestPki.randomHex(4);
        broker.broker().createTopic(granted, 1);
        broker.broker().createTopic(other, 1);
        broker.createScramUser(user, password);
        broker.grantLeastPrivilege("User:" + user, List.of(granted), "war-room-routes-", false);
        Map<String, Object> client = broker.scramClient(user, password, StoreType.PKCS12);

        try (KafkaProducer<String, String> producer = producer(client)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>(other, "k", "v")).get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
            TopicAuthorizationException denied = assertInstanceOf(TopicAuthorizationException.class, e.getCause());
            assertEquals(Set.of(other), denied.unauthorizedTopics());
        }
        try (KafkaConsumer<String, String> consumer = consumer(client, "not-the-prefix")) {
            consumer.subscribe(List.of(granted));
            GroupAuthorizationException denied = assertThrows(GroupAuthorizationException.class, () -> pollUntilError(consumer));
            assertEquals("not-the-prefix", denied.groupId());
        }

        // a valid certificate whose principal has no ACL at all
        try (KafkaProducer<String, String> producer = producer(broker.mtlsClient("nobody-" + TestPki.randomHex(4), StoreType.PEM))) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>(granted, "k", "v")).get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
            TopicAuthorizationException denied = assertInstanceOf(TopicAuthorizationException.class, e.getCause());
            assertEquals(Set.of(granted), denied.unauthorizedTopics());
        }
    }

    @Test
    void wrongPasswordAndUnknownUserAreRefused() {
        String user = "war-room-" + TestPki.randomHex(4);
        broker.createScramUser(user, TestPki.randomHex(16));
        for (Map<String, Object> client : List.of(
                broker.scramClient(user, "wrong-" + TestPki.randomHex(8), StoreType.JKS),
                broker.scramClient("nobody-" + TestPki.randomHex(4), TestPki.randomHex(16), StoreType.JKS))) {
            assertInstanceOf(SaslAuthenticationException.class, describeClusterError(client));
        }
    }

    @Test
    void clientWithoutCertificateIsRefused() {
        assertInstanceOf(SslAuthenticationException.class, describeClusterError(broker.tlsClientWithoutCertificate(StoreType.PKCS12)));
    }

    private static Throwable describeClusterError(Map<String, Object> client) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) DEADLINE.toMillis());
        try (Admin admin = Admin.create(props)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> admin.describeCluster().clusterId().get());
            return e.getCause();
        }
    }

    private static void pollUntilError(KafkaConsumer<String, String> consumer) {
        Awaitility.await("an error").atMost(DEADLINE).pollInSameThread().pollDelay(Duration.ZERO).until(() -> {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                LOG.info("unexpected record at offset {}", r.offset());
            }
            return false;
        });
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> client) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) DEADLINE.toMillis());
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(Map<String, Object> client, String group) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }
}
