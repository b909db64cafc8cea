package com.warroom.routes.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The rows the fault scenarios add. Each scenario class (a JVM of its own, beside the others: failsafe's
 * parallel forks) prints its rows when it ends, and writes them to {@code target/reliability-rows/}; the rows
 * of this build (system property {@value #RUN}, the build's timestamp, set in pom.xml) then make one Markdown
 * table in scenario order, {@code target/reliability-table.md} (docs/reliability.md copies it). The last
 * class to end writes the whole table; a file lock keeps two classes ending together from losing a row.
 */
final class ReliabilityTable {

    /** System property: which build the rows belong to (rows of an earlier build left under target/ are not used). */
    static final String RUN = "reliability.run";

    private static final Path DIR = Path.of("target", "reliability-rows");
    private static final List<FaultRun.Row> ROWS = new ArrayList<>();

    private ReliabilityTable() {
    }

    static synchronized void add(FaultRun.Row row) {
        ROWS.add(row);
    }

    /** This JVM's rows, then every row of the build, as Markdown tables (heading and header). */
    static String render(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        sb.append("Run ").append(LocalDate.now(ZoneOffset.UTC)).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Java ").append(System.getProperty("java.version")).append('\n').append('\n');
        sb.append("| scenario | events | lost | duplicate war rooms | dead-lettered | 429s | window violations | secrets seen |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        lines.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    static String line(FaultRun.Row r) {
        return "| " + r.scenario() + " | " + r.events() + " | " + r.lost() + " | " + r.duplicateWarRooms() + " | " + r.deadLettered()
                + " | " + r.rateLimited() + " | " + r.windowViolations() + " | " + r.secretsSeen() + " |";
    }

    /** Prints this class's rows, and writes them and the build's whole table under target/. */
    static synchronized void publish() {
        List<String> own = ROWS.stream().map(ReliabilityTable::line).toList();
        System.out.println("\nReliability under faults\n" + render(own));
        String run = System.getProperty(RUN, "");
        try {
            Files.createDirectories(DIR);
            try (FileChannel lockFile = FileChannel.open(DIR.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = lockFile.lock()) {
                for (FaultRun.Row r : ROWS) {
                    Files.writeString(DIR.resolve(number(r.scenario()) + ".md"), run + "\n" + line(r) + "\n", StandardCharsets.UTF_8);
                }
                List<String> all = run.isEmpty() ? own : rowsOf(run);
                Path tmp = Files.writeString(DIR.resolve(".table.tmp"), render(all), StandardCharsets.UTF_8);
                Files.move(tmp, Path.of("target", "reliability-table.md"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rows written by this build's scenario classes, in scenario order. */
    private static List<String> rowsOf(String run) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(DIR)) {
            files = list.filter(f -> f.getFileName().toString().matches("\\d+\\.md")).toList();
        }
        List<String[]> rows = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            if (lines.size() == 2 && lines.get(0).equals(run)) {
                rows.add(new String[] {f.getFileName().toString(), lines.get(1)});
            }
        }
        rows.sort(Comparator.comparingInt(r -> Integer.parseInt(r[0].substring(0, r[0].indexOf('.')))));
        return rows.stream().map(r -> r[1]).toList();
    }

    /** The scenario's number: its name starts with it ("4. Kafka broker stopped ..."). */
    private static int number(String scenario) {
        return Integer.parseInt(scenario.substring(0, scenario.indexOf('.')));
    }
}
