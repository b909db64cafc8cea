package com.warroom.routes.ops;

import java.io.PrintStream;

/** The few argument-reading helpers the operator commands share: options with a value, one-line errors. */
final class CommandLine {

    /** Bad usage or an unusable setting: one line on stderr, exit code 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    private final String[] args;
    private int next;

    CommandLine(String[] args) {
        this.args = args;
    }

    boolean hasNext() {
        return next < args.length;
    }

    String next() {
        return args[next++];
    }

    String value(String option) {
        if (!hasNext()) {
            throw new UsageError(option + " needs a value");
        }
        return next();
    }

    static int fail(PrintStream err, String message) {
        err.println("war-room-routes: " + message);
        return 2;
    }

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
