package com.warroom.routes.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The routes as a ConfigMap volume lays them out (kubelet's atomic writer: the files in a hidden timestamped
 * folder, {@code ..data} a symlink to it, each file a symlink through {@code ..data}; an update writes a new
 * folder and swaps {@code ..data}): the module's pattern loads each route file once, and with ROUTES_RELOAD
 * Camel's route watcher (camel-support's RouteWatcherReloadStrategy, with the shipped pattern) never sees an
 * update of a file (only a file added), which is why deploy/kubernetes rolls the pods out on a ConfigMap change instead.
 */
class ConfigMapRoutesTest {

    @TempDir
    Path volume;

    static Map<String, String> shippedRoutes() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> routes = Files.list(Path.of("routes"))) {
            for (Path p : routes.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return files;
    }

    /** What the kubelet does to project a ConfigMap's content into the volume (first time or update). */
    static void project(Path volume, String version, Map<String, String> files) throws IOException {
        Path data = volume.resolve("..data");
        Path previous = Files.isSymbolicLink(data) ? volume.resolve(Files.readSymbolicLink(data)) : null;
        Path dir = Files.createDirectory(volume.resolve(".." + version));
        for (var f : files.entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue());
        }
        Path tmp = Files.createSymbolicLink(volume.resolve("..data_tmp"), dir.getFileName());
        Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String name : files.keySet()) {
            if (!Files.exists(volume.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(volume.resolve(name), Path.of("..data", name));
            }
        }
        if (previous != null) {
            try (Stream<Path> old = Files.walk(previous)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void eachRouteFileOfTheVolumeIsLoadedOnce() throws Exception {
        Map<String, String> routes = shippedRoutes();
        project(volume, "2026_12_03_21_00_00.000000001", routes);
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.build();
            // the include pattern WarRoomApplication gives Camel: file:<routes dir>/*.yaml
            List<String> found = PluginHelper.getPackageScanResourceResolver(context).findResources("file:" + volume + "/*.yaml")
                    .stream().map(Resource::getLocation).sorted().toList();
            assertEquals(routes.keySet().stream().map(n -> "file:" + volume.resolve(n)).sorted().toList(), found,
                    "the top-level files only, not those of ..data or the timestamped folder");
        }
    }

    @Test
    void routeReloadDoesNotSeeAConfigMapUpdate() throws Exception {
        Properties config = new Properties();
        try (var in = Files.newBufferedReader(Path.of("config/application.properties"))) {
            config.load(in);
        }
        String pattern = config.getProperty("camel.main.routes-reload-pattern").strip();
        Map<String, String> routes = shippedRoutes();
        project(volume, "2026_12_03_21_00_00.000000001", routes);

        List<String> reloaded = new CopyOnWriteArrayList<>();
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            RouteWatcherReloadStrategy watcher = new RouteWatcherReloadStrategy(volume.toString());
            watcher.setPattern(pattern);
            watcher.setResourceReload((name, resource) -> reloaded.add(Path.of(name).getFileName().toString()));
            watcher.setCamelContext(context);
            watcher.start();
            try {
                await("the watcher runs").atMost(Duration.ofSeconds(30)).until(watcher::isRunning);
                Map<String, String> edited = new TreeMap<>(routes);
                edited.put("10-incidents.yaml", routes.get("10-incidents.yaml") + "\n# edited in the ConfigMap\n");
                edited.put("90-added.yaml", "# a key added to the ConfigMap: a new symlink\n");
                project(volume, "2026_12_03_21_05_00.000000002", edited);
                assertEquals(edited.get("10-incidents.yaml"), Files.readString(volume.resolve("10-incidents.yaml")), "the update is there");

                // a file written in place after the update: the watcher sees it, and by then every earlier event
                Files.writeString(volume.resolve("zz-control.yaml"), "# control\n");
                await("the watcher sees a file written in place").atMost(Duration.ofSeconds(30))
                        .until(() -> reloaded.contains("zz-control.yaml"));
                Set<String> seen = reloaded.stream().collect(Collectors.toSet());
                assertEquals(Set.of("90-added.yaml", "zz-control.yaml"), seen, "the swap of ..data reloads no route file, only an added one");
            } finally {
                watcher.stop();
            }
        }
    }
}
