package com.warroom.routes.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The package rules the sources keep, read off their imports and qualified names: no package cycle
 * at all (the graph is computed, so no cycle can come back unnoticed), the composition root
 * ({@code app}) and the jar's entry point ({@code cli}) are used by no other package, the root
 * package holds only leaf types, and the plumbing packages use no domain or observability package.
 */
class PackageDependenciesTest {

    private static final String BASE = "com.warroom.routes";
    private static final Pattern REFERENCE = Pattern.compile("\\b(com\\.warroom\\.routes(?:\\.[a-z]\\w*)*)\\.[A-Z]\\w*");
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);

    /** package → the packages it uses → the files that use them */
    private static Map<String, Map<String, Set<String>>> graph() throws IOException {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String source = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
                Matcher pkg = PACKAGE.matcher(source);
                String from = name(pkg.find() ? pkg.group(1) : BASE);
                Map<String, Set<String>> uses = graph.computeIfAbsent(from, k -> new TreeMap<>());
                Matcher m = REFERENCE.matcher(source);
                while (m.find()) {
                    String to = name(m.group(1));
                    if (!to.equals(from)) {
                        uses.computeIfAbsent(to, k -> new TreeSet<>()).add(f.getFileName().toString());
                    }
                }
            }
        }
        return graph;
    }

    @Test
    void noPackageCycle() throws IOException {
        Map<String, Map<String, Set<String>>> graph = graph();
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            // a path back to start through packages that sort after it: each cycle is reported once, from its least package
            Deque<List<String>> paths = new ArrayDeque<>(List.of(List.of(start)));
            while (!paths.isEmpty() && cycles.size() < 20) {
                List<String> path = paths.pop();
                String last = path.get(path.size() - 1);
                for (Map.Entry<String, Set<String>> use : graph.getOrDefault(last, Map.of()).entrySet()) {
                    String next = use.getKey();
                    if (next.equals(start)) {
                        cycles.add(String.join(" -> ", path) + " -> " + start + " (" + last + " -> " + start + ": " + use.getValue() + ")");
                    } else if (next.compareTo(start) > 0 && !path.contains(next)) {
                        List<String> longer = new ArrayList<>(path);
                        longer.add(next);
                        paths.push(longer);
                    }
                }
            }
        }
        assertEquals(List.of(), cycles);
    }

    @Test
    void noPackageUsesOnesOutsideItsLayer() throws IOException {
        List<String> found = new ArrayList<>();
        graph().forEach((from, uses) -> uses.forEach((to, files) -> {
            if (forbidden(from, to)) {
                found.add(files + ": " + from + " -> " + to);
            }
        }));
        assertEquals(List.of(), found);
    }

    private static boolean forbidden(String from, String to) {
        return to.equals("app") && !from.equals("cli") && !from.equals("ops")
                || to.equals("cli")
                || to.equals("ops") && !from.equals("cli")
                || from.equals("root")
                || from.equals("kafka") && (to.equals("incident") || to.equals("observe"))
                || from.equals("budget") && to.equals("observe");
    }

    private static String name(String pkg) {
        return pkg.equals(BASE) ? "root" : pkg.substring(BASE.length() + 1);
    }
}
