package com.warroom.routes.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.warroom.routes.app.WarRoomApplication;

/**
 * The shipped application in a JVM of its own, so a test can kill it hard (SIGKILL):
 * {@code java -cp <test classpath> com.warroom.routes.faults.SeparateJvmApp key=value ...}, the
 * arguments being the same override properties {@link com.warroom.routes.support.RunningApp} uses.
 */
public final class SeparateJvmApp {

    private SeparateJvmApp() {
    }

    /** Starts the app in a JVM of its own with these override properties, its output going to {@code log}. */
    static Process spawn(Map<String, String> settings, Path log) throws IOException {
        return spawn(settings, Map.of(), log);
    }

    /**
     * The same, with these environment variables added (the way production configures the app: the
     * app key, a URL). A start the app refuses ends the JVM with code 2 and the jar's one line.
     */
    static Process spawn(Map<String, String> settings, Map<String, String> env, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dlog4j2.configurationFile=" + Path.of("src/main/resources/log4j2.xml").toAbsolutePath(),
                "-Djava.io.tmpdir=" + Path.of("target").toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), SeparateJvmApp.class.getName()));
        settings.forEach((k, v) -> cmd.add(k + "=" + v));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            overrides.put(a.substring(0, eq), a.substring(eq + 1));
        }
        int exit;
        try {
            exit = WarRoomApplication.run(Path.of("routes"), Path.of("config/application.properties"), overrides);
        } catch (Exception e) {
            // as the jar does (WarRoomApplication.main): a refused start is one line and exit code 2
            Throwable problem = WarRoomApplication.rootProblem(e);
            if (problem == null) {
                throw e;
            }
            System.err.println("war-room-routes: " + problem.getMessage());
            System.exit(2);
            return;
        }
        System.exit(exit); // as the jar does (WarRoomCli): 0 after a clean stop, SIGTERM's too
    }
}
