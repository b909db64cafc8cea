package com.warroom.routes.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped jar as an operator runs it: {@code java @config/jvm.options -jar target/war-room-routes.jar
 * --routes routes --config config/application.properties} (the shipped JVM options, as the README
 * and the container image use them), configured through environment variables only, in its own
 * JVM, with its console output in a file. Reads what the footprint benchmark
 * needs from outside: resident memory from /proc, heap through jcmd, the ledger read-back line
 * from the log.
 */
final class AppProcess implements AutoCloseable {

    private static final Pattern LEDGER_LINE = Pattern.compile(": (\\d+) keys read back from (\\d+) records in (\\d+) ms");
    private static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

    private final Process process;
    private final Path log;
    private final long startedWallMillis;

    private AppProcess(Process process, Path log, long startedWallMillis) {
        this.process = process;
        this.log = log;
        this.startedWallMillis = startedWallMillis;
    }

    static AppProcess start(Path jar, Map<String, String> env, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "@config/jvm.options", "-jar", jar.toString(), "--routes", "routes",
                "--config", "config/application.properties");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        long wall = System.currentTimeMillis();
        return new AppProcess(pb.start(), log, wall);
    }

    long pid() {
        return process.pid();
    }

    /** Wall-clock time just before the JVM was started, to compare with Kafka record timestamps. */
    long startedWallMillis() {
        return startedWallMillis;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** VmRSS of the process, in KiB (Linux). */
    long residentKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid());
    }

    /** Heap used after a full GC (jcmd GC.run, then GC.heap_info), in KiB. */
    long heapUsedAfterGcKib() throws IOException, InterruptedException {
        jcmd("GC.run");
        Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
        if (!m.find()) {
            throw new IOException("jcmd GC.heap_info: no heap line");
        }
        return Long.parseLong(m.group(2));
    }

    /** The largest heap the JVM allows (-XX:MaxHeapSize, from the container size and config/jvm.options), in KiB. */
    long maxHeapKib() throws IOException, InterruptedException {
        Matcher m = Pattern.compile("MaxHeapSize=(\\d+)").matcher(jcmd("VM.flags"));
        if (!m.find()) {
            throw new IOException("jcmd VM.flags: no MaxHeapSize");
        }
        return Long.parseLong(m.group(1)) / 1024;
    }

    /** The heap's classes by bytes held (jcmd GC.class_histogram, after a full GC): the first lines. */
    String classHistogram(int lines) throws IOException, InterruptedException {
        return String.join("\n", jcmd("GC.class_histogram").lines().limit(lines + 3L).toList());
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process p = new ProcessBuilder(jcmd, String.valueOf(pid()), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    /** The ledger read-back the application logged at start: {keys, records, millis}, if logged yet. */
    long[] ledgerReadBack(String ledgerTopic) throws IOException {
        for (String line : logLines()) {
            if (line.contains(ledgerTopic + ": ")) {
                Matcher m = LEDGER_LINE.matcher(line);
                if (m.find()) {
                    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
                }
            }
        }
        return null;
    }

    List<String> logLines() throws IOException {
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.ISO_8859_1) : new ArrayList<>();
    }

    Path log() {
        return log;
    }

    /** SIGKILL, as a crash or the OOM killer ends it: no shutdown hook, no graceful stop, nothing flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: Camel Main shuts down cleanly
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
