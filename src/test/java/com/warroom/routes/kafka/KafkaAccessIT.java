package com.warroom.routes.kafka;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.LogCapture;
import com.warroom.routes.support.RunningApp;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka refuses the module itself (an ACL denies writing results): no record is at fault, so none is
 * dead-lettered and none is committed; the incident route stops after one log line, readiness says
 * why, and nothing loops. With the ACL gone, a restart handles every event, with no second war room.
 */
class KafkaAccessIT {

    static final Duration WAIT = Duration.ofMinutes(2);

    /** A broker of its own that checks ACLs; with none on a resource, everyone may use it. */
    static KafkaBroker authorizingBroker() {
        return KafkaBroker.dedicated(Map.of("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found", "true"));
    }

    static Map<String, String> settings(KafkaBroker broker, FlashdutySandbox sandbox) {
        Map<String, String> settings = RunningApp.settings(broker.bootstrapServers(), sandbox.baseUrl(), sandbox.config().appKey());
        RunningApp.budgetOf(sandbox.config(), settings);
        return settings;
    }

    @Test
    void anAuthorizationErrorStopsConsumingOnceAndLosesNothing() throws Exception {
        KafkaBroker broker = authorizingBroker();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
             LogCapture logs = LogCapture.capture()) {
            Map<String, String> settings = settings(broker, sandbox);
            String results = settings.get("result.topic");
            String incidents = settings.get("incident.topic");
            broker.createTopic(incidents, 1);
            broker.createTopic(results, 1);
            AclBinding denyResults = new AclBinding(new ResourcePattern(ResourceType.TOPIC, results, PatternType.LITERAL),
                    new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.WRITE, AclPermissionType.DENY));
            kafka.admin().createAcls(List.of(denyResults)).all().get();
            List<String> sent = List.of(Events.fresh(), Events.fresh(), Events.fresh()).stream().map(e -> {
                kafka.send(incidents, Events.incidentId(e), Events.json(e));
                return Events.incidentId(e);
            }).toList();

            try (RunningApp app = RunningApp.start(settings)) {
                await("the incident route stops").atMost(WAIT)
                        .until(() -> app.context().getRouteController().getRouteStatus("incidents").isStopped());
                HttpResponse<String> health = await().atMost(WAIT).until(() -> app.management("/observe/health"), r -> r.statusCode() == 503);
                assertTrue(health.body().contains("kafka-access"), health.body());
                assertTrue(app.context().getRouteController().getRouteStatus("template-requests").isStarted(),
                        "the other consumer route is not at fault and goes on");
            }
            assertEquals(3, kafka.lag(settings.get("consumer.group"), incidents), "nothing committed");
            assertTrue(!kafka.listTopics().contains(settings.get("dead-letter.topic"))
                    || kafka.readAll(settings.get("dead-letter.topic")).isEmpty(), "nothing dead-lettered: no record is at fault");
            assertEquals(1, logs.lines().stream().filter(l -> l.contains("Kafka refused this module")).count(), "said once");
            assertTrue(logs.lines().stream().filter(l -> l.contains("Will seek consumer")).count() <= 2,
                    "the record came again at most while the route stopped");
            assertTrue(sandbox.createCount(sent.get(0)) <= 1, "no loop of creates");

            // the ACL fixed, a restart goes on where it stopped
            kafka.admin().deleteAcls(List.of(denyResults.toFilter())).all().get();
            try (RunningApp app = RunningApp.start(settings)) {
                await("every event has its result").atMost(WAIT).until(() -> kafka.lag(settings.get("consumer.group"), incidents) == 0);
            }
            assertEquals(3, kafka.readAll(results).size());
            for (String incident : sent) {
                assertEquals(1, sandbox.createCount(incident), "one war room for " + incident);
            }
        } finally {
            broker.close();
        }
    }

    /** The consumer may not use its group: its poll fails; that consumer stops, said once, no loop. */
    @Test
    void aConsumerThatMayNotReadStopsOnceWithoutALoop() throws Exception {
        KafkaBroker broker = authorizingBroker();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
             LogCapture logs = LogCapture.capture()) {
            Map<String, String> settings = settings(broker, sandbox);
            String incidents = settings.get("incident.topic");
            broker.createTopic(incidents, 1);
            kafka.admin().createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.GROUP, settings.get("consumer.group"),
                    PatternType.LITERAL), new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.READ, AclPermissionType.DENY))))
                    .all().get();
            kafka.send(incidents, "k", Events.json(Events.fresh()));
            try (RunningApp app = RunningApp.start(settings)) {
                HttpResponse<String> health = await().atMost(WAIT).until(() -> app.management("/observe/health"),
                        r -> r.body().contains("kafka-access"));
                assertEquals(503, health.statusCode(), health.body());
                await("the refusal is logged").atMost(WAIT)
                        .until(() -> logs.lines().stream().anyMatch(l -> l.contains("Kafka refused this module")));
                long polls = logs.lines().stream().filter(l -> l.contains("polling Kafka failed")).count();
                assertTrue(polls <= 3, polls + " poll retries before the refusal was seen");
                assertTrue(sandbox.calls("/incident/war-room/create").isEmpty());
            }
            assertEquals(1, logs.lines().stream().filter(l -> l.contains("Kafka refused this module")).count(), "said once");
        } finally {
            broker.close();
        }
    }
}
