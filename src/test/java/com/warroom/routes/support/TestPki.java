package com.warroom.routes.support;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * A private CA made at run time, and certificates it signs, written as files in each store type Kafka
 * clients read (PKCS12, JKS, PEM), so tests can prove every form works. Nothing of it is committed:
 * the keys live for one test JVM. EC P-256 keys, because RSA key generation is slow on a busy machine.
 */
public final class TestPki {

    /**
     * The forms of store Kafka clients read. {@link #kafkaType()} is the value of {@code ssl.keystore.type} /
     * {@code ssl.truststore.type}; PEM comes twice, with the key encrypted (and {@code ssl.key.password}) and
     * unencrypted (no password at all, as in a Strimzi user's {@code user.key}).
     */
    public enum StoreType {
        PKCS12("PKCS12", "p12"), JKS("JKS", "jks"), PEM("PEM", "pem"), PEM_UNENCRYPTED_KEY("PEM", "unencrypted.pem");

        private final String kafkaType;
        private final String extension;

        StoreType(String kafkaType, String extension) {
            this.kafkaType = kafkaType;
            this.extension = extension;
        }

        public String kafkaType() {
            return kafkaType;
        }
    }

    /**
     * One identity's key and certificate chain in one store type. For PEM the key file holds a
     * PKCS#8 key (encrypted with {@code keyPassword}, or not and {@code keyPassword} null) and then the
     * chain; Kafka takes no store password for PEM files, so {@code storePassword} is null there.
     */
    public record KeyStoreFile(StoreType type, Path location, String storePassword, String keyPassword) {
    }

    /** The CA's certificate in one store type ({@code password} null for PEM, as above). */
    public record TrustStoreFile(StoreType type, Path location, String password) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration VALIDITY = Duration.ofDays(2);

    private static final X500Name CA_NAME = new X500Name("CN=war-room-routes test CA");

    private final Path dir;
    private final String password = randomHex(12);
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    private final Map<StoreType, TrustStoreFile> trustStores = new EnumMap<>(StoreType.class);

    /** Makes the CA and writes its trust stores into {@code dir} (created if missing). */
    public TestPki(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            caKeys = keyPair();
            caCert = sign(CA_NAME, caKeys, true, null);
            for (StoreType type : List.of(StoreType.PKCS12, StoreType.JKS, StoreType.PEM)) {
                Path file = dir.resolve("ca-truststore." + type.extension);
                if (type == StoreType.PEM) {
                    writePem(file, caCert);
                    trustStores.put(type, new TrustStoreFile(type, file, null));
                } else {
                    KeyStore store = KeyStore.getInstance(type.kafkaType());
                    store.load(null, null);
                    store.setCertificateEntry("ca", caCert);
                    save(store, file);
                    trustStores.put(type, new TrustStoreFile(type, file, password));
                }
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make the test CA in " + dir, e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The CA in a {@code type} store (for both PEM forms the same certificate file). */
    public TrustStoreFile trustStore(StoreType type) {
        return trustStores.get(type == StoreType.PEM_UNENCRYPTED_KEY ? StoreType.PEM : type);
    }

    /**
     * Issues a certificate for subject {@code CN=commonName} (valid for TLS server and client use; for
     * a server, with {@code localhost} and {@code 127.0.0.1} as its names) and writes it with its key in
     * every store type, as {@code <name>.p12}, {@code <name>.jks}, {@code <name>.pem} and
     * {@code <name>.unencrypted.pem}.
     */
    public Map<StoreType, KeyStoreFile> issue(String name, String commonName, boolean server) {
        try {
            KeyPair keys = keyPair();
            GeneralNames names = server ? new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}) : null;
            X509Certificate cert = sign(new X500Name("CN=" + commonName), keys, false, names);
            Certificate[] chain = {cert, caCert};
            Map<StoreType, KeyStoreFile> files = new EnumMap<>(StoreType.class);
            for (StoreType type : StoreType.values()) {
                Path file = dir.resolve(name + "." + type.extension);
                if (type == StoreType.PEM) {
                    writePem(file, encrypted(keys.getPrivate()), cert, caCert);
                    files.put(type, new KeyStoreFile(type, file, null, password));
                } else if (type == StoreType.PEM_UNENCRYPTED_KEY) {
                    writePem(file, new JcaPKCS8Generator(keys.getPrivate(), null), cert, caCert);
                    files.put(type, new KeyStoreFile(type, file, null, null));
                } else {
                    KeyStore store = KeyStore.getInstance(type.kafkaType());
                    store.load(null, null);
                    store.setKeyEntry(name, keys.getPrivate(), password.toCharArray(), chain);
                    save(store, file);
                    files.put(type, new KeyStoreFile(type, file, password, password));
                }
            }
            return files;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue the test certificate " + name, e);
        }
    }

    /** A random secret for test stores and users (hex, so it needs no quoting in a JAAS line). */
    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private X509Certificate sign(X500Name subject, KeyPair keys, boolean ca, GeneralNames names)
            throws GeneralSecurityException, IOException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(CA_NAME, new BigInteger(64, RANDOM),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        }
        if (names != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, names);
        }
        PrivateKey signer = ca ? keys.getPrivate() : caKeys.getPrivate();
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /**
     * The key as "ENCRYPTED PRIVATE KEY" (PKCS#8) with PBE-SHA1-3DES, as {@code openssl pkcs8 -topk8 -v1
     * PBE-SHA1-3DES} makes it. Not openssl's default PBES2 (AES-256-CBC): Kafka 4.3's PEM loader fails on it
     * under Java 17 ("PBES2 SecretKeyFactory not available").
     */
    private JcaPKCS8Generator encrypted(PrivateKey key) throws GeneralSecurityException, IOException {
        try {
            return new JcaPKCS8Generator(key, new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.PBE_SHA1_3DES)
                    .setProvider(new BouncyCastleProvider()).setRandom(RANDOM).setPassword(password.toCharArray()).build());
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static void writePem(Path file, Object... objects) throws IOException {
        try (Writer out = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                if (o instanceof PemObjectGenerator generator) {
                    pem.writeObject(generator);
                } else {
                    pem.writeObject(o);
                }
            }
        }
    }

    private void save(KeyStore store, Path file) throws GeneralSecurityException, IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
    }
}
