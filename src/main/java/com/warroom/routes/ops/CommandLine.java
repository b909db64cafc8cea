package com.warroom.routes.ops;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

import com.warroom.routes.app.WarRoomApplication;

/**
 * A command's arguments: {@code --name value} options and flags, with {@code --routes DIR} and
 * {@code --config FILE} (defaults from the environment) for every command; one-line errors.
 */
public record CommandLine(Map<String, String> values) {

    /** Bad usage or an unusable setting: one line on stderr, exit code 2. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message, null, false, false);
        }
    }

    public static CommandLine parse(String command, String[] args, Set<String> options, Set<String> flags) {
        Map<String, String> values = new HashMap<>();
        values.put("--routes", env("WAR_ROOM_ROUTES_DIR", "routes"));
        values.put("--config", env("WAR_ROOM_CONFIG", "config/application.properties"));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (flags.contains(a)) {
                values.put(a, "true");
            } else if (options.contains(a) || a.equals("--routes") || a.equals("--config")) {
                if (i + 1 == args.length) {
                    throw new UsageError(a + " needs a value");
                }
                values.put(a, args[++i]);
            } else {
                throw new UsageError("unknown argument " + a + " for " + command + " (see --help)");
            }
        }
        return new CommandLine(values);
    }

    /** {@code --routes} (a directory) or {@code --config} (a file), which must exist. */
    public Path path(String option) {
        Path path = Path.of(values.get(option));
        boolean routes = option.equals("--routes");
        if (routes ? !Files.isDirectory(path) : !Files.isRegularFile(path)) {
            throw new UsageError((routes ? "routes directory" : "configuration file") + " not found: " + path.toAbsolutePath());
        }
        return path;
    }

    /** An option's value parsed, null when not given; one that does not parse is a usage error naming what it should be. */
    public <T> T value(String option, Function<String, T> parse, String expected) {
        String v = values.get(option);
        try {
            return v == null ? null : parse.apply(v);
        } catch (RuntimeException e) {
            throw new UsageError(option + " is not " + expected + ": " + v);
        }
    }

    /** Runs a command: a usage error or a start-up problem is one line and exit code 2; anything else is thrown. */
    public static int exitCode(PrintStream err, Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (UsageError e) {
            return fail(err, e.getMessage());
        } catch (Exception e) {
            Throwable problem = WarRoomApplication.rootProblem(e);
            if (problem == null) {
                throw e;
            }
            return fail(err, problem.getMessage());
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
