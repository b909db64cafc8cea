package com.warroom.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import com.warroom.routes.observe.HealthProbe;
import com.warroom.routes.ops.ReplayCommand;
import com.warroom.routes.ops.RouteValidator;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainConfigurationProperties;

/**
 * {@code java -jar war-room-routes.jar [run|replay|validate|health] [--routes DIR] [--config FILE]}: runs the YAML routes of
 * {@code ./routes} with {@code ./config/application.properties}, configured by the environment.
 * {@code health} asks a running module whether it is ready (the container's HEALTHCHECK).
 */
public final class WarRoomApplication {

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

    private WarRoomApplication() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "health".equals(args[0])) {
            System.exit(HealthProbe.probe(HealthProbe.host(), HealthProbe.port(), Duration.ofSeconds(5)));
        }
        if (args.length > 0 && (args[0].equals("validate") || args[0].equals("replay"))) {
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            System.exit(args[0].equals("validate") ? RouteValidator.run(rest, System.out, System.err)
                    : ReplayCommand.run(rest, Map.of(), System.out, System.err));
        }
        Path routes = Path.of(env("WAR_ROOM_ROUTES_DIR", "routes"));
        Path config = Path.of(env("WAR_ROOM_CONFIG", "config/application.properties"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "run" -> { }
                case "--routes" -> routes = Path.of(value(args, ++i, "--routes"));
                case "--config" -> config = Path.of(value(args, ++i, "--config"));
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> fail("unknown argument " + args[i] + " (see --help)");
            }
        }
        if (!Files.isDirectory(routes)) {
            fail("routes directory not found: " + routes.toAbsolutePath());
        }
        if (!Files.isRegularFile(config)) {
            fail("configuration file not found: " + config.toAbsolutePath());
        }
        if (isBlank(System.getenv("FLASHDUTY_APP_KEY")) && isBlank(System.getenv("FLASHDUTY_APP_KEY_FILE"))) {
            fail("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
        }
        Main main = createMain(routes, config, Map.of());
        try {
            main.run();
        } catch (Exception e) {
            Throwable problem = rootProblem(e);
            if (problem != null) {
                fail(problem.getMessage());
            }
            throw e;
        }
        if (main.getExitCode() != 0) {
            System.exit(main.getExitCode());
        }
    }

    /** The Camel Main that production, tests, the demo and the benchmarks all run. */
    public static Main createMain(Path routesDir, Path configFile, Map<String, String> overrides) {
        Main main = new Main();
        configure(main.configure(), routesDir);
        main.configure().addConfiguration(new KafkaAtStart());
        main.setPropertyPlaceholderLocations("file:" + configFile.toAbsolutePath());
        overrides.forEach(main::addOverrideProperty);
        // HealthPage serves /observe/health; Camel's own page would let a caller's query ask for error
        // texts, stack traces and the Kafka consumers' data, so not even an older config copy turns it on
        main.addOverrideProperty("camel.management.health-check-enabled", "false");
        return main;
    }

    /** The beans and the routes of {@code routesDir}: what the service and the route tests share (these add no Kafka start-up). */
    public static void configure(MainConfigurationProperties main, Path routesDir) {
        WarRoomBeans.configurations().forEach(main::addConfiguration);
        main.withRoutesIncludePattern("file:" + routesDir.toAbsolutePath() + "/*.yaml");
        // used only when ROUTES_RELOAD=true (camel.main.routes-reload-enabled)
        main.withRoutesReloadDirectory(routesDir.toAbsolutePath().toString());
    }

    /** The {@link StartupProblem} behind a start-up failure, if that is what it was. */
    public static Throwable rootProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StartupProblem) {
                return t;
            }
        }
        return null;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            fail(option + " needs a value");
        }
        return args[i];
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return isBlank(v) ? fallback : v;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static void fail(String message) {
        System.err.println("war-room-routes: " + message);
        System.exit(2);
    }
}
