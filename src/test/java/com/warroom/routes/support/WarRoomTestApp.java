package com.warroom.routes.support;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import com.warroom.routes.sandbox.FlashdutySandbox;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up of an integration test, as a JUnit 5 extension: a sandbox, the app's settings for it
 * and the broker ({@link RunningApp#settings}; the shared one unless {@link #dedicatedBroker()}), a
 * {@link TopicCollector}, a {@link KafkaTestClient} and the {@link RunningApp}, opened in that order and closed in reverse.
 *
 * <pre>
 * &#64;RegisterExtension
 * static WarRoomTestApp app = WarRoomTestApp.withDefaults().setting("catalog.refresh", "500ms");
 * </pre>
 *
 * Once per class unless {@link #perTest()}; the app starts with the rest unless
 * {@link #startedByTest()}, for a test that sends before the app runs or starts it twice.
 */
public final class WarRoomTestApp implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    /** Topics collected unless told otherwise: what the incident pipeline writes. */
    private static final List<String> DEFAULT_COLLECTED = List.of("result.topic", "dead-letter.topic");

    private UnaryOperator<FlashdutySandbox.Config> sandboxConfig = c -> c;
    private final List<BiConsumer<FlashdutySandbox, Map<String, String>>> settingSteps = new ArrayList<>();
    private final Set<String> collected = new LinkedHashSet<>(DEFAULT_COLLECTED);
    private boolean collectEveryTopic;
    private final List<Consumer<WarRoomTestApp>> beforeStart = new ArrayList<>();
    private boolean perTest;
    private boolean startsApp = true;
    private boolean dedicatedBroker;

    private KafkaBroker broker;
    private FlashdutySandbox sandbox;
    private Map<String, String> settings;
    private KafkaTestClient kafka;
    private TopicCollector topics;
    private RunningApp app;

    private WarRoomTestApp() {
    }

    public static WarRoomTestApp withDefaults() {
        return new WarRoomTestApp();
    }

    // ---- builder ----

    /** Adjusts the sandbox's config (a fresh {@code new Config()} each time the sandbox starts). */
    public WarRoomTestApp sandbox(UnaryOperator<FlashdutySandbox.Config> configure) {
        UnaryOperator<FlashdutySandbox.Config> before = sandboxConfig;
        sandboxConfig = c -> configure.apply(before.apply(c));
        return this;
    }

    /** A sandbox that enforces these two windows (it answers 429 beyond them), and the app given the same budget. */
    public WarRoomTestApp budget(int perSecond, long secondWindowMillis, int perMinute, long minuteWindowMillis) {
        sandbox(c -> c.perSecond(perSecond).secondWindowMillis(secondWindowMillis).perMinute(perMinute).minuteWindowMillis(minuteWindowMillis));
        return settings((sandbox, s) -> RunningApp.budgetOf(sandbox.config(), s));
    }

    /** A setting override, applied after {@link RunningApp#settings} in the order given. */
    public WarRoomTestApp setting(String key, String value) {
        return settings((sandbox, s) -> s.put(key, value));
    }

    /** Setting overrides that depend on the sandbox (its URL, its credentials). */
    public WarRoomTestApp settings(BiConsumer<FlashdutySandbox, Map<String, String>> step) {
        settingSteps.add(step);
        return this;
    }

    /** Points the Rocket.Chat client at the sandbox, with the sandbox's credentials in files. */
    public WarRoomTestApp rocketChat() {
        return settings(WarRoomTestApp::rocketChatSettings);
    }

    public static void rocketChatSettings(FlashdutySandbox sandbox, Map<String, String> settings) {
        settings.put("rocketchat.url", sandbox.baseUrl());
        settings.put("rocketchat.user-id-file", RunningApp.secretFile(sandbox.config().rocketChatUserId()).toString());
        settings.put("rocketchat.auth-token-file", RunningApp.secretFile(sandbox.config().rocketChatAuthToken()).toString());
    }

    /** Topics to collect besides the results and dead letters, named by their setting key ({@code "template.topic"}). */
    public WarRoomTestApp collect(String... topicSettingKeys) {
        collected.addAll(List.of(topicSettingKeys));
        return this;
    }

    /** Collects every topic of the settings (every {@code *.topic} key). */
    public WarRoomTestApp collectEveryTopic() {
        collectEveryTopic = true;
        return this;
    }

    /** Runs once the sandbox, settings, collector and producer are ready, before the app starts (seed data, create topics). */
    public WarRoomTestApp beforeStart(Consumer<WarRoomTestApp> step) {
        beforeStart.add(step);
        return this;
    }

    /**
     * A broker of its own ({@link KafkaBroker#dedicated()}) instead of the shared one, started first and
     * closed last: for a test that stops and starts it ({@link #broker()}), which must not happen to the
     * broker the other tests of the JVM use.
     */
    public WarRoomTestApp dedicatedBroker() {
        dedicatedBroker = true;
        return this;
    }

    /** A new sandbox, topics and app for each test instead of one for the class. */
    public WarRoomTestApp perTest() {
        perTest = true;
        return this;
    }

    /** Everything but the app is ready before a test; the test calls {@link #start()} (and may {@link #stop()} and start again). */
    public WarRoomTestApp startedByTest() {
        startsApp = false;
        return this;
    }

    // ---- JUnit ----

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (!perTest) {
            open();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (!perTest) {
            close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (perTest) {
            open();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (perTest) {
            close();
        }
    }

    // ---- lifecycle ----

    private void open() throws Exception {
        try {
            if (dedicatedBroker) {
                broker = KafkaBroker.dedicated();
            }
            sandbox = FlashdutySandbox.start(sandboxConfig.apply(new FlashdutySandbox.Config()));
            settings = RunningApp.settings(brokers(), sandbox.baseUrl(), sandbox.config().appKey());
            for (BiConsumer<FlashdutySandbox, Map<String, String>> step : settingSteps) {
                step.accept(sandbox, settings);
            }
            kafka = new KafkaTestClient(brokers());
            topics = new TopicCollector(brokers(), collectedTopics());
            for (Consumer<WarRoomTestApp> step : beforeStart) {
                step.accept(this);
            }
            if (startsApp) {
                start();
            }
        } catch (Exception | Error e) {
            try {
                close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private List<String> collectedTopics() {
        Set<String> names = new LinkedHashSet<>();
        for (String key : collected) {
            names.add(settings.get(key));
        }
        if (collectEveryTopic) {
            settings.forEach((key, value) -> {
                if (key.endsWith(".topic")) {
                    names.add(value);
                }
            });
        }
        return List.copyOf(names);
    }

    /** Starts the app on the current {@link #settings()}. */
    public RunningApp start() throws Exception {
        return start(() -> RunningApp.start(settings));
    }

    /** The same, on other routes and configuration than the shipped ones (an operator's customized copy of them). */
    public RunningApp start(Path routesDir, Path configFile) throws Exception {
        return start(() -> RunningApp.start(settings, routesDir, configFile));
    }

    private RunningApp start(Callable<RunningApp> starting) throws Exception {
        if (app != null) {
            throw new IllegalStateException("the app is running");
        }
        app = starting.call();
        return app;
    }

    /** Stops the app (the sandbox, collector and producer stay). */
    public void stop() throws Exception {
        if (app != null) {
            RunningApp running = app;
            app = null;
            running.close();
        }
    }

    private void close() throws Exception {
        Exception failure = null;
        for (AutoCloseable c : new AutoCloseable[] {this::stop, topics, kafka, sandbox, broker == null ? null : broker::close}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        topics = null;
        kafka = null;
        sandbox = null;
        settings = null;
        broker = null;
        if (failure != null) {
            throw failure;
        }
    }

    // ---- what a test uses ----

    /** The shared broker, or the test's own ({@link #dedicatedBroker()}). */
    public KafkaBroker broker() {
        return dedicatedBroker ? broker : KafkaBroker.shared();
    }

    public String brokers() {
        return broker().bootstrapServers();
    }

    public FlashdutySandbox sandbox() {
        return sandbox;
    }

    /** The app's settings: changes take effect at the next {@link #start()}. */
    public Map<String, String> settings() {
        return settings;
    }

    public String setting(String key) {
        return settings.get(key);
    }

    public TopicCollector topics() {
        return topics;
    }

    /** The tests' Kafka client: producer, whole-topic reads, Admin. */
    public KafkaTestClient kafka() {
        return kafka;
    }

    /** The running app. */
    public RunningApp app() {
        if (app == null) {
            throw new IllegalStateException("the app is not running");
        }
        return app;
    }

    public <T> T bean(String name, Class<T> type) {
        return app().bean(name, type);
    }

    /** GET on the running app's management server. */
    public HttpResponse<String> management(String path) throws Exception {
        return app().management(path);
    }

    public int managementPort() {
        return Integer.parseInt(settings.get("management.port"));
    }
}
