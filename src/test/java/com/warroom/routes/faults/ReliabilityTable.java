package com.warroom.routes.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows the fault scenarios add, printed as one Markdown table at the end of the run and
 * written to {@code target/reliability-table.md} (the README's Reliability section copies it).
 */
final class ReliabilityTable {

    private static final List<FaultRun.Row> ROWS = new ArrayList<>();

    private ReliabilityTable() {
    }

    static synchronized void add(FaultRun.Row row) {
        ROWS.add(row);
    }

    static synchronized String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("Run ").append(LocalDate.now(ZoneOffset.UTC)).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Java ").append(System.getProperty("java.version")).append('\n').append('\n');
        sb.append("| scenario | events | lost | duplicate war rooms | dead-lettered | 429s | window violations | secrets seen |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (FaultRun.Row r : ROWS) {
            sb.append("| ").append(r.scenario()).append(" | ").append(r.events()).append(" | ").append(r.lost()).append(" | ")
                    .append(r.duplicateWarRooms()).append(" | ").append(r.deadLettered()).append(" | ").append(r.rateLimited())
                    .append(" | ").append(r.windowViolations()).append(" | ").append(r.secretsSeen()).append(" |\n");
        }
        return sb.toString();
    }

    /** Prints the table and writes it under target/. */
    static synchronized void publish() {
        String table = render();
        System.out.println("\nReliability under faults\n" + table);
        try {
            Files.writeString(Path.of("target", "reliability-table.md"), table);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
