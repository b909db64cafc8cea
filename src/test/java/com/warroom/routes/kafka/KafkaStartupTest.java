package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.Backoff;
import com.warroom.routes.StartupProblem;
import com.warroom.routes.support.LogCapture;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kafka work at start runs after the context started, says why it is not done, tries again, and only then starts the routes. */
class KafkaStartupTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static CamelContext context() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.setAutoStartupExcludePattern("*"); // as the application sets it
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("timer:consume?period=60000").routeId("consume").to("direct:called");
                from("direct:called").routeId("called").log("called");
                from("direct:off").routeId("off").autoStartup(false).log("off");
            }
        });
        return camel;
    }

    private static KafkaStartup startup(CamelContext camel) throws Exception {
        KafkaStartup startup = new KafkaStartup(camel, new Backoff(Duration.ofMillis(10), Duration.ofMillis(40)), "kafka-1:9092");
        camel.addService(startup, true, true);
        camel.addStartupListener(startup);
        return startup;
    }

    @Test
    void failuresAreReadinessReasonsSaidOnceEachAndTheRoutesStartOnlyWhenDone() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch seen = new CountDownLatch(1);
        try (CamelContext camel = context(); LogCapture logs = LogCapture.capture()) {
            KafkaStartup startup = startup(camel);
            int[] attempts = {0};
            startup.step("reading the ledger back from topic ledger-t", "Read", () -> {
                attempts[0]++;
                if (attempts[0] <= 2) {
                    throw new KafkaException("cannot read", new TimeoutException("no broker"));
                }
                if (attempts[0] <= 4) {
                    throw new TopicAuthorizationException(Set.of("ledger-t"));
                }
                // the retry waits until the test has seen the failure's readiness reason (a backoff of 10-40 ms is shorter than a poll)
                seen.await(30, TimeUnit.SECONDS);
            }, null);
            startup.step("waiting", "Read", () -> release.await(30, TimeUnit.SECONDS), null);
            camel.start();
            await("the refusal is readiness's reason while the step is tried again").atMost(WAIT)
                    .until(startup::notReady, r -> r.contains("not authorized: Read on topic ledger-t"));
            seen.countDown();
            await().atMost(WAIT).until(() -> startup.notReady().startsWith("Kafka start-up: waiting"));
            assertFalse(startup.isDone());
            assertTrue(camel.getRouteController().getRouteStatus("consume").isStopped(), "no route before the start-up work is done");
            release.countDown();
            await().atMost(WAIT).until(startup::isDone);
            assertTrue(camel.getRouteController().getRouteStatus("consume").isStarted(), "started through the route controller");
            assertTrue(camel.getRouteController().getRouteStatus("called").isStarted());
            assertTrue(camel.getRouteController().getRouteStatus("off").isStopped(), "a route with autoStartup false stays as it is");
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:later").routeId("later").log("later");
                }
            });
            assertTrue(camel.getRouteController().getRouteStatus("later").isStarted(), "a route added later (a reload) starts as usual");
            assertEquals(5, attempts[0]);
            List<String> errors = logs.lines().stream().filter(l -> l.contains("Kafka start-up: reading the ledger back")).toList();
            assertEquals(3, errors.size(), "one line per reason, and one when done: " + errors);
            assertTrue(errors.get(0).contains("Kafka unreachable (TimeoutException): cannot read (Kafka at kafka-1:9092)"), errors.get(0));
            assertTrue(errors.get(1).contains("not authorized: Read on topic ledger-t (ACL missing for this module's principal): Not authorized to access topics: [ledger-t] (Kafka at kafka-1:9092): readiness DOWN"),
                    errors.get(1));
            assertNull(startup.problem());
        }
    }

    @Test
    void aStartThatCanNeverSucceedStopsTheContextWithItsProblem() throws Exception {
        try (CamelContext camel = context()) {
            KafkaStartup startup = startup(camel);
            StartupProblem bad = new StartupProblem("topic t has 1 partition, KAFKA_LEDGER_PARTITIONS says 3");
            startup.step("checking the topics", "Describe", () -> {
                throw bad;
            }, null);
            camel.start();
            await().atMost(WAIT).until(camel::isStopped);
            assertSame(bad, startup.problem());
            assertFalse(startup.isDone());
        }
    }

    @Test
    void whatNeverSucceeds() {
        assertEquals("a Kafka client setting is refused: Invalid url in bootstrap.servers: nohost",
                KafkaStartup.neverSucceeds(new KafkaException("Failed to create new KafkaAdminClient",
                        new ConfigException("Invalid url in bootstrap.servers: nohost"))).getMessage());
        assertNull(KafkaStartup.neverSucceeds(new KafkaException(new TimeoutException())), "Kafka unreachable: tried again");
        assertNull(KafkaStartup.neverSucceeds(new TopicAuthorizationException("denied")), "an ACL missing: tried again");
    }
}
