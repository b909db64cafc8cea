package com.warroom.routes.ops;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The few argument-reading helpers the operator commands share: options with a value, one-line errors. */
public final class CommandLine {

    /** Bad usage or an unusable setting: one line on stderr, exit code 2. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message, null, false, false);
        }
    }

    private final String[] args;
    private int next;

    public CommandLine(String[] args) {
        this.args = args;
    }

    public boolean hasNext() {
        return next < args.length;
    }

    public String next() {
        return args[next++];
    }

    public String value(String option) {
        if (!hasNext()) {
            throw new UsageError(option + " needs a value");
        }
        return next();
    }

    /** The routes directory and the properties file every command reads. */
    public static void requireRoutesAndConfig(Path routes, Path config) {
        if (!Files.isDirectory(routes)) {
            throw new UsageError("routes directory not found: " + routes.toAbsolutePath());
        }
        if (!Files.isRegularFile(config)) {
            throw new UsageError("configuration file not found: " + config.toAbsolutePath());
        }
    }

    public static int fail(PrintStream err, String message) {
        err.println("war-room-routes: " + message);
        return 2;
    }

    public static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
