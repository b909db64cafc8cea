package com.warroom.routes.customizing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's "Customizing" examples, read from README.md and applied as written to a copy of the
 * shipped routes/ and config/, then run against the real broker and the sandbox; and opt-in route
 * reload picking up an edited route file while the module runs.
 */
class CustomizingIT {

    static final Duration WAIT = Duration.ofSeconds(45);
    static final String CHANNEL = "1840312623504";
    static final String CREATE = "/incident/war-room/create";

    static FlashdutySandbox sandbox;
    static KafkaTestClient kafka;

    @TempDir
    Path dir;
    Map<String, String> settings;
    RunningApp app;

    @BeforeAll
    static void startSandbox() throws Exception {
        sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
        kafka = new KafkaTestClient(KafkaBroker.shared().bootstrapServers());
    }

    @AfterAll
    static void stopSandbox() {
        kafka.close();
        sandbox.close();
    }

    @AfterEach
    void stopApp() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    void start(String... examples) throws Exception {
        ReadmeCustomizations.copyShipped(dir);
        for (String example : examples) {
            ReadmeCustomizations.apply(dir, ReadmeCustomizations.of(example));
        }
        app = RunningApp.start(settings, dir.resolve("routes"), dir.resolve("config/application.properties"));
    }

    Map<String, String> settings() {
        settings = RunningApp.settings(KafkaBroker.shared().bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
        return settings;
    }

    ObjectNode send(String severity, String channel) {
        ObjectNode event = Events.fresh();
        Events.incident(event).put("incident_severity", severity).put("channel_id", Long.parseLong(channel));
        kafka.sendJson(settings.get("incident.topic"), Events.incidentId(event), Events.json(event));
        return event;
    }

    JsonNode resultFor(ObjectNode event) {
        String eventId = event.path("event_id").asText();
        return await().atMost(WAIT).until(() -> TestKafka.json(kafka.readAll(settings.get("result.topic"))).stream()
                .filter(r -> eventId.equals(r.path("event_id").asText())).findFirst().orElse(null), Objects::nonNull);
    }

    static String outcome(JsonNode result) {
        return result.path("status").asText() + "/" + result.path("reason").asText("");
    }

    @Test
    void warningIncidentsOfOneChannelOnly() throws Exception {
        settings();
        start("warning-one-channel");
        ObjectNode ours = send("Warning", CHANNEL);
        ObjectNode otherChannel = send("Warning", "1840312623999");
        ObjectNode critical = send("Critical", CHANNEL);

        assertEquals("created/", outcome(resultFor(ours)).replace("null", ""));
        assertEquals("skipped/channel_filtered", outcome(resultFor(otherChannel)));
        assertEquals("skipped/severity_filtered", outcome(resultFor(critical)));
        assertEquals(1, sandbox.createCount(Events.incidentId(ours)));
        assertEquals(0, sandbox.createCount(Events.incidentId(otherChannel)));
    }

    @Test
    void fixedExtraMembersInEveryCreate() throws Exception {
        settings();
        start("extra-members");
        ObjectNode event = send("Critical", CHANNEL);

        assertEquals("created", resultFor(event).path("status").asText());
        String incidentId = Events.incidentId(event);
        JsonNode body = TestKafka.MAPPER.readTree(sandbox.calls(CREATE).stream()
                .filter(c -> incidentId.equals(c.incidentId())).findFirst().orElseThrow().body());
        assertEquals("[80011,80012]", body.path("member_ids").toString());
    }

    @Test
    void everyResultCopiedToASecondTopic() throws Exception {
        settings().put("result-copy.topic", "war-room-results-copy-" + Events.randomHex(8));
        start("result-copy");
        ObjectNode created = send("Critical", CHANNEL);
        ObjectNode skipped = send("Info", CHANNEL);
        JsonNode createdResult = resultFor(created);
        resultFor(skipped);

        List<ConsumerRecord<byte[], byte[]>> copies = kafka.awaitRecords(settings.get("result-copy.topic"), 2, WAIT);
        List<ConsumerRecord<byte[], byte[]>> originals = kafka.readAll(settings.get("result.topic"));
        assertEquals(originals.size(), copies.size());
        for (int i = 0; i < copies.size(); i++) {
            assertEquals(TestKafka.key(originals.get(i)), TestKafka.key(copies.get(i)));
            assertEquals(TestKafka.value(originals.get(i)), TestKafka.value(copies.get(i)));
        }
        assertEquals(Events.incidentId(created), TestKafka.key(copies.get(0)));
        assertEquals(createdResult, TestKafka.json(copies.get(0)));
    }

    @Test
    void routeReloadPicksUpAnEditedRouteWhileRunning() throws Exception {
        settings().put("routes.reload", "true");
        start();
        ObjectNode before = send("Critical", "1840312623999");
        assertEquals("created", resultFor(before).path("status").asText(), "no channel rule yet");

        RouteWatcherReloadStrategy reload = app.context().hasService(RouteWatcherReloadStrategy.class);
        assertNotNull(reload, "ROUTES_RELOAD=true watches the routes directory");
        int reloads = reload.getReloadCounter();
        // the route part of the first example, edited into the running module's routes/
        ReadmeCustomizations.apply(dir, ReadmeCustomizations.of("warning-one-channel").stream()
                .filter(c -> c.file().startsWith("routes/")).toList());
        await().atMost(WAIT).until(() -> reload.getReloadCounter() > reloads);

        ObjectNode after = send("Critical", "1840312623999");
        assertEquals("skipped/channel_filtered", outcome(resultFor(after)));
        await().atMost(WAIT).until(() -> app.management("/observe/health").statusCode() == 200);

        // a file that does not parse fails its reload and the routes it held keep running
        int failures = reload.getFailedCounter();
        Path broken = Files.createTempFile(dir, "broken", ".tmp");
        Files.writeString(broken, Files.readString(dir.resolve("routes/20-war-room.yaml")) + "\n  - route: [unclosed\n");
        Files.move(broken, dir.resolve("routes/20-war-room.yaml"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        await().atMost(WAIT).until(() -> reload.getFailedCounter() > failures);
        ObjectNode whileBroken = send("Critical", "1840312623999");
        assertEquals("skipped/channel_filtered", outcome(resultFor(whileBroken)));
    }
}
