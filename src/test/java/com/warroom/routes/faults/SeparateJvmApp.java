package com.warroom.routes.faults;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.warroom.routes.WarRoomApplication;
import org.apache.camel.main.Main;

/**
 * The shipped application in a JVM of its own, so a test can kill it hard (SIGKILL):
 * {@code java -cp <test classpath> com.warroom.routes.faults.SeparateJvmApp key=value ...}, the
 * arguments being the same override properties {@link com.warroom.routes.support.RunningApp} uses.
 */
public final class SeparateJvmApp {

    private SeparateJvmApp() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            overrides.put(a.substring(0, eq), a.substring(eq + 1));
        }
        Main main = WarRoomApplication.createMain(Path.of("routes"), Path.of("config/application.properties"), overrides);
        main.run();
    }
}
