package com.warroom.routes.customizing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The worked examples of the customizing page (docs/customizing.md, linked from the README), read
 * from that file as an operator reads them: each fenced block follows a marker
 * {@code <!-- customizing NAME: FILE, ACTION the line starting 'ANCHOR' -->} with ACTION one of
 * {@code replace}, {@code insert before}, {@code insert after}. They are applied, unchanged, to a
 * copy of the shipped routes/ and config/.
 */
final class ReadmeCustomizations {

    static final Pattern MARKER = Pattern.compile(
            "<!-- customizing ([\\w-]+): (\\S+), (replace|insert before|insert after) the line starting '([^']+)' -->\\n"
                    + "```\\w*\\n(.*?)```\\n", Pattern.DOTALL);

    record Change(String example, String file, String action, String anchor, String text) {
    }

    private ReadmeCustomizations() {
    }

    static List<Change> all() throws IOException {
        List<Change> changes = new ArrayList<>();
        Matcher m = MARKER.matcher(Files.readString(Path.of("docs", "customizing.md")));
        while (m.find()) {
            changes.add(new Change(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)));
        }
        return changes;
    }

    static List<Change> of(String example) throws IOException {
        List<Change> changes = all().stream().filter(c -> c.example().equals(example)).toList();
        if (changes.isEmpty()) {
            throw new IllegalStateException("docs/customizing.md has no customizing example " + example);
        }
        return changes;
    }

    /** A copy of the shipped routes/ and config/ in {@code dir}. */
    static Path copyShipped(Path dir) throws IOException {
        for (String folder : List.of("routes", "config")) {
            Files.createDirectories(dir.resolve(folder));
            try (Stream<Path> files = Files.list(Path.of(folder))) {
                for (Path f : files.toList()) {
                    Files.copy(f, dir.resolve(folder).resolve(f.getFileName()));
                }
            }
        }
        return dir;
    }

    /** Applies the changes to the files under {@code dir}, each at its anchor, which must be unique. */
    static void apply(Path dir, List<Change> changes) throws IOException {
        for (Change c : changes) {
            Path file = dir.resolve(c.file());
            List<String> lines = new ArrayList<>(Files.readAllLines(file));
            int at = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().startsWith(c.anchor())) {
                    if (at >= 0) {
                        throw new IllegalStateException("anchor '" + c.anchor() + "' is not unique in " + c.file());
                    }
                    at = i;
                }
            }
            if (at < 0) {
                throw new IllegalStateException("anchor '" + c.anchor() + "' not found in " + c.file());
            }
            List<String> block = List.of(c.text().split("\n"));
            switch (c.action()) {
                case "replace" -> {
                    lines.remove(at);
                    lines.addAll(at, block);
                }
                case "insert before" -> lines.addAll(at, block);
                default -> lines.addAll(at + 1, block);
            }
            // written beside, then moved into place: a watcher (route reload) never sees half a file
            Path edited = Files.createTempFile(dir, "edit", ".tmp");
            Files.write(edited, lines);
            Files.move(edited, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
