package com.warroom.routes.observe;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RunningApp;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Management first: with the broker down at start, the management port answers as soon as the app has
 * started, live UP and ready DOWN naming Kafka, no route started (no incident consumed before the ledger
 * is read back); once the broker is there the start-up work finishes by itself and the app turns ready.
 */
class ManagementFirstIT {

    static final Duration WAIT = Duration.ofMinutes(3);

    @Test
    void healthIsServedWhileKafkaIsUnreachableAtStartAndReadyOnceItIsThere() throws Exception {
        KafkaBroker broker = KafkaBroker.dedicated();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> settings = RunningApp.settings(broker.bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
            settings.put("kafka.retry.initial-backoff", "200ms");
            settings.put("kafka.retry.max-backoff", "1s");
            broker.stop();
            try (RunningApp app = RunningApp.starting(settings, Path.of("routes"), Path.of("config/application.properties"))) {
                // started: the pages answer at once, whatever Kafka does
                HttpResponse<String> live = app.management("/observe/health/live");
                assertEquals(200, live.statusCode(), live.body());
                HttpResponse<String> ready = app.management("/observe/health/ready");
                assertEquals(503, ready.statusCode(), ready.body());
                assertTrue(ready.body().contains("kafka-start-up") && ready.body().contains("Kafka start-up: checking the topics"), ready.body());
                assertTrue(app.context().getRouteController().getRouteStatus("incidents").isStopped(), "no incident consumed meanwhile");
                HttpResponse<String> unreachable = await().atMost(WAIT).until(() -> app.management("/observe/health/ready"),
                        r -> r.body().contains("Kafka unreachable"));
                assertEquals(503, unreachable.statusCode(), unreachable.body());
                assertTrue(app.context().getRouteController().getRouteStatus("incidents").isStopped(), "no incident consumed meanwhile");

                broker.start();
                HttpResponse<String> up = await().atMost(WAIT).until(() -> app.management("/observe/health/ready"), r -> r.statusCode() == 200);
                assertTrue(up.body().contains("UP"), up.body());
                assertTrue(app.context().getRouteController().getRouteStatus("incidents").isStarted(), "the start-up work started the routes");
            }
        } finally {
            broker.close();
        }
    }
}
