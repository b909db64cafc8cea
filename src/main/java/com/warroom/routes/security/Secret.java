package com.warroom.routes.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import com.warroom.routes.StartupProblem;

/**
 * A secret value read from an environment variable or from a file named by {@code NAME_FILE}
 * (the Docker/Kubernetes secrets convention). It is deliberately not a Camel property, so it
 * never shows in property dumps, and its {@link #toString()} never reveals it.
 */
public final class Secret {

    private final String name;
    private final String value;

    private Secret(String name, String value) {
        this.name = name;
        this.value = value;
    }

    /**
     * Reads {@code envName} from the environment, else the file named by {@code envName_FILE},
     * else the file given as {@code fileOverride} (a configuration property, used by tests and demos).
     */
    public static Secret from(String envName, String fileOverride) {
        return from(envName, fileOverride, System::getenv);
    }

    /** As {@link #from(String, String)}, reading the environment through {@code env} (tests pass their own). */
    public static Secret from(String envName, String fileOverride, Function<String, String> env) {
        String direct = env.apply(envName);
        if (direct != null && !direct.isBlank()) {
            return new Secret(envName, direct.trim());
        }
        String file = env.apply(envName + "_FILE");
        if (file == null || file.isBlank()) {
            file = fileOverride;
        }
        if (file != null && !file.isBlank()) {
            try {
                String read = Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8).trim();
                return new Secret(envName, read.isEmpty() ? null : read);
            } catch (IOException e) {
                // the path is not secret, the content is; say which variable and which file only
                throw new StartupProblem(envName + "_FILE names a file that cannot be read: " + file.trim());
            }
        }
        return new Secret(envName, null);
    }

    public static Secret of(String name, String value) {
        return new Secret(name, value == null || value.isBlank() ? null : value);
    }

    public boolean isPresent() {
        return value != null;
    }

    /** The value; callers pass it straight to the wire and never into a message or log. */
    public String reveal() {
        if (value == null) {
            throw new IllegalStateException(name + " is not set");
        }
        return value;
    }

    @Override
    public String toString() {
        return name + "=" + (value == null ? "<unset>" : "******");
    }
}
