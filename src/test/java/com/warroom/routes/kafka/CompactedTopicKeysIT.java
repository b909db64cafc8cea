package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaTestClient;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.TopicCollector;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every record the shipped routes write to a compacted topic carries a key. Compacted topics refuse
 * keyless records, and the routes name the key header of camel-kafka, whose spelling changed between
 * patch versions (4.18.3: {@code kafka.KEY} became {@code CamelKafkaKey}): an upgrade that leaves a
 * route on the old name writes no record at all here, and this test fails.
 *
 * <p>The compacted topics are found by asking the broker for their {@code cleanup.policy}, so a
 * compacted topic added later is checked too.
 */
class CompactedTopicKeysIT {

    static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().rocketChat().collectEveryTopic().startedByTest()
            // the module does not create the template topic; docker/compose.yaml makes it compacted, so here too
            .beforeStart(t -> t.broker().createCompactedTopic(t.setting("template.topic"), 1));

    @Test
    void everyRecordOnEveryCompactedTopicHasItsKey() throws Exception {
        FlashdutySandbox sandbox = testApp.sandbox();
        List<String> templates = sandbox.seedTemplates(3);
        sandbox.seedRocketChatIntegrations(2);
        Map<String, String> settings = testApp.settings();
        List<String> topicNames = settings.entrySet().stream().filter(e -> e.getKey().endsWith(".topic"))
                .map(Map.Entry::getValue).collect(Collectors.toList());
        TopicCollector topics = testApp.topics();
        KafkaTestClient kafka = testApp.kafka();
        testApp.start();
        ObjectNode event = Events.fresh();
        String incidentId = Events.incidentId(event);
        kafka.send(settings.get("incident.topic"), incidentId, Events.json(event));
        kafka.send(settings.get("template-request.topic"), null,
                "{\"template_id\": \"" + templates.get(1) + "\", \"lookup_id\": \"keys-1\"}");

        String ledger = settings.get("ledger.topic");
        String template = settings.get("template.topic");
        String integration = settings.get("integration.topic");
        // one record of each kind: a war room in the ledger, a template answer, both catalogs
        Awaitility.await().atMost(WAIT).until(() -> topics.records(ledger).size() >= 1
                && topics.records(template).size() >= 1 && topics.records(integration).size() >= 3);

        Set<String> compacted = compacted(kafka.admin(), topicNames);
        assertTrue(compacted.containsAll(List.of(ledger, template, integration)),
                "the ledger, template and catalog topics are compacted: " + compacted);
        for (String topic : compacted) {
            for (ConsumerRecord<byte[], byte[]> r : topics.records(topic)) {
                assertNotNull(r.key(), topic + " record at offset " + r.offset() + " has no key");
                assertTrue(r.key().length > 0, topic + " record at offset " + r.offset() + " has an empty key");
            }
        }
        assertEquals(incidentId, TestKafka.key(topics.records(ledger).get(0)));
        assertEquals(templates.get(1), TestKafka.key(topics.records(template).get(0)));
        Set<String> catalogKeys = topics.records(integration).stream().map(TestKafka::key)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("flashduty:362", "rocketchat:RcIntegration0000", "rocketchat:RcIntegration0001"), catalogKeys);
    }

    static Set<String> compacted(Admin admin, Collection<String> topicNames) throws Exception {
        Set<String> existing = admin.listTopics().names().get();
        List<ConfigResource> resources = topicNames.stream().filter(existing::contains)
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).collect(Collectors.toList());
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
        return configs.entrySet().stream()
                .filter(e -> e.getValue().get("cleanup.policy").value().contains("compact"))
                .map(e -> e.getKey().name()).collect(Collectors.toCollection(TreeSet::new));
    }
}
