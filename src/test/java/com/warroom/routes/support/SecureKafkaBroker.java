package com.warroom.routes.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.scram.ScramLoginModule;
import org.apache.kafka.common.test.api.TestKitDefaults;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.warroom.routes.support.TestPki.KeyStoreFile;
import com.warroom.routes.support.TestPki.StoreType;
import com.warroom.routes.support.TestPki.TrustStoreFile;

/**
 * The in-JVM test broker secured as issue 24's users run theirs: one KRaft node (one per JVM, started on
 * first use, shared by the tests that need it) with
 * <ul>
 *   <li>{@code SASL_SSL}: TLS, then SCRAM-SHA-512 users made by {@link #createScramUser};</li>
 *   <li>{@code SSL}: mutual TLS ({@code ssl.client.auth=required}); a client certificate {@code CN=x}
 *       is the principal {@code User:CN=x};</li>
 *   <li>the kit's own {@code EXTERNAL} (broker, inter-broker) and {@code CONTROLLER} listeners, PLAINTEXT on
 *       localhost: their principal {@code User:ANONYMOUS} is the broker itself and the only super user, so
 *       {@link #admin()} (over {@code EXTERNAL}) can set up users, topics and ACLs;</li>
 *   <li>the KRaft {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}: anyone else
 *       may do only what {@link #grantLeastPrivilege} allowed.</li>
 * </ul>
 * A private CA and the broker's certificate (for {@code localhost} and {@code 127.0.0.1}) are made at
 * start-up and written, with every client store, under {@code target/secure-kafka-<pid>/}.
 */
public final class SecureKafkaBroker {

    public static final String SASL_SSL = "SASL_SSL";
    public static final String SSL = "SSL";
    public static final String SCRAM_SHA_512 = "SCRAM-SHA-512";

    private static final Logger LOG = LoggerFactory.getLogger(SecureKafkaBroker.class);
    private static final Duration PROPAGATION = Duration.ofSeconds(30);

    private static SecureKafkaBroker shared;

    private final TestPki pki;
    private final KafkaBroker broker;
    private final Duration startupTime;
    private final Map<String, Map<StoreType, KeyStoreFile>> clientCerts = new ConcurrentHashMap<>();

    private SecureKafkaBroker() {
        long t0 = System.nanoTime();
        pki = new TestPki(Path.of("target", "secure-kafka-" + ProcessHandle.current().pid()).toAbsolutePath());
        KeyStoreFile server = pki.issue("broker", "localhost", true).get(StoreType.PKCS12);
        TrustStoreFile trust = pki.trustStore(StoreType.PKCS12);
        long pkiMillis = (System.nanoTime() - t0) / 1_000_000;
        String plain = TestKitDefaults.DEFAULT_BROKER_LISTENER_NAME;
        String controller = TestKitDefaults.DEFAULT_CONTROLLER_LISTENER_NAME;
        Map<String, String> config = new HashMap<>();
        config.put("listeners", String.join(",", plain + "://localhost:0", controller + "://localhost:0",
                SASL_SSL + "://localhost:0", SSL + "://localhost:0"));
        config.put("listener.security.protocol.map", String.join(",", plain + ":PLAINTEXT", controller + ":PLAINTEXT",
                SASL_SSL + ":SASL_SSL", SSL + ":SSL"));
        config.put("sasl.enabled.mechanisms", SCRAM_SHA_512);
        // the broker side of SCRAM: the login module only registers the mechanism; credentials live in KRaft
        config.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", ScramLoginModule.class.getName() + " required;");
        config.put("listener.name.ssl.ssl.client.auth", "required");
        config.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, server.type().kafkaType());
        config.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, server.location().toString());
        config.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, server.storePassword());
        config.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, server.keyPassword());
        config.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, trust.type().kafkaType());
        config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, trust.location().toString());
        config.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, trust.password());
        config.put("authorizer.class.name", StandardAuthorizer.class.getName());
        config.put(StandardAuthorizer.ALLOW_EVERYONE_IF_NO_ACL_IS_FOUND_CONFIG, "false");
        config.put(StandardAuthorizer.SUPER_USERS_CONFIG, "User:ANONYMOUS");
        broker = KafkaBroker.dedicated(config);
        startupTime = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("Secured test Kafka broker ready (SASL_SSL {}, SSL {}) in {} ms, {} ms of them for the CA and its certificate",
                saslSslBootstrapServers(), sslBootstrapServers(), startupTime.toMillis(), pkiMillis);
    }

    /** The JVM's secured broker, started on first use and closed when the JVM exits. */
    public static synchronized SecureKafkaBroker shared() {
        if (shared == null) {
            shared = new SecureKafkaBroker();
            Runtime.getRuntime().addShutdownHook(new Thread(SecureKafkaBroker::closeSharedWithin10s, "secure-kafka-shutdown"));
        }
        return shared;
    }

    /** At JVM exit, like {@link KafkaBroker}'s shared broker: a close that hangs must not keep the fork alive. */
    private static void closeSharedWithin10s() {
        KafkaBroker.within10s(() -> shared.broker.close(), "secure-kafka-close");
    }

    /** The broker underneath; its {@link KafkaBroker#bootstrapServers()} is the super user's PLAINTEXT listener. */
    public KafkaBroker broker() {
        return broker;
    }

    /** Making the CA and certificates, then building, formatting and starting the broker. */
    public Duration startupTime() {
        return startupTime;
    }

    /** Where the CA, the broker's and the clients' stores are written. */
    public Path certificateDir() {
        return pki.dir();
    }

    public String saslSslBootstrapServers() {
        return "localhost:" + broker.boundPort(SASL_SSL);
    }

    public String sslBootstrapServers() {
        return "localhost:" + broker.boundPort(SSL);
    }

    /** An admin client of the super user, to set up users, topics and ACLs. Close it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    /** Makes (or resets) a SCRAM-SHA-512 user and waits until the broker knows it. */
    public void createScramUser(String user, String password) {
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password))).all().get();
            // answered from the broker's own metadata: once it lists the user, the user can log in
            Awaitility.await("SCRAM user " + user).atMost(PROPAGATION)
                    .until(() -> admin.describeUserScramCredentials(List.of(user)).all().get().containsKey(user));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create the SCRAM user " + user, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Grants issue 24's least-privilege set to {@code principal} (e.g. {@code User:alice} or
     * {@code User:CN=war-room}) and waits until the broker's authorizer has it: on each topic (literal name)
     * Read, Write, Describe, DescribeConfigs (and Create if {@code create}); on consumer groups prefixed
     * with {@code groupPrefix} Read, Describe, Delete; on the cluster IdempotentWrite and Describe.
     *
     * @return the ACLs granted
     */
    public List<AclBinding> grantLeastPrivilege(String principal, Collection<String> topics, String groupPrefix, boolean create) {
        List<AclBinding> acls = new ArrayList<>();
        List<AclOperation> topicOps = new ArrayList<>(List.of(
                AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS));
        if (create) {
            topicOps.add(AclOperation.CREATE);
        }
        for (String topic : topics) {
            ResourcePattern pattern = new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL);
            topicOps.forEach(op -> acls.add(allow(pattern, principal, op)));
        }
        ResourcePattern groups = new ResourcePattern(ResourceType.GROUP, groupPrefix, PatternType.PREFIXED);
        List.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE).forEach(op -> acls.add(allow(groups, principal, op)));
        ResourcePattern cluster = new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL);
        List.of(AclOperation.IDEMPOTENT_WRITE, AclOperation.DESCRIBE).forEach(op -> acls.add(allow(cluster, principal, op)));
        grant(acls);
        return acls;
    }

    /** Adds ACLs and waits until the broker's authorizer has them all. */
    public void grant(Collection<AclBinding> acls) {
        try (Admin admin = admin()) {
            admin.createAcls(acls).all().get();
            // answered by the broker's own authorizer: once it lists them, they are enforced
            Awaitility.await("ACLs applied").atMost(PROPAGATION)
                    .until(() -> admin.describeAcls(AclBindingFilter.ANY).values().get().containsAll(acls));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create ACLs", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static AclBinding allow(ResourcePattern pattern, String principal, AclOperation op) {
        return new AclBinding(pattern, new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }

    /** Client settings for the SASL_SSL listener as SCRAM-SHA-512 user {@code user}, trusting the CA from a {@code type} store. */
    public Map<String, Object> scramClient(String user, String password, StoreType type) {
        Map<String, Object> props = trusting(saslSslBootstrapServers(), type);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SASL_SSL);
        props.put(SaslConfigs.SASL_MECHANISM, SCRAM_SHA_512);
        props.put(SaslConfigs.SASL_JAAS_CONFIG, ScramLoginModule.class.getName()
                + " required username=\"" + user + "\" password=\"" + password + "\";");
        return props;
    }

    /**
     * Client settings for the mTLS listener with a certificate for {@code CN=commonName} (principal
     * {@code User:CN=commonName}; issued on first use), key and CA both from {@code type} stores.
     */
    public Map<String, Object> mtlsClient(String commonName, StoreType type) {
        KeyStoreFile key = clientCerts.computeIfAbsent(commonName, cn -> pki.issue("client-" + cn, cn, false)).get(type);
        Map<String, Object> props = tlsClientWithoutCertificate(type);
        props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, key.type().kafkaType());
        props.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, key.location().toString());
        if (key.storePassword() != null) {
            props.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, key.storePassword());
        }
        if (key.keyPassword() != null) {
            props.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, key.keyPassword());
        }
        return props;
    }

    /** Client settings for the mTLS listener that trust the CA but present no certificate (to be refused). */
    public Map<String, Object> tlsClientWithoutCertificate(StoreType type) {
        Map<String, Object> props = trusting(sslBootstrapServers(), type);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SSL);
        return props;
    }

    /** The principal name of a client certificate made by {@link #mtlsClient}. */
    public static String mtlsPrincipal(String commonName) {
        return "User:CN=" + commonName;
    }

    private Map<String, Object> trusting(String bootstrapServers, StoreType type) {
        TrustStoreFile trust = pki.trustStore(type);
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, trust.type().kafkaType());
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, trust.location().toString());
        if (trust.password() != null) {
            props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, trust.password());
        }
        return props;
    }
}
