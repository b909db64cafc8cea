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
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * dead-lettered and none is committed; the incident route stops after one log line naming the topic and
 * the operation, readiness says why, and nothing loops. With the ACL gone, a restart handles every event,
 * with no second war room. A refused poll instead goes on by itself once the ACL is granted.
 */
class KafkaAccessIT {

    static final Duration WAIT = Duration.ofMinutes(2);

    /** A broker of its own that checks ACLs; with none on a resource, everyone may use it. */
    static KafkaBroker authorizingBroker() {
        return KafkaBroker.dedicated(Map.of("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found", "true"));
    }

    /** Denies the module's principal (ANONYMOUS on the plaintext listener) {@code operation} on {@code name}. */
    static AclBinding deny(KafkaTestClient kafka, ResourceType type, String name, AclOperation operation) throws Exception {
        AclBinding binding = new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:ANONYMOUS", "*", operation, AclPermissionType.DENY));
        kafka.admin().createAcls(List.of(binding)).all().get();
        return binding;
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
            AclBinding denyResults = deny(kafka, ResourceType.TOPIC, results, AclOperation.WRITE);
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
            assertTrue(logs.lines().stream().anyMatch(l -> l.contains("not authorized: Write on topic " + results)), "names topic and operation");
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

    /**
     * The consumer may not use its group: its poll fails. One line names the group and the operation, readiness
     * says the same, the poll is tried again after the backoff (no loop, no stop); with the ACL granted the
     * consumer goes on by itself and readiness turns UP.
     */
    @Test
    void aConsumerThatMayNotReadSaysSoOnceAndGoesOnOnceGranted() throws Exception {
        KafkaBroker broker = authorizingBroker();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
             LogCapture logs = LogCapture.capture()) {
            Map<String, String> settings = settings(broker, sandbox);
            settings.put("kafka.retry.max-backoff", "2s");
            String incidents = settings.get("incident.topic");
            String group = settings.get("consumer.group");
            broker.createTopic(incidents, 1);
            AclBinding denyGroup = deny(kafka, ResourceType.GROUP, group, AclOperation.READ);
            ObjectNode event = Events.fresh();
            kafka.send(incidents, Events.incidentId(event), Events.json(event));
            String missing = "not authorized: Read on group " + group + " (ACL missing for this module's principal)";
            try (RunningApp app = RunningApp.start(settings)) {
                HttpResponse<String> health = await().atMost(WAIT).until(() -> app.management("/observe/health"),
                        r -> r.body().contains("kafka-access"));
                assertEquals(503, health.statusCode(), health.body());
                assertTrue(health.body().contains(missing), health.body());
                await("the refusal is logged").atMost(WAIT).until(() -> logs.lines().stream().anyMatch(l -> l.contains(missing)));
                assertTrue(logs.lines().stream().noneMatch(l -> l.contains("polling Kafka failed")), "one line, not one per poll");
                assertTrue(sandbox.calls("/incident/war-room/create").isEmpty());
                assertTrue(app.context().getRouteController().getRouteStatus("incidents").isStarted(), "no stop: polled again after the backoff");

                kafka.admin().deleteAcls(List.of(denyGroup.toFilter())).all().get();
                await("the event is handled once the ACL is granted").atMost(WAIT).until(() -> kafka.lag(group, incidents) == 0);
                assertEquals(1, sandbox.createCount(Events.incidentId(event)));
                await("ready again").atMost(WAIT).until(() -> !app.management("/observe/health").body().contains("kafka-access"));
            }
            assertEquals(1, logs.lines().stream().filter(l -> l.contains(missing)).count(), "said once");
        } finally {
            broker.close();
        }
    }

    /** The ledger may not be read at start: readiness says an ACL is missing, no route starts; granted, the start goes on by itself. */
    @Test
    void aMissingAclAtStartIsReadinessDownUntilGranted() throws Exception {
        KafkaBroker broker = authorizingBroker();
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config());
             KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
             LogCapture logs = LogCapture.capture()) {
            Map<String, String> settings = settings(broker, sandbox);
            settings.put("kafka.retry.max-backoff", "2s");
            String ledger = settings.get("ledger.topic");
            broker.createCompactedTopic(ledger, 1);
            AclBinding denyLedger = deny(kafka, ResourceType.TOPIC, ledger, AclOperation.READ);
            // a denied Read hides the topic from the topic check too, whose create Kafka then refuses without naming the topic
            String missing = "(ACL missing for this module's principal)";
            try (RunningApp app = RunningApp.starting(settings, java.nio.file.Path.of("routes"), java.nio.file.Path.of("config/application.properties"))) {
                HttpResponse<String> ready = await().atMost(WAIT).until(() -> app.management("/observe/health/ready"),
                        r -> r.body().contains(missing));
                assertEquals(503, ready.statusCode(), ready.body());
                assertTrue(ready.body().contains("kafka-start-up"), ready.body());
                assertTrue(app.context().getRouteController().getRouteStatus("incidents").isStopped(), "no incident before the ledger is read");

                kafka.admin().deleteAcls(List.of(denyLedger.toFilter())).all().get();
                app.awaitKafkaStartup();
                await("ready").atMost(WAIT).until(() -> app.management("/observe/health/ready").statusCode() == 200);
            }
            assertEquals(1, logs.lines().stream().filter(l -> l.contains("KafkaStartup") && l.contains(missing)).count(),
                    "said once, not per attempt: " + logs.lines().stream().filter(l -> l.contains("KafkaStartup")).toList());
        } finally {
            broker.close();
        }
    }
}
