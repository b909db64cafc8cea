package com.warroom.routes.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

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
            "usage: java -jar war-room-routes.jar [run] [--routes DIR] [--config FILE]     runs the routes (the default)",
            "       java -jar war-room-routes.jar replay --from TIME [--to TIME] [--dry-run [--out FILE]] [--progress DURATION]",
            "         re-publishes the incident records from TIME (ISO-8601, e.g. 2026-11-23T08:00:00Z) to TIME (or to the end",
            "         seen at start) for the running service to handle; --dry-run prints what it would decide, writing nothing",
            "       java -jar war-room-routes.jar validate [--routes DIR] [--config FILE]",
            "         checks the routes (YAML, placeholders, endpoint options, bean references); prints file:line: problem",
            "       java -jar war-room-routes.jar health     asks the module on MANAGEMENT_HOST:MANAGEMENT_PORT whether it is ready",
            "see docs/operations.md");

    private WarRoomCli() {
    }

    public static void main(String[] args) throws Exception {
        String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
        String command = args.length > 0 ? args[0] : "run";
        int exit = switch (command) {
            case "health" -> HealthProbe.probe(HealthProbe.host(), HealthProbe.port(), Duration.ofSeconds(5));
            case "validate" -> RouteValidator.run(rest, System.out, System.err);
            case "replay" -> ReplayCommand.run(rest, Map.of(), System.out, System.err);
            default -> CommandLine.exitCode(System.err, () -> run(args));
        };
        System.exit(exit); // after a run too: no thread left behind holds the process past its stop
    }

    private static int run(String[] args) throws Exception {
        CommandLine cl = CommandLine.parse("run", args, Set.of(), Set.of("run", "-h", "--help"));
        if (cl.values().containsKey("-h") || cl.values().containsKey("--help")) {
            System.out.println(USAGE);
            return 0;
        }
        Path routes = cl.path("--routes");
        Path config = cl.path("--config");
        if (CommandLine.env("FLASHDUTY_APP_KEY", "").isEmpty() && CommandLine.env("FLASHDUTY_APP_KEY_FILE", "").isEmpty()) {
            throw new CommandLine.UsageError("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
        }
        return WarRoomApplication.run(routes, config);
    }
}
