package com.warroom.routes.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.junit.jupiter.api.Assertions.*;

/**
 * No Docker engine runs in CI, so docker/Dockerfile and docker/compose.yaml are checked statically:
 * the compose file parses and names the right images, ports, variables, mounts, topics and grace
 * period; the Dockerfile has the two stages, a dependency layer, the JRE 17 base, a non-root user, the
 * health check on /observe/health/ready without a JVM, and builds with exactly the packaging command
 * the README documents. docker/smoke-test.sh runs the image for real where Docker is.
 */
class DockerFilesTest {

    static Map<String, Object> compose;
    static List<String> dockerfile;
    static String readme;
    static Set<String> configVariables;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws IOException {
        compose = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(Path.of("docker/compose.yaml")));
        dockerfile = instructions(Files.readString(Path.of("docker/Dockerfile")));
        readme = Files.readString(Path.of("README.md"));
        configVariables = new LinkedHashSet<>();
        Matcher m = Pattern.compile("\\{\\{env:([A-Z0-9_]+):").matcher(Files.readString(Path.of("config/application.properties")));
        while (m.find()) {
            configVariables.add(m.group(1));
        }
    }

    /** Dockerfile instructions, continuation lines joined, comments dropped. */
    static List<String> instructions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String t = line.strip();
            if (t.startsWith("#") || t.isEmpty() && current.isEmpty()) {
                continue;
            }
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
            } else {
                out.add(current.append(t).toString().replaceAll("\\s+", " ").strip());
                current.setLength(0);
            }
        }
        return out;
    }

    static List<String> dockerfile(String keyword) {
        return dockerfile.stream().filter(i -> i.startsWith(keyword + " ")).map(i -> i.substring(keyword.length() + 1)).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> service(String name) {
        Map<String, Object> s = (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
        assertNotNull(s, "compose service " + name);
        return s;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object v = parent.get(key);
        assertInstanceOf(Map.class, v, key);
        return (Map<String, Object>) v;
    }

    /** The packaging command of the README: "To run it for real: `mvn ... package`". */
    static String readmePackagingCommand() {
        Matcher m = Pattern.compile("To run it for real: `(mvn [^`]*package)`").matcher(readme);
        assertTrue(m.find(), "the README documents the packaging command");
        return m.group(1);
    }

    @Test
    void dockerfileBuildsWithTheReadmeCommandAndRunsOnJre17AsNonRoot() throws java.io.IOException {
        List<String> from = dockerfile("FROM");
        assertEquals(2, from.size(), "multi-stage: build, then run");
        assertTrue(from.get(0).matches("maven:\\S*eclipse-temurin-17\\S* AS build"), from.get(0));
        assertEquals("eclipse-temurin:17-jre", from.get(1));

        int runStage = dockerfile.indexOf("FROM " + from.get(1));
        List<String> buildRuns = dockerfile.subList(0, runStage).stream().filter(i -> i.startsWith("RUN mvn ")).toList();
        assertEquals("RUN " + readmePackagingCommand(), buildRuns.get(buildRuns.size() - 1), "the image builds the way the README does");
        // the dependency layer: the pom alone, its dependencies and plugins fetched, before the sources come in
        int pom = dockerfile.indexOf("COPY pom.xml ./");
        int sources = dockerfile.indexOf("COPY src ./src");
        assertTrue(pom >= 0 && pom < sources, "pom.xml is copied before the sources");
        assertTrue(dockerfile.subList(pom, sources).stream().anyMatch(i -> i.startsWith("RUN mvn ")), "dependencies resolved in their own layer");
        assertTrue(dockerfile.contains("COPY --from=build /build/target/war-room-routes.jar /app/war-room-routes.jar"));

        List<String> user = dockerfile("USER");
        assertEquals(1, user.size());
        assertFalse(user.get(0).matches("(root|0)(:.*)?"), "runs as a non-root user: " + user.get(0));
        assertEquals(List.of("/app"), dockerfile("WORKDIR").subList(1, 2));
        assertTrue(dockerfile.contains("COPY routes /app/routes"));
        assertTrue(dockerfile.contains("COPY config /app/config"));
        assertEquals(List.of("[\"/app/routes\", \"/app/config\"]"), dockerfile("VOLUME"));
        assertEquals(List.of("8080"), dockerfile("EXPOSE"));
        assertTrue(dockerfile.contains("ENV MANAGEMENT_PORT=8080"));
        assertTrue(dockerfile.contains("ENV MANAGEMENT_HOST=0.0.0.0"), "probes come from outside the container");

        List<String> health = dockerfile("HEALTHCHECK");
        assertEquals(1, health.size());
        assertTrue(health.get(0).endsWith("CMD [\"/app/healthcheck.sh\"]"), "no JVM per health check: " + health.get(0));
        assertTrue(dockerfile.contains("COPY docker/healthcheck.sh /app/healthcheck.sh"));
        assertTrue(dockerfile.contains("COPY config/jvm.options /app/jvm.options"), "the JVM options, outside the config volume");
        assertEquals(List.of("[\"java\", \"@/app/jvm.options\", \"-jar\", \"/app/war-room-routes.jar\"]"),
                dockerfile("ENTRYPOINT"));
        // no file cache of Vert.x under /tmp: the module starts on a read-only root (docker/smoke-test.sh runs it so)
        assertTrue(java.nio.file.Files.readAllLines(java.nio.file.Path.of("config/jvm.options")).contains("-Dvertx.disableFileCPResolving=true"));
    }

    /** bash alone (no curl or wget in the JRE image): readiness, on the port and address the module reads from the environment. */
    @Test
    void theHealthCheckAsksReadinessOnTheManagementPortWithBashAlone() throws IOException {
        String script = Files.readString(Path.of("docker/healthcheck.sh"));
        assertTrue(script.startsWith("#!/bin/bash\n"));
        assertTrue(script.contains("/dev/tcp/$host/${MANAGEMENT_PORT:-8080}"), "the port the module reads");
        assertTrue(script.contains("host=${MANAGEMENT_HOST:-127.0.0.1}"), "the address the module reads");
        assertTrue(script.contains("GET /observe/health/ready HTTP/1.0"));
        assertTrue(script.strip().endsWith("[ \"$status\" = 200 ]"), "healthy on 200 only");
        assertTrue(Files.isExecutable(Path.of("docker/healthcheck.sh")), "COPY keeps the mode: the image runs it directly");
        assertTrue(Files.readString(Path.of("config/application.properties")).contains("management.port = {{env:MANAGEMENT_PORT:8080}}"));
    }

    /** The image and the README's run command start the JVM with config/jvm.options: this JVM must accept it as it is. */
    @Test
    void theShippedJvmOptionsAreAcceptedAndSizeTheHeap() throws Exception {
        assertTrue(readme.contains("java @config/jvm.options -jar target/war-room-routes.jar"), "the README's run command uses them");
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@config/jvm.options", "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
        String flags = new String(java.getInputStream().readAllBytes());
        assertEquals(0, java.waitFor(), flags);
        assertTrue(flags.matches("(?s).*\\bInitialHeapSize\\s+= 33554432\\s+\\{product\\} \\{command line\\}.*"), "-Xms32m");
        assertTrue(flags.matches("(?s).*\\bExitOnOutOfMemoryError\\s+= true\\s.*"), "exit on out-of-memory");
        assertTrue(flags.matches("(?s).*\\bMaxRAMPercentage\\s+= 75\\.0+\\s.*"), "three quarters of a container's memory");
        assertTrue(flags.matches("(?s).*\\bG1HeapRegionSize\\s+= 4194304\\s.*"), "4 MiB regions whatever the host");
        assertTrue(flags.matches("(?s).*\\bMetaspaceSize\\s+= 100663296\\s.*"), "no metaspace-triggered collection during the start");
    }

    @Test
    void composeRunsAKraftBrokerAndCreatesEveryTopicTheModuleUses() throws IOException {
        Map<String, Object> kafka = service("kafka");
        assertTrue(String.valueOf(kafka.get("image")).startsWith("apache/kafka:"));
        Map<String, Object> env = map(kafka, "environment");
        assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
        assertEquals(1, env.get("KAFKA_NODE_ID"));
        assertEquals("1@kafka:9093", env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"));
        assertEquals("PLAINTEXT://kafka:9092", env.get("KAFKA_ADVERTISED_LISTENERS"));
        for (String rf : List.of("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) {
            assertEquals(1, env.get(rf), rf);
        }
        assertNotNull(kafka.get("healthcheck"));

        Map<String, Object> topics = service("kafka-topics");
        assertEquals(kafka.get("image"), topics.get("image"), "topics are created with the broker's own tools");
        assertEquals("service_healthy", map(map(topics, "depends_on"), "kafka").get("condition"));
        assertEquals(List.of("./create-topics.sh:/create-topics.sh:ro"), topics.get("volumes"));
        assertEquals(List.of("/bin/sh", "/create-topics.sh"), topics.get("entrypoint"));
        assertEquals("kafka:9092", map(topics, "environment").get("BOOTSTRAP"));
        String script = Files.readString(Path.of("docker/create-topics.sh"));
        String properties = Files.readString(Path.of("config/application.properties"));
        Matcher m = Pattern.compile("(?m)^([a-z-]+)\\.topic = \\{\\{env:[A-Z_]+:([^}]+)}}").matcher(properties);
        int count = 0;
        while (m.find()) {
            count++;
            assertTrue(script.contains("--topic " + m.group(2) + " "), "compose creates topic " + m.group(2));
        }
        assertEquals(7, count, "every topic of config/application.properties");
        for (String compacted : List.of("war-room-ledger", "im-integrations")) {
            assertTrue(Pattern.compile("--topic " + compacted + " [^\\n]*cleanup.policy=compact").matcher(script).find(), compacted);
        }
        // the ledger as TopicSetup creates it with the default LEDGER_RETENTION (30d): deleting after it plus a day, by broker time
        long keep = com.warroom.routes.ledger.LedgerRetention.checked(java.time.Duration.ofDays(30).toMillis(), 3_600_000,
                java.time.Clock.systemUTC()).keepMillis();
        assertTrue(properties.contains("ledger.retention = {{env:LEDGER_RETENTION:30d}}"), "the default this checks against");
        assertTrue(Pattern.compile("--topic war-room-ledger [^\\n]*cleanup.policy=compact,delete --config retention.ms=" + keep
                + " --config message.timestamp.type=LogAppendTime").matcher(script).find(), "the ledger's retention");
        // the budget journal as TopicSetup creates it when FLASHDUTY_BUDGET_JOURNAL_TOPIC and FLASHDUTY_BUDGET_GROUP are
        // empty (Settings: <CONSUMER_GROUP>-budget-journal): one partition, an hour, by broker time
        assertTrue(properties.contains("consumer.group = {{env:CONSUMER_GROUP:war-room-routes}}"), "the default the name comes from");
        assertTrue(properties.contains("flashduty.budget-group = {{env:FLASHDUTY_BUDGET_GROUP:}}"));
        assertTrue(properties.contains("budget-journal.topic = {{env:FLASHDUTY_BUDGET_JOURNAL_TOPIC:}}"));
        assertTrue(script.contains("--topic war-room-routes-budget-journal --partitions 1 --config retention.ms=3600000"
                + " --config message.timestamp.type=LogAppendTime\n"), "the budget journal");
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsTheModuleWithItsVariablesMountsSecretAndHealthCheck() {
        Map<String, Object> app = service("war-room-routes");
        Map<String, Object> build = map(app, "build");
        assertEquals("..", build.get("context"));
        assertEquals("docker/Dockerfile", build.get("dockerfile"));
        assertEquals("service_completed_successfully", map(map(app, "depends_on"), "kafka-topics").get("condition"));

        Map<String, Object> env = map(app, "environment");
        for (String name : env.keySet()) {
            assertTrue(configVariables.contains(name), name + " is a variable of config/application.properties");
            assertTrue(readme.contains("`" + name + "`"), name + " is in the README's configuration table");
        }
        assertEquals("kafka:9092", env.get("KAFKA_BROKERS"));
        assertFalse(env.containsKey("FLASHDUTY_APP_KEY"), "the key is never written into the compose file");
        assertEquals("/run/secrets/flashduty_app_key", env.get("FLASHDUTY_APP_KEY_FILE"));
        assertEquals(List.of("flashduty_app_key"), app.get("secrets"));
        assertTrue(map(map(compose, "secrets"), "flashduty_app_key").containsKey("file"));

        assertEquals(8080, env.get("MANAGEMENT_PORT"));
        assertEquals("0.0.0.0", env.get("MANAGEMENT_HOST"), "inside the container every interface, so the published port reaches it");
        List<String> ports = (List<String>) app.get("ports");
        assertEquals(1, ports.size());
        // host address : host port : container port; the host address defaults to the loopback
        Matcher port = Pattern.compile("\\$\\{WAR_ROOM_MANAGEMENT_HOST_IP:-([^}]*)}:\\$\\{WAR_ROOM_MANAGEMENT_HOST_PORT:-8080}:8080")
                .matcher(ports.get(0));
        assertTrue(port.matches(), "published on an address of the host, by default: " + ports.get(0));
        assertEquals("127.0.0.1", port.group(1), "by default only this host reaches the management port");
        assertEquals(List.of("../routes:/app/routes:ro", "../config:/app/config:ro"), app.get("volumes"));

        assertNull(app.get("healthcheck"), "the image's HEALTHCHECK applies");
        assertEquals(true, app.get("read_only"));
        assertEquals(List.of("/tmp"), app.get("tmpfs"));
    }

    /** Docker's default 10 s would kill a shutdown still within the module's own time-out. */
    @Test
    void composeGivesTheModuleAGracePeriodAboveItsShutdownTimeout() throws IOException {
        Matcher grace = Pattern.compile("(\\d+)s").matcher(String.valueOf(service("war-room-routes").get("stop_grace_period")));
        assertTrue(grace.matches(), "stop_grace_period in seconds");
        Matcher timeout = Pattern.compile("(?m)^camel\\.main\\.shutdown-timeout = (?:\\{\\{env:[A-Z_]+:)?(\\d+)")
                .matcher(Files.readString(Path.of("config/application.properties")));
        assertTrue(timeout.find(), "camel.main.shutdown-timeout");
        assertTrue(Integer.parseInt(grace.group(1)) >= Integer.parseInt(timeout.group(1)) + 10,
                "grace period " + grace.group(1) + " s, at least 10 s above the shutdown time-out of " + timeout.group(1) + " s");
    }
}
