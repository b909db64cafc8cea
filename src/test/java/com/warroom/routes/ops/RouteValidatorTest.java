package com.warroom.routes.ops;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code validate} on copies of the shipped routes/ and config/: clean as shipped, and each
 * breakage reported at its own file and line.
 */
class RouteValidatorTest {

    @TempDir
    Path dir;

    @Test
    void shippedRoutesAreClean() throws Exception {
        Result r = validate(Path.of("routes"), Path.of("config/application.properties"));
        assertEquals(0, r.code, r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.matches("ok: \\d+ routes in 9 files")), r.out);
    }

    @Test
    void yamlSyntaxErrorNamesFileAndLine() throws Exception {
        Path routes = copyRoutes();
        int line = breakLine(routes.resolve("30-results.yaml"), "            id: ledger-entry", "            id: ledger-entry: x");
        assertProblem(routes, "30-results.yaml", line, "YAML");
    }

    @Test
    void misspeltEndpointOptionNamesFileAndLine() throws Exception {
        Path routes = copyRoutes();
        int line = breakLine(routes.resolve("10-incidents.yaml"), "        consumersCount: \"{{kafka.consumers-count}}\"",
                "        consumersCont: \"{{kafka.consumers-count}}\"");
        assertProblem(routes, "10-incidents.yaml", line, "unknown option consumersCont of the kafka endpoint");
    }

    @Test
    void unknownPlaceholderNamesFileAndLine() throws Exception {
        Path routes = copyRoutes();
        int line = breakLine(routes.resolve("60-template-lookups.yaml"), "        consumersCount: \"{{template.consumers-count}}\"",
                "        consumersCount: \"{{no.such.key}}\"");
        assertProblem(routes, "60-template-lookups.yaml", line, "unknown placeholder {{no.such.key}}");
    }

    @Test
    void missingBeanNamesFileAndLine() throws Exception {
        Path routes = copyRoutes();
        int line = breakLine(routes.resolve("30-results.yaml"), "            ref: warRoomResults", "            ref: noSuchBean");
        assertProblem(routes, "30-results.yaml", line, "no bean named noSuchBean");
    }

    @Test
    void aWhenClauseNamingNoMethod() throws Exception {
        Path routes = copyRoutes();
        int line = breakLine(routes.resolve("20-war-room.yaml"), "                  method: select", "                  method: selec");
        assertProblem(routes, "20-war-room.yaml", line, "bean imIntegrationCatalog (ImIntegrationCatalog) has no method selec");
    }

    @Test
    void aCatchClauseNamingNoPredicateBean() throws Exception {
        Path routes = copyRoutes();
        int line = breakLine(routes.resolve("80-dead-letters.yaml"), "                  ref: retriableKafkaFailure",
                "                  ref: retriableKafkaFailur");
        assertProblem(routes, "80-dead-letters.yaml", line, "no bean named retriableKafkaFailur");
    }

    @Test
    void missingBeanInAnEndpointOptionAndAMisspeltMethod() throws Exception {
        Path routes = copyRoutes();
        int option = breakLine(routes.resolve("40-flashduty-call.yaml"), "httpClientConfigurer: \"#flashdutyAuth\"",
                "httpClientConfigurer: \"#flashdutyAuthh\"");
        int method = breakLine(routes.resolve("10-incidents.yaml"), "            method: capture", "            method: captur");
        Result r = validate(routes, Path.of("config/application.properties"));
        assertEquals(1, r.code, r.out);
        assertTrue(r.out.contains(routes.resolve("40-flashduty-call.yaml") + ":" + option + ": option httpClientConfigurer refers to #flashdutyAuthh"), r.out);
        assertTrue(r.out.contains(routes.resolve("10-incidents.yaml") + ":" + method + ": bean incomingRecord (IncomingRecord) has no method captur"), r.out);
    }

    @Test
    void wrongOptionValueAndUnknownComponent() throws Exception {
        Path routes = copyRoutes();
        Path incidents = routes.resolve("10-incidents.yaml");
        int value = breakLine(incidents, "        consumersCount: \"{{kafka.consumers-count}}\"", "        consumersCount: \"many\"");
        int component = breakLine(incidents, "uri: direct:publish-result", "uri: dirct:publish-result");
        Result r = validate(routes, Path.of("config/application.properties"));
        assertEquals(1, r.code, r.out);
        assertEquals(List.of(incidents + ":" + value + ": option consumersCount of the kafka endpoint: many is not an integer",
                incidents + ":" + component + ": unknown component dirct (not on the classpath)"), problemLines(r));
    }

    @Test
    void renamedRouteThatTheReplaysDryRunRuns() throws Exception {
        Path routes = copyRoutes();
        Path file = routes.resolve("20-war-room.yaml");
        Files.write(file, Files.readAllLines(file).stream().map(l -> l.equals("    id: open-war-room") ? "    id: open-the-war-room" : l).toList());
        Result r = validate(routes, Path.of("config/application.properties"));
        assertEquals(1, r.code, r.out);
        assertEquals(List.of(routes + ":0: no route open-war-room (the replay's dry run runs it)"), problemLines(r));
    }

    @Test
    void unknownPlaceholderInTheConfigFile() throws Exception {
        Path config = dir.resolve("application.properties");
        Files.copy(Path.of("config/application.properties"), config);
        int line = breakLine(config, "camel.component.kafka.delivery-timeout-ms = {{kafka.delivery-timeout-ms}}",
                "camel.component.kafka.delivery-timeout-ms = {{kafka.delivery-timeout-mz}}");
        Result r = validate(Path.of("routes"), config);
        assertEquals(1, r.code, r.out);
        assertEquals(List.of(config + ":" + line + ": unknown placeholder {{kafka.delivery-timeout-mz}}"), problemLines(r));
    }

    @Test
    void missingRoutesDirectoryIsBadUsage() throws Exception {
        Result r = validate(dir.resolve("nowhere"), Path.of("config/application.properties"));
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("war-room-routes: routes directory not found: "), r.err);
    }

    private void assertProblem(Path routes, String file, int line, String problem) throws Exception {
        Result r = validate(routes, Path.of("config/application.properties"));
        assertEquals(1, r.code, r.out);
        List<String> problems = problemLines(r);
        assertEquals(1, problems.size(), r.out);
        assertTrue(problems.get(0).startsWith(routes.resolve(file) + ":" + line + ": " + problem), r.out);
    }

    private static List<String> problemLines(Result r) {
        return r.out.lines().filter(l -> l.matches(".+:\\d+: .+")).toList();
    }

    private Path copyRoutes() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        return routes;
    }

    /** Replaces the one line that contains {@code original}; returns its 1-based number. */
    private static int breakLine(Path file, String original, String broken) throws IOException {
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(file));
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(original)) {
                assertEquals(-1, found, "the line to break is unique in " + file);
                found = i;
            }
        }
        assertTrue(found >= 0, "found " + original + " in " + file);
        lines.set(found, lines.get(found).replace(original, broken));
        Files.write(file, lines);
        return found + 1;
    }

    private static Result validate(Path routes, Path config) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RouteValidator.run(new String[] {"--routes", routes.toString(), "--config", config.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(int code, String out, String err) {
    }
}
