package com.warroom.routes.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import com.warroom.routes.app.WarRoomApplication;
import com.warroom.routes.observe.HealthProbe;
import com.warroom.routes.ops.CommandLine;
import com.warroom.routes.ops.ReplayCommand;
import com.warroom.routes.ops.RouteValidator;

/**
 * {@code java -jar war-room-routes.jar [run|replay|validate|health] [--routes DIR] [--config FILE]}: the jar's
 * entry point, which only picks the command. {@code run} (the default) runs the YAML routes of {@code ./routes}
 * with {@code ./config/application.properties}, configured by the environment ({@link WarRoomApplication});
 * {@code health} asks a running module whether it is ready (the container's HEALTHCHECK).
 */
public final class WarRoomCli {

    static final String USAGE = String.join(System.lineSeparator(),
            "usage: java -jar war-room-routes.jar [run] [--routes DIR] [--config FILE]",
            "         runs the routes (the default)",
            "       java -jar war-room-routes.jar replay --from TIME [--to TIME] [--dry-run [--out FILE]]",
            "                 [--progress DURATION] [--routes DIR] [--config FILE]",
            "         re-publishes the incident records from TIME (ISO-8601, e.g. 2026-11-23T08:00:00Z) to TIME",
            "         (or to the end seen at start) to their partitions, for the running service to handle;",
            "         --dry-run prints what the service would decide, writing nothing",
            "       java -jar war-room-routes.jar validate [--routes DIR] [--config FILE]",
            "         checks the routes: YAML, placeholders, endpoints and their options, bean references;",
            "         prints file:line: problem, exits 0 only when clean",
            "       java -jar war-room-routes.jar health",
            "         asks the module running on this host (MANAGEMENT_HOST, MANAGEMENT_PORT) whether it is ready");

    private WarRoomCli() {
    }

    public static void main(String[] args) throws Exception {
        String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
        switch (args.length > 0 ? args[0] : "run") {
            case "health" -> System.exit(HealthProbe.probe(HealthProbe.host(), HealthProbe.port(), Duration.ofSeconds(5)));
            case "validate" -> System.exit(RouteValidator.run(rest, System.out, System.err));
            case "replay" -> System.exit(ReplayCommand.run(rest, Map.of(), System.out, System.err));
            default -> run(args);
        }
    }

    private static void run(String[] args) throws Exception {
        Path routes = Path.of(CommandLine.env("WAR_ROOM_ROUTES_DIR", "routes"));
        Path config = Path.of(CommandLine.env("WAR_ROOM_CONFIG", "config/application.properties"));
        try {
            CommandLine cl = new CommandLine(args);
            while (cl.hasNext()) {
                String a = cl.next();
                switch (a) {
                    case "run" -> { }
                    case "--routes" -> routes = Path.of(cl.value(a));
                    case "--config" -> config = Path.of(cl.value(a));
                    case "-h", "--help" -> {
                        System.out.println(USAGE);
                        return;
                    }
                    default -> throw new CommandLine.UsageError("unknown argument " + a + " (see --help)");
                }
            }
            CommandLine.requireRoutesAndConfig(routes, config);
            if (CommandLine.env("FLASHDUTY_APP_KEY", "").isEmpty() && CommandLine.env("FLASHDUTY_APP_KEY_FILE", "").isEmpty()) {
                throw new CommandLine.UsageError("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
            }
            int exit = WarRoomApplication.run(routes, config);
            if (exit != 0) {
                System.exit(exit);
            }
        } catch (CommandLine.UsageError e) {
            System.exit(CommandLine.fail(System.err, e.getMessage()));
        } catch (Exception e) {
            Throwable problem = WarRoomApplication.rootProblem(e);
            if (problem == null) {
                throw e;
            }
            System.exit(CommandLine.fail(System.err, problem.getMessage()));
        }
    }
}
