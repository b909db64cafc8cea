package com.warroom.routes.customizing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The "Customizing" examples, read from docs/customizing.md and applied as written to a copy of the
 * shipped routes/ and config/, then run against the real broker and the sandbox; and opt-in route
 * reload picking up an edited route file while the module runs.
 */
class CustomizingIT {

    static final Duration WAIT = Duration.ofSeconds(45);
    static final String CHANNEL = "1840312623504";
    static final String CREATE = "/incident/war-room/create";

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().perTest().startedByTest();

    @TempDir
    Path dir;

    /** Starts the app on a copy of the shipped routes/ and config/ with these docs/customizing.md examples applied. */
    void start(String... examples) throws Exception {
        ReadmeCustomizations.copyShipped(dir);
        for (String example : examples) {
            ReadmeCustomizations.apply(dir, ReadmeCustomizations.of(example));
        }
        testApp.start(dir.resolve("routes"), dir.resolve("config/application.properties"));
    }

    static Map<String, String> settings() {
        return testApp.settings();
    }

    static FlashdutySandbox sandbox() {
        return testApp.sandbox();
    }

    static ObjectNode send(String severity, String channel) {
        ObjectNode event = Events.fresh();
        Events.incident(event).put("incident_severity", severity).put("channel_id", Long.parseLong(channel));
        testApp.kafka().send(settings().get("incident.topic"), Events.incidentId(event), Events.json(event));
        return event;
    }

    static JsonNode resultFor(ObjectNode event) {
        String eventId = event.path("event_id").asText();
        return testApp.topics().await(settings().get("result.topic"), r -> eventId.equals(r.path("event_id").asText()), WAIT);
    }

    static String outcome(JsonNode result) {
        return result.path("status").asText() + "/" + result.path("reason").asText("");
    }

    @Test
    void warningIncidentsOfOneChannelOnly() throws Exception {
        start("warning-one-channel");
        ObjectNode ours = send("Warning", CHANNEL);
        ObjectNode otherChannel = send("Warning", "1840312623999");
        ObjectNode critical = send("Critical", CHANNEL);

        assertEquals("created/", outcome(resultFor(ours)).replace("null", ""));
        assertEquals("skipped/channel_filtered", outcome(resultFor(otherChannel)));
        assertEquals("skipped/severity_filtered", outcome(resultFor(critical)));
        assertEquals(1, sandbox().createCount(Events.incidentId(ours)));
        assertEquals(0, sandbox().createCount(Events.incidentId(otherChannel)));
    }

    @Test
    void fixedExtraMembersInEveryCreate() throws Exception {
        start("extra-members");
        ObjectNode event = send("Critical", CHANNEL);

        assertEquals("created", resultFor(event).path("status").asText());
        String incidentId = Events.incidentId(event);
        JsonNode body = TestKafka.MAPPER.readTree(sandbox().calls(CREATE).stream()
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

        // both topics read whole, in offset order: the copy topic is named by this test only, after the collector started
        KafkaTestClient kafka = testApp.kafka();
        List<ConsumerRecord<byte[], byte[]>> copies = kafka.awaitRecords(settings().get("result-copy.topic"), 2, WAIT);
        List<ConsumerRecord<byte[], byte[]>> originals = kafka.readAll(settings().get("result.topic"));
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

        RouteWatcherReloadStrategy reload = testApp.app().context().hasService(RouteWatcherReloadStrategy.class);
        assertNotNull(reload, "ROUTES_RELOAD=true watches the routes directory");
        int reloads = reload.getReloadCounter();
        // the route part of the first example, edited into the running module's routes/
        ReadmeCustomizations.apply(dir, ReadmeCustomizations.of("warning-one-channel").stream()
                .filter(c -> c.file().startsWith("routes/")).toList());
        await().atMost(WAIT).until(() -> reload.getReloadCounter() > reloads);

        ObjectNode after = send("Critical", "1840312623999");
        assertEquals("skipped/channel_filtered", outcome(resultFor(after)));
        await().atMost(WAIT).until(() -> testApp.management("/observe/health").statusCode() == 200);

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
