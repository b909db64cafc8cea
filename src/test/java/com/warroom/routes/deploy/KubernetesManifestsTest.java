package com.warroom.routes.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.warroom.routes.kafka.RecordLimits;
import com.warroom.routes.ledger.LedgerRetention;
import com.warroom.routes.observe.HealthPage;
import com.warroom.routes.observe.ManagementServerFactory;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.util.TimeUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.warroom.routes.deploy.Manifests.configMap;
import static com.warroom.routes.deploy.Manifests.container;
import static com.warroom.routes.deploy.Manifests.list;
import static com.warroom.routes.deploy.Manifests.map;
import static com.warroom.routes.deploy.Manifests.name;
import static com.warroom.routes.deploy.Manifests.ofKind;
import static com.warroom.routes.deploy.Manifests.one;
import static com.warroom.routes.deploy.Manifests.podSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/kubernetes checked against the code: the probes ask pages the management server serves, on
 * MANAGEMENT_PORT's default; the grace period outlasts the shutdown timeout; every variable set is one of the
 * configuration table's and read by the module; routes/ and config/ are mounted where the image reads them; the
 * Strimzi topics are the module's with TopicSetup's settings and the Kafka user holds docs/deploying.md's ACLs.
 */
class KubernetesManifestsTest {

    static List<Map<String, Object>> base;
    static List<Map<String, Object>> strimzi;
    static List<Map<String, Object>> replay;
    static Properties config;
    static String dockerfile;

    @BeforeAll
    static void render() throws Exception {
        base = Manifests.render(".");
        strimzi = Manifests.render("overlays/strimzi");
        replay = Manifests.render("overlays/replay");
        config = new Properties();
        try (var in = Files.newBufferedReader(Path.of("config/application.properties"))) {
            config.load(in);
        }
        dockerfile = Files.readString(Path.of("docker/Dockerfile"));
    }

    /** The default of a {@code {{env:NAME:default}}} setting of config/application.properties, or its plain value. */
    static String configDefault(String key) {
        String v = config.getProperty(key);
        assertTrue(v != null, key + " in config/application.properties");
        Matcher m = Pattern.compile("\\{\\{env:[A-Z0-9_]+:(.*)}}").matcher(v.strip());
        return m.matches() ? m.group(1) : v.strip();
    }

    static Map<String, String> env(List<Map<String, Object>> docs, Map<String, Object> workload) {
        Map<String, Object> c = container(workload);
        List<Map<String, Object>> from = list(c, "envFrom");
        assertFalse(c.containsKey("env"), "settings come from the ConfigMap only");
        assertEquals(1, from.size());
        return configMap(docs, (String) map(from.get(0), "configMapRef").get("name"));
    }

    static int containerPort(Map<String, Object> container, Object port) {
        if (port instanceof Integer number) {
            return number;
        }
        return list(container, "ports").stream().filter(p -> port.equals(p.get("name"))).map(p -> (Integer) p.get("containerPort"))
                .findFirst().orElseThrow(() -> new AssertionError("no container port named " + port));
    }

    @Test
    void theProbesAskTheManagementPortForPagesItServes() throws Exception {
        Map<String, Object> deployment = one(base, "Deployment");
        Map<String, Object> c = container(deployment);
        int managementPort = Integer.parseInt(configDefault("management.port"));
        assertEquals(String.valueOf(managementPort), env(base, deployment).getOrDefault("MANAGEMENT_PORT", String.valueOf(managementPort)));
        assertEquals("0.0.0.0", env(base, deployment).get("MANAGEMENT_HOST"), "the kubelet probes from outside the container");
        Map<String, String> paths = Map.of("startupProbe", "/live", "livenessProbe", "/live", "readinessProbe", "/ready");
        List<String> probed = new ArrayList<>();
        for (var probe : paths.entrySet()) {
            Map<String, Object> get = map(c, probe.getKey(), "httpGet");
            assertEquals(managementPort, containerPort(c, get.get("port")), probe.getKey() + " on MANAGEMENT_PORT");
            String path = (String) get.get("path");
            assertTrue(path.endsWith(probe.getValue()), probe.getKey() + " asks " + probe.getValue() + ": " + path);
            probed.add(path);
        }

        // the pages answer (200 or 503, never 404) on the module's own management server, as configured
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            HttpManagementServerConfigurationProperties m = new MainConfigurationProperties().httpManagementServer();
            m.setHost("127.0.0.1");
            m.setPort(port);
            if (config.getProperty("camel.management.health-path") != null) {
                m.setHealthPath(config.getProperty("camel.management.health-path").strip());
            }
            // started at once, as camel-main starts its management server, so the pages are added to a running router
            context.addService(new ManagementServerFactory().newHttpManagementServer(context, m), true, true);
            context.addStartupListener(new HealthPage());
            context.start();
            HttpClient http = HttpClient.newHttpClient();
            for (String path : probed) {
                int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                assertTrue(status == 200 || status == 503, path + " is served: " + status);
            }
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/health/nothing")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), "a page not served answers 404");
        }
    }

    @Test
    void theManagementServiceAndItsScrapeAnnotationsPointAtTheManagementPort() throws Exception {
        Map<String, Object> deployment = one(base, "Deployment");
        Map<String, Object> service = one(base, "Service");
        List<Map<String, Object>> ports = list(map(service, "spec"), "ports");
        assertEquals(1, ports.size());
        assertEquals("management", ports.get(0).get("name"));
        int managementPort = Integer.parseInt(configDefault("management.port"));
        assertEquals(managementPort, containerPort(container(deployment), ports.get(0).get("targetPort")));
        assertEquals(map(deployment, "spec", "template", "metadata", "labels"), map(service, "spec", "selector"),
                "the Service selects the Deployment's pods");
        Map<String, Object> annotations = map(service, "metadata", "annotations");
        assertEquals(String.valueOf(managementPort), annotations.get("prometheus.io/port"));
        var metricsPath = Class.forName("com.warroom.routes.observe.PrometheusMetrics").getDeclaredField("PATH");
        metricsPath.setAccessible(true);
        assertEquals(metricsPath.get(null), annotations.get("prometheus.io/path"));
    }

    @Test
    void theGracePeriodOutlastsTheShutdownTimeout() {
        Map<String, Object> deployment = one(base, "Deployment");
        String timeout = config.getProperty("camel.main.shutdown-timeout").strip();
        Matcher fromEnv = Pattern.compile("\\{\\{env:([A-Z0-9_]+):(\\d+)}}").matcher(timeout);
        long seconds = fromEnv.matches()
                ? Long.parseLong(env(base, deployment).getOrDefault(fromEnv.group(1), fromEnv.group(2)))
                : Long.parseLong(timeout);
        int grace = (Integer) podSpec(deployment).get("terminationGracePeriodSeconds");
        assertTrue(grace > seconds, "terminationGracePeriodSeconds " + grace + " > camel.main.shutdown-timeout " + seconds);
        assertEquals("Recreate", map(deployment, "spec", "strategy").get("type"),
                "no two budget settings in one budget group during a rollout (README.md of deploy/kubernetes)");
    }

    /** Each variable name of the README's configuration tables; `X` or `_FILE` stands for X and X_FILE. */
    static Set<String> readmeVariables() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String section = readme.substring(readme.indexOf("\n## Configuration"), readme.indexOf("\n## Where the rest is"));
        Set<String> names = new TreeSet<>();
        for (String row : section.split("\n")) {
            if (!row.startsWith("| `")) {
                continue;
            }
            Matcher m = Pattern.compile("`([A-Z0-9_]+)`").matcher(row.split("\\|")[1]);
            String previous = null;
            while (m.find()) {
                String name = m.group(1).equals("_FILE") && previous != null ? previous + "_FILE" : m.group(1);
                names.add(name);
                previous = m.group(1).equals("_FILE") ? previous : name;
            }
        }
        return names;
    }

    @Test
    void everyVariableSetIsInTheConfigurationTableAndReadByTheModule() throws IOException {
        Set<String> documented = readmeVariables();
        assertTrue(documented.containsAll(Set.of("KAFKA_BROKERS", "FLASHDUTY_APP_KEY_FILE", "KAFKA_SASL_JAAS_CONFIG_FILE")), "the table is read");
        String properties = Files.readString(Path.of("config/application.properties"));
        String sources;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            sources = files.filter(p -> p.toString().endsWith(".java")).map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.joining("\n"));
        }
        Set<String> used = new LinkedHashSet<>();
        for (List<Map<String, Object>> docs : List.of(base, strimzi, replay)) {
            for (String kind : List.of("Deployment", "Job")) {
                for (Map<String, Object> workload : ofKind(docs, kind)) {
                    used.addAll(env(docs, workload).keySet());
                }
            }
        }
        assertTrue(used.size() >= 10, "the variables set: " + used);
        for (String name : used) {
            assertTrue(documented.contains(name), name + " is in the README's configuration table");
            // most are settings of config/application.properties; the Kafka secrets are read from the environment only
            String secret = name.endsWith("_FILE") ? name.substring(0, name.length() - "_FILE".length()) : name;
            assertTrue(properties.contains("{{env:" + name + ":") || sources.contains("\"" + secret + "\""),
                    name + " is read by the module (config/application.properties or, for a secret, the code)");
        }
    }

    @Test
    void routesAndConfigAreMountedWhereTheImageReadsThem() throws IOException {
        Matcher routesDir = Pattern.compile("(?m)^COPY routes (\\S+)$").matcher(dockerfile);
        Matcher configDir = Pattern.compile("(?m)^COPY config (\\S+)$").matcher(dockerfile);
        Matcher jvmOptions = Pattern.compile("(?m)^ENTRYPOINT .*\"@(\\S+)\"").matcher(dockerfile);
        assertTrue(routesDir.find() && configDir.find() && jvmOptions.find(), "the image's folders");
        List<String> routeFiles;
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            routeFiles = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
        for (List<Map<String, Object>> docs : List.of(base, strimzi, replay)) {
            for (Map<String, Object> workload : Stream.of("Deployment", "Job").flatMap(k -> ofKind(docs, k).stream()).toList()) {
                Map<String, String> volumeConfigMaps = list(podSpec(workload), "volumes").stream().filter(v -> v.containsKey("configMap"))
                        .collect(Collectors.toMap(v -> (String) v.get("name"), v -> (String) map(v, "configMap").get("name")));
                Map<String, String> mounted = new java.util.HashMap<>();
                for (Map<String, Object> mount : list(container(workload), "volumeMounts")) {
                    String cm = volumeConfigMaps.get(mount.get("name"));
                    if (cm != null) {
                        String file = (String) mount.get("subPath");
                        mounted.put((String) mount.get("mountPath"), file == null ? cm : cm + "/" + file);
                        assertEquals(Boolean.TRUE, mount.get("readOnly"), "read-only: " + mount.get("mountPath"));
                    }
                }
                String routes = mounted.get(routesDir.group(1));
                String conf = mounted.get(configDir.group(1));
                assertTrue(routes != null && conf != null, name(workload) + " mounts " + routesDir.group(1) + " and " + configDir.group(1));
                assertEquals(conf + "/jvm.options", mounted.get(jvmOptions.group(1)), "the JVM options the image starts with");
                Map<String, String> routesData = configMap(docs, routes);
                assertEquals(routeFiles, routesData.keySet().stream().sorted().toList(), "every route file, and only those");
                for (String file : routeFiles) {
                    assertEquals(Files.readString(Path.of("routes", file)), routesData.get(file), file);
                }
                Map<String, String> confData = configMap(docs, conf);
                assertEquals(Set.of("application.properties", "jvm.options"), confData.keySet());
                assertEquals(Files.readString(Path.of("config/application.properties")), confData.get("application.properties"));
                assertEquals(Files.readString(Path.of("config/jvm.options")), confData.get("jvm.options"));
            }
        }
    }

    @Test
    void podsRunAsTheImageUserOnAReadOnlyRootWithNoPrivilege() throws IOException {
        Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(dockerfile);
        assertTrue(user.find(), "the image's user");
        for (Map<String, Object> workload : List.of(one(base, "Deployment"), one(replay, "Job"))) {
            Map<String, Object> pod = map(podSpec(workload), "securityContext");
            assertEquals(Boolean.TRUE, pod.get("runAsNonRoot"));
            assertEquals(Integer.parseInt(user.group(1)), pod.get("runAsUser"));
            assertEquals(Integer.parseInt(user.group(2)), pod.get("runAsGroup"));
            assertEquals("RuntimeDefault", map(pod, "seccompProfile").get("type"));
            Map<String, Object> c = map(container(workload), "securityContext");
            assertEquals(Boolean.TRUE, c.get("readOnlyRootFilesystem"));
            assertEquals(Boolean.FALSE, c.get("allowPrivilegeEscalation"));
            assertEquals(List.of("ALL"), map(c, "capabilities").get("drop"));
            String tmpVolume = list(container(workload), "volumeMounts").stream().filter(m -> "/tmp".equals(m.get("mountPath")))
                    .map(m -> (String) m.get("name")).findFirst().orElseThrow(() -> new AssertionError("a writable /tmp"));
            Map<String, Object> emptyDir = list(podSpec(workload), "volumes").stream().filter(v -> tmpVolume.equals(v.get("name")))
                    .map(v -> map(v, "emptyDir")).findFirst().orElseThrow();
            assertEquals("Memory", emptyDir.get("medium"));
            assertTrue(emptyDir.containsKey("sizeLimit"), "a memory-backed /tmp is sized");
        }
    }

    static long mebibytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Mi|Gi)").matcher(quantity);
        assertTrue(m.matches(), quantity);
        return Long.parseLong(m.group(1)) * ("Gi".equals(m.group(2)) ? 1024 : 1);
    }

    @Test
    void theMemoryLimitGivesTheHeapTheManifestSays() throws IOException {
        Matcher percent = Pattern.compile("(?m)^-XX:MaxRAMPercentage=(\\d+)$").matcher(Files.readString(Path.of("config/jvm.options")));
        assertTrue(percent.find());
        Map<String, Object> deployment = one(base, "Deployment");
        long limit = mebibytes((String) map(container(deployment), "resources", "limits").get("memory"));
        long heap = limit * Long.parseLong(percent.group(1)) / 100;
        assertTrue(Files.readString(Manifests.ROOT.resolve("base/deployment.yaml")).contains("a heap of up to " + heap + " MiB"),
                "deployment.yaml names the heap its limit gives: " + heap + " MiB");
        String tmpLimit = list(podSpec(deployment), "volumes").stream().filter(v -> v.containsKey("emptyDir"))
                .map(v -> (String) map(v, "emptyDir").get("sizeLimit")).findFirst().orElseThrow();
        assertTrue(heap + mebibytes(tmpLimit) < limit, "the heap and a full /tmp fit in the limit");
    }

    @Test
    void theStrimziTopicsAreTheModulesWithTopicSetupsSettings() {
        Map<String, Map<String, Object>> topics = ofKind(strimzi, "KafkaTopic").stream()
                .collect(Collectors.toMap(t -> (String) map(t, "spec").getOrDefault("topicName", name(t)), t -> map(t, "spec")));
        Set<String> expected = new TreeSet<>();
        for (String key : config.stringPropertyNames()) {
            if (key.endsWith(".topic") && !key.startsWith("budget-journal")) {
                expected.add(configDefault(key));
            }
        }
        assertEquals(7, expected.size(), "the *.topic keys: " + expected);
        // the journal's defaults: <budget group>-journal, the budget group CONSUMER_GROUP-budget
        assertEquals("", configDefault("budget-journal.topic"));
        assertEquals("", configDefault("flashduty.budget-group"));
        String journal = configDefault("consumer.group") + "-budget-journal";
        expected.add(journal);
        assertEquals(expected, topics.keySet());
        assertTrue(ofKind(base, "KafkaTopic").isEmpty(), "the base needs no Strimzi CRD");

        long keep = LedgerRetention.checked(TimeUtils.toMilliSeconds(configDefault("ledger.retention")),
                TimeUtils.toMilliSeconds(configDefault("war-room.max-event-age")), Clock.systemUTC()).keepMillis();
        assertEquals(Map.of("cleanup.policy", "compact,delete", "retention.ms", String.valueOf(keep), "message.timestamp.type", "LogAppendTime"),
                settings(topics.get(configDefault("ledger.topic"))), "the ledger as TopicSetup creates it");
        assertEquals(1, topics.get(journal).get("partitions"), "one journal partition");
        assertEquals(Map.of("cleanup.policy", "delete", "retention.ms", "3600000", "message.timestamp.type", "LogAppendTime"),
                settings(topics.get(journal)), "the journal as TopicSetup creates it");
        int deadLetterBytes = new RecordLimits(configDefault("incident.topic"), configDefault("template-request.topic"),
                configDefault("dead-letter.topic"), null).deadLetterTopicToCreate();
        assertEquals(String.valueOf(deadLetterBytes), settings(topics.get(configDefault("dead-letter.topic"))).get("max.message.bytes"));
        for (String compacted : List.of("template.topic", "integration.topic")) {
            assertEquals("compact", settings(topics.get(configDefault(compacted))).get("cleanup.policy"), compacted);
        }
        assertEquals("false", configMap(strimzi, (String) map(list(container(one(strimzi, "Deployment")), "envFrom").get(0), "configMapRef")
                .get("name")).get("KAFKA_CREATE_TOPICS"), "topics made beforehand: the module creates none");
    }

    static Map<String, String> settings(Map<String, Object> topicSpec) {
        return map(topicSpec, "config").entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue())));
    }

    /** resource type, name, pattern, operation: one line per ACL of docs/deploying.md's table. */
    static Set<String> documentedAcls() throws IOException {
        String doc = Files.readString(Path.of("docs/deploying.md"));
        int start = doc.indexOf("\n## ACLs");
        String section = doc.substring(start, doc.indexOf("\n## ", start + 1));
        Set<String> acls = new TreeSet<>();
        String type = null;
        List<String> names = List.of();
        for (String row : section.split("\n")) {
            String[] cells = row.split("\\|");
            if (!row.startsWith("| ") || cells.length < 4 || row.startsWith("| resource") || row.startsWith("|---")) {
                continue;
            }
            String resource = cells[1].strip();
            if (!resource.startsWith("the same")) {
                type = resource.split("[ ,]")[0];
                String named = resource.contains("(") ? resource.substring(resource.indexOf('(')) : resource;
                names = Pattern.compile("`([^`]+)`").matcher(named).results().map(r -> r.group(1)).toList();
            }
            for (String n : names) {
                acls.add(type + " " + n + " " + cells[2].strip() + " " + cells[3].strip());
            }
        }
        return acls;
    }

    @Test
    void theKafkaUserHoldsExactlyTheAclsOfTheDeployingGuide() throws IOException {
        Set<String> documented = documentedAcls();
        assertEquals(8 * 4 + 3 + 2, documented.size(), "docs/deploying.md's table is read: " + documented);
        Map<String, Object> user = one(strimzi, "KafkaUser");
        assertEquals("scram-sha-512", map(user, "spec", "authentication").get("type"));
        Set<String> granted = new TreeSet<>();
        for (Map<String, Object> acl : list(map(user, "spec", "authorization"), "acls")) {
            Map<String, Object> r = map(acl, "resource");
            String pattern = "prefix".equals(r.get("patternType")) ? "prefixed" : "literal";
            String resourceName = "cluster".equals(r.get("type")) ? "kafka-cluster" : (String) r.get("name");
            for (Object op : (List<?>) acl.get("operations")) {
                granted.add(r.get("type") + " " + resourceName + " " + pattern + " " + op);
            }
        }
        assertEquals(documented, granted);
        assertTrue(granted.contains("group " + configDefault("consumer.group") + " prefixed Read"), "the groups of CONSUMER_GROUP");

        // the Deployment reads the SCRAM user's Secret that Strimzi writes under the user's name
        Map<String, Object> deployment = one(strimzi, "Deployment");
        Map<String, String> env = env(strimzi, deployment);
        assertEquals("SCRAM-SHA-512", env.get("KAFKA_SASL_MECHANISM"));
        String jaas = env.get("KAFKA_SASL_JAAS_CONFIG_FILE");
        String mountPath = jaas.substring(0, jaas.lastIndexOf('/'));
        String volume = list(container(deployment), "volumeMounts").stream().filter(m -> mountPath.equals(m.get("mountPath")))
                .map(m -> (String) m.get("name")).findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + mountPath));
        Map<String, Object> secret = list(podSpec(deployment), "volumes").stream().filter(v -> volume.equals(v.get("name")))
                .map(v -> map(v, "secret")).findFirst().orElseThrow();
        assertEquals(name(user), secret.get("secretName"));
        assertTrue(list(secret, "items").stream().anyMatch(i -> "sasl.jaas.config".equals(i.get("key"))
                && jaas.endsWith("/" + i.get("path"))), "the JAAS line is the file KAFKA_SASL_JAAS_CONFIG_FILE names");
    }

    @Test
    void theSecretsAreReferencedNeverWritten() throws IOException {
        for (List<Map<String, Object>> docs : List.of(base, strimzi, replay)) {
            assertTrue(ofKind(docs, "Secret").isEmpty(), "no Secret in git");
            for (Map<String, Object> cm : ofKind(docs, "ConfigMap")) {
                Map<?, ?> data = (Map<?, ?>) cm.get("data");
                for (String secret : List.of("FLASHDUTY_APP_KEY", "KAFKA_SASL_JAAS_CONFIG", "ROCKETCHAT_AUTH_TOKEN",
                        "KAFKA_SSL_TRUSTSTORE_PASSWORD", "KAFKA_SSL_KEYSTORE_PASSWORD", "KAFKA_SSL_KEY_PASSWORD")) {
                    assertFalse(data.containsKey(secret), secret + " only as a file");
                }
            }
        }
        Map<String, String> env = env(base, one(base, "Deployment"));
        String keyFile = env.get("FLASHDUTY_APP_KEY_FILE");
        assertTrue(keyFile != null && list(container(one(base, "Deployment")), "volumeMounts").stream()
                .anyMatch(m -> keyFile.startsWith(m.get("mountPath") + "/")), "the app key is a mounted Secret's file");
        assertFalse(list(container(one(replay, "Job")), "volumeMounts").stream().anyMatch(m -> keyFile.startsWith(m.get("mountPath") + "/")),
                "the replay calls no one: no app key");
    }

    /** Where kubectl is missing the files are read instead: they must say what kubectl renders. */
    @Test
    void theFilesReadWithoutKubectlSayWhatKubectlRenders() throws IOException {
        Map<String, List<Map<String, Object>>> rendered = Map.of(".", base, "overlays/strimzi", strimzi, "overlays/replay", replay);
        for (var r : rendered.entrySet()) {
            List<Map<String, Object>> read = Manifests.read(r.getKey());
            assertEquals(kindsAndNames(r.getValue()), kindsAndNames(read), r.getKey());
            for (String kind : List.of("Deployment", "Job")) {
                for (int i = 0; i < ofKind(read, kind).size(); i++) {
                    assertEquals(env(r.getValue(), ofKind(r.getValue(), kind).get(i)), env(read, ofKind(read, kind).get(i)), r.getKey());
                }
            }
        }
    }

    static Set<String> kindsAndNames(List<Map<String, Object>> docs) {
        // kustomize appends a hash of the content to a generated ConfigMap's name
        return docs.stream().map(d -> d.get("kind") + " " + ("ConfigMap".equals(d.get("kind")) ? name(d).replaceAll("-[a-z0-9]{10}$", "") : name(d)))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void theReplayJobRunsTheJarsReplayCommand() {
        Map<String, Object> job = one(replay, "Job");
        @SuppressWarnings("unchecked")
        List<String> args = (List<String>) container(job).get("args");
        assertEquals("replay", args.get(0));
        assertTrue(args.contains("--from"), "replay needs --from (docs/operations.md)");
        assertFalse(container(job).containsKey("command"), "the image's entry point: java @/app/jvm.options -jar ...");
        assertEquals(container(one(base, "Deployment")).get("image"), container(job).get("image"));
        assertEquals("Never", podSpec(job).get("restartPolicy"));
    }
}
