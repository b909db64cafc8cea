package com.warroom.routes.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The package rules the sources keep, read off their imports and qualified names: the composition
 * root ({@code app}) and the jar's entry point ({@code cli}) are used by no other package, the root
 * package holds only leaf types, and the dependencies that used to close cycles stay gone.
 */
class PackageDependenciesTest {

    private static final String BASE = "com.warroom.routes";
    private static final Pattern REFERENCE = Pattern.compile("\\b(com\\.warroom\\.routes(?:\\.[a-z]\\w*)*)\\.[A-Z]\\w*");

    @Test
    void noPackageUsesOnesThatWouldCloseACycle() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String source = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
                Matcher pkg = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(source);
                String from = pkg.find() ? pkg.group(1) : "";
                TreeSet<String> to = new TreeSet<>();
                Matcher m = REFERENCE.matcher(source);
                while (m.find()) {
                    if (!m.group(1).equals(from)) {
                        to.add(m.group(1));
                    }
                }
                for (String target : to) {
                    if (forbidden(name(from), name(target))) {
                        found.add(f.getFileName() + ": " + name(from) + " -> " + name(target));
                    }
                }
            }
        }
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
