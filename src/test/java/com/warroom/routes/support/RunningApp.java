package com.warroom.routes.support;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.warroom.routes.app.WarRoomApplication;
import com.warroom.routes.kafka.KafkaStartup;
import com.warroom.routes.sandbox.FlashdutySandbox;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

import static org.awaitility.Awaitility.await;

/**
 * The application as it ships: Camel Main with the project's own {@code routes/*.yaml} and
 * {@code config/application.properties}, pointed at the test broker and the sandbox through
 * override properties only. Topic names and the consumer group carry a per-test suffix.
 */
public final class RunningApp implements AutoCloseable {

    private final Main main;
    private final Map<String, String> settings;
    private final List<Runnable> beforeClose = new java.util.concurrent.CopyOnWriteArrayList<>();

    private RunningApp(Main main, Map<String, String> settings) {
        this.main = main;
        this.settings = settings;
    }

    /** Settings for one isolated set of topics; adjust, then {@link #start(Map)}. */
    public static Map<String, String> settings(String brokers, String sandboxUrl, String appKey) {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> s = new LinkedHashMap<>();
        s.put("kafka.brokers", brokers);
        s.put("consumer.group", "war-room-it-" + suffix);
        s.put("incident.topic", "incidents-" + suffix);
        s.put("result.topic", "war-room-results-" + suffix);
        s.put("dead-letter.topic", "incidents-dlq-" + suffix);
        s.put("ledger.topic", "war-room-ledger-" + suffix);
        s.put("template-request.topic", "template-requests-" + suffix);
        s.put("template.topic", "templates-" + suffix);
        s.put("integration.topic", "im-integrations-" + suffix);
        s.put("budget-journal.topic", "war-room-budget-journal-" + suffix);
        s.put("flashduty.base-url", sandboxUrl);
        s.put("flashduty.app-key-file", secretFile(appKey).toString());
        s.put("kafka.poll-timeout-ms", "200");
        s.put("kafka.ledger-partitions", "1");
        s.put("flashduty.retry.initial-backoff", "50ms");
        s.put("flashduty.retry.max-backoff", "400ms");
        s.put("flashduty.response-timeout-ms", "3000");
        s.put("management.port", String.valueOf(TestKafka.freePort()));
        s.put("camel.main.shutdown-timeout", "5");
        return s;
    }

    /** Gives the app the budget the sandbox enforces (tests use short windows), so the two agree. */
    public static void budgetOf(FlashdutySandbox.Config limits, Map<String, String> settings) {
        settings.put("flashduty.rate-per-second", String.valueOf(limits.perSecond()));
        settings.put("flashduty.second-window", String.valueOf(limits.secondWindowMillis()));
        settings.put("flashduty.rate-per-minute", String.valueOf(limits.perMinute()));
        settings.put("flashduty.minute-window", String.valueOf(limits.minuteWindowMillis()));
    }

    public static RunningApp start(Map<String, String> settings) throws Exception {
        return start(settings, Path.of("routes"), Path.of("config/application.properties"));
    }

    /** The same, on a copy of routes/ and config/ (an operator's customized files). */
    public static RunningApp start(Map<String, String> settings, Path routesDir, Path configFile) throws Exception {
        RunningApp app = starting(settings, routesDir, configFile);
        try {
            app.awaitKafkaStartup();
        } catch (RuntimeException | Error e) {
            app.close();
            throw e;
        }
        return app;
    }

    /**
     * Started (the context, the management server), without waiting for the Kafka start-up work that
     * then starts the routes: for a test of what the app does meanwhile.
     */
    public static RunningApp starting(Map<String, String> settings, Path routesDir, Path configFile) throws Exception {
        Main main = WarRoomApplication.createMain(routesDir, configFile, settings);
        main.start();
        return new RunningApp(main, settings);
    }

    /** Waits until the Kafka start-up work is done and the routes started; throws its problem if it can never be. */
    public void awaitKafkaStartup() {
        KafkaStartup startup = bean("kafkaStartup", KafkaStartup.class);
        await("the Kafka start-up work").atMost(Duration.ofMinutes(3)).until(() -> startup.isDone() || startup.problem() != null);
        if (startup.problem() != null) {
            throw startup.problem();
        }
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public String setting(String key) {
        return settings.get(key);
    }

    public <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    /** GET on the management server ({@code /observe/health}, {@code /observe/metrics}). */
    public HttpResponse<String> management(String path) throws IOException, InterruptedException {
        return TestKafka.get(Integer.parseInt(settings.get("management.port")), path);
    }

    /** Runs before the app stops (a test reading its pages while it still serves them). */
    public RunningApp beforeClose(Runnable action) {
        beforeClose.add(action);
        return this;
    }

    @Override
    public void close() throws Exception {
        for (Runnable action : beforeClose) {
            action.run();
        }
        main.stop();
    }

    /** A temporary file holding a secret, as FLASHDUTY_APP_KEY_FILE and the like name one. */
    public static Path secretFile(String value) {
        try {
            Path f = Files.createTempFile("app-key", ".txt");
            Files.writeString(f, value);
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
