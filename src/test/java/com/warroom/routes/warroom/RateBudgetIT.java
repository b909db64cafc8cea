package com.warroom.routes.warroom;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.Records;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TopicCollector;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A burst against short windows that the sandbox enforces exactly (it answers 429 the moment
 * either window would be exceeded): every war room is opened, no call is refused, and the
 * sandbox's own arrival log shows neither window ever exceeded.
 */
class RateBudgetIT {

    static final int PER_SECOND = 5;
    static final long SECOND_WINDOW = 400;
    static final int PER_MINUTE = 20;
    static final long MINUTE_WINDOW = 2000;

    @Test
    void burstStaysInsideBothWindows() throws Exception {
        String brokers = KafkaBroker.shared().bootstrapServers();
        FlashdutySandbox.Config limits = new FlashdutySandbox.Config().perSecond(PER_SECOND).secondWindowMillis(SECOND_WINDOW)
                .perMinute(PER_MINUTE).minuteWindowMillis(MINUTE_WINDOW);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(limits);
             KafkaProducer<byte[], byte[]> producer = Records.producer(brokers)) {
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            RunningApp.budgetOf(limits, settings);
            // three consumer threads on three partitions compete for the one budget
            settings.put("kafka.consumers-count", "3");
            KafkaBroker.shared().createTopic(settings.get("incident.topic"), 3);
            List<ObjectNode> events = new ArrayList<>();
            for (int i = 0; i < 45; i++) {
                ObjectNode e = Events.fresh();
                events.add(e);
                producer.send(new ProducerRecord<>(settings.get("incident.topic"), Events.incidentId(e).getBytes(StandardCharsets.UTF_8),
                        Events.json(e).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            String results = settings.get("result.topic");
            try (TopicCollector topics = new TopicCollector(brokers, List.of(results));
                 RunningApp app = RunningApp.start(settings)) {
                topics.awaitCount(results, r -> true, events.size(), Duration.ofSeconds(60));
                assertEquals(events.size(), topics.json(results, r -> "created".equals(r.path("status").asText())).size());
            }
            assertEquals(0, sandbox.count429(), "no call refused");
            int perSecond = sandbox.maxInAnyWindow(SECOND_WINDOW);
            int perMinute = sandbox.maxInAnyWindow(MINUTE_WINDOW);
            assertTrue(perSecond <= PER_SECOND, "max " + perSecond + " calls in one short window");
            assertTrue(perMinute <= PER_MINUTE, "max " + perMinute + " calls in one long window");
            // the budget was really the bottleneck: the long window filled up completely at least once
            assertEquals(PER_MINUTE, perMinute);
        }
    }
}
