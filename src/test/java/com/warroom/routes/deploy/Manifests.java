package com.warroom.routes.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The documents of a kustomization under deploy/kubernetes as {@code kubectl kustomize} renders them, or, where no
 * kubectl is installed, as read from its YAML files: resources, components and ConfigMap generators (literals,
 * files, {@code behavior: merge}) followed by hand, without the name hashes (references stay consistent either way).
 */
final class Manifests {

    static final Path ROOT = Path.of("deploy/kubernetes");

    private Manifests() {
    }

    static List<Map<String, Object>> render(String dir) throws IOException, InterruptedException {
        Process kubectl;
        try {
            // -Ddeploy.kubectl=none checks the files as read where no kubectl is installed
            kubectl = new ProcessBuilder(System.getProperty("deploy.kubectl", "kubectl"), "kustomize", "--load-restrictor", "LoadRestrictionsNone", ROOT.resolve(dir).toString())
                    .redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return read(dir);
        }
        String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(kubectl.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir);
        assertEquals(0, kubectl.exitValue(), "kubectl kustomize " + dir + ": " + out);
        return documents(out);
    }

    /** The same documents read from the files (no hashes in the generated names). */
    static List<Map<String, Object>> read(String dir) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        Map<String, Map<String, String>> configMaps = new LinkedHashMap<>();
        accumulate(ROOT.resolve(dir).normalize(), docs, configMaps);
        configMaps.forEach((name, data) -> docs.add(Map.of("apiVersion", "v1", "kind", "ConfigMap", "metadata", Map.of("name", name),
                "data", data)));
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static void accumulate(Path dir, List<Map<String, Object>> docs, Map<String, Map<String, String>> configMaps) throws IOException {
        Map<String, Object> k = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(dir.resolve("kustomization.yaml")));
        for (String r : (List<String>) k.getOrDefault("resources", List.of())) {
            Path p = dir.resolve(r).normalize();
            if (Files.isDirectory(p)) {
                accumulate(p, docs, configMaps);
            } else {
                docs.addAll(documents(Files.readString(p)));
            }
        }
        for (String c : (List<String>) k.getOrDefault("components", List.of())) {
            accumulate(dir.resolve(c).normalize(), docs, configMaps);
        }
        for (Map<String, Object> g : (List<Map<String, Object>>) k.getOrDefault("configMapGenerator", List.of())) {
            String name = (String) g.get("name");
            Map<String, String> data = "merge".equals(g.get("behavior")) ? configMaps.get(name) : new LinkedHashMap<>();
            assertNotNull(data, "a merge into a ConfigMap generated before: " + name);
            for (String literal : (List<String>) g.getOrDefault("literals", List.of())) {
                int eq = literal.indexOf('=');
                data.put(literal.substring(0, eq), literal.substring(eq + 1));
            }
            for (String file : (List<String>) g.getOrDefault("files", List.of())) {
                Path p = dir.resolve(file).normalize();
                data.put(p.getFileName().toString(), Files.readString(p));
            }
            configMaps.put(name, data);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(String yaml) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
            if (doc != null) {
                docs.add((Map<String, Object>) doc);
            }
        }
        return docs;
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    static Map<String, Object> one(List<Map<String, Object>> docs, String kind) {
        List<Map<String, Object>> found = ofKind(docs, kind);
        assertEquals(1, found.size(), "one " + kind);
        return found.get(0);
    }

    static String name(Map<String, Object> doc) {
        return (String) map(doc, "metadata").get("name");
    }

    /** The data of the ConfigMap a pod references by this name (hashed or not, the same in both). */
    @SuppressWarnings("unchecked")
    static Map<String, String> configMap(List<Map<String, Object>> docs, String referencedName) {
        return ofKind(docs, "ConfigMap").stream().filter(d -> referencedName.equals(name(d))).findFirst()
                .map(d -> (Map<String, String>) d.get("data")).orElseThrow(() -> new AssertionError("no ConfigMap " + referencedName));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> parent, String... path) {
        Map<String, Object> m = parent;
        for (String key : path) {
            assertInstanceOf(Map.class, m.get(key), key);
            m = (Map<String, Object>) m.get(key);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        assertInstanceOf(List.class, parent.get(key), key);
        return (List<Map<String, Object>>) parent.get(key);
    }

    static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(workload, "spec", "template", "spec");
    }

    static Map<String, Object> container(Map<String, Object> workload) {
        List<Map<String, Object>> containers = list(podSpec(workload), "containers");
        assertEquals(1, containers.size(), "one container");
        return containers.get(0);
    }
}
