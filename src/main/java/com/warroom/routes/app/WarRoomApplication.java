package com.warroom.routes.app;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.warroom.routes.StartupProblem;
import com.warroom.routes.kafka.KafkaStartup;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.main.MainConfigurationProperties;

/**
 * The module as Camel Main runs it: the beans ({@link WarRoomBeans}), the YAML routes of a directory and
 * a properties file. The jar's entry point is {@code cli.WarRoomCli}; tests, the demo and the benchmarks
 * call {@link #createMain} themselves.
 */
public final class WarRoomApplication {

    private WarRoomApplication() {
    }

    /** Runs until Camel stops; returns Camel Main's exit code. */
    public static int run(Path routes, Path config) throws Exception {
        return run(routes, config, Map.of());
    }

    /**
     * The same with override properties; a start the Kafka start-up found can never succeed (it stopped
     * the context) is thrown as its {@link StartupProblem}, for the caller's one line.
     */
    public static int run(Path routes, Path config, Map<String, String> overrides) throws Exception {
        Main main = createMain(routes, config, overrides);
        AtomicReference<KafkaStartup> startup = new AtomicReference<>();
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport configured) {
                startup.set(configured.getCamelContext().getRegistry().lookupByNameAndType("kafkaStartup", KafkaStartup.class));
            }
        });
        // SIGTERM ends the run as Camel Main's hang-up hook would, but with no JVM shutdown under it: the stop
        // (docs/operations.md, Shutdown) is Camel's graceful one, and the process exits with Main's code, 0, not 143
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> main.completed());
        main.run();
        if (startup.get() != null && startup.get().problem() != null) {
            throw startup.get().problem();
        }
        return main.getExitCode();
    }

    /** The Camel Main that production, tests, the demo and the benchmarks all run. */
    public static Main createMain(Path routesDir, Path configFile, Map<String, String> overrides) {
        Main main = new Main();
        main.configure().addConfiguration(new WarRoomBeans(true));
        routes(main.configure(), routesDir);
        main.setPropertyPlaceholderLocations("file:" + configFile.toAbsolutePath());
        overrides.forEach(main::addOverrideProperty);
        // HealthPage serves /observe/health; Camel's own page would let a caller's query ask for error
        // texts, stack traces and the Kafka consumers' data, so not even an older config copy turns it on
        main.addOverrideProperty("camel.management.health-check-enabled", "false");
        // no route starts with the context: KafkaStartup starts them once the ledger is read back and the budget known
        main.addOverrideProperty("camel.main.auto-startup-exclude-pattern", "*");
        return main;
    }

    /** The beans and the routes of {@code routesDir}: what the service and the route tests share (without the Kafka clients of ours). */
    public static void configure(MainConfigurationProperties main, Path routesDir) {
        main.addConfiguration(new WarRoomBeans(false));
        routes(main, routesDir);
    }

    private static void routes(MainConfigurationProperties main, Path routesDir) {
        main.withRoutesIncludePattern("file:" + routesDir.toAbsolutePath() + "/*.yaml");
        // used only when ROUTES_RELOAD=true (camel.main.routes-reload-enabled)
        main.withRoutesReloadDirectory(routesDir.toAbsolutePath().toString());
    }

    /** The {@link StartupProblem} behind a start-up failure (a Kafka client setting refused too), if that is what it was. */
    public static Throwable rootProblem(Throwable e) {
        return KafkaStartup.neverSucceeds(e);
    }
}
