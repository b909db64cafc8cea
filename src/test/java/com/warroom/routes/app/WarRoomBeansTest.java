package com.warroom.routes.app;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.warroom.routes.StartupProblem;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What WarRoomBeans binds, from the settings of the shipped configuration. */
class WarRoomBeansTest {

    /** The shipped config/application.properties, resolved as Camel Main resolves it, with {@code overrides}. */
    static Settings shipped(String... overrides) {
        DefaultCamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation("file:config/application.properties");
        java.util.Properties p = new java.util.Properties();
        for (String kv : overrides) {
            p.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        context.getPropertiesComponent().setOverrideProperties(p);
        return Settings.read(context.getPropertiesComponent()::resolveProperty);
    }

    /** Every answer goes through this mapper: no document past the larger answer cap, nesting, strings and numbers bounded. */
    @Test
    void theSharedMapperReadsWithinTheLargerAnswerCapAndJacksonsLimits() throws Exception {
        ObjectMapper mapper = WarRoomBeans.objectMapper(2000);
        String atCap = "{\"a\":\"" + "x".repeat(2000 - 8) + "\"}";
        assertEquals(2000, atCap.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(1992, mapper.readTree(new ByteArrayInputStream(atCap.getBytes(StandardCharsets.UTF_8))).path("a").asText().length());
        // Jackson checks the length as it loads each input buffer (8 KB): a document well past the cap fails
        String pastCap = "{\"a\":\"" + "x".repeat(64_000) + "\"}";
        assertThrows(StreamConstraintsException.class, () -> mapper.readTree(new ByteArrayInputStream(pastCap.getBytes(StandardCharsets.UTF_8))));

        ObjectMapper shipped = WarRoomBeans.objectMapper(8388608);
        assertEquals(100, shipped.readTree("[".repeat(100) + "]".repeat(100)).isArray() ? 100 : 0, "nesting 100 reads");
        assertThrows(StreamConstraintsException.class, () -> shipped.readTree("[".repeat(101) + "]".repeat(101)));
        assertThrows(StreamConstraintsException.class, () -> shipped.readTree("{\"n\":" + "9".repeat(101) + "}"));
        String name = "{\"chat_name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        assertEquals(2 * 1024 * 1024, shipped.readTree(name).path("chat_name").asText().length(), "a 2 MiB chat_name still reads (then clipped)");
        assertThrows(StreamConstraintsException.class, () -> shipped.readTree("\"" + "x".repeat(4 * 1024 * 1024 + 1) + "\""));
        StartupProblem zero = assertThrows(StartupProblem.class, () -> shipped("flashduty.max-answer-bytes=0"));
        assertEquals("flashduty.max-answer-bytes is not a positive number of bytes: 0", zero.getMessage());
    }

    @Test
    void validateKnowsEveryBeanWarRoomBeansBinds() {
        Map<String, Class<?>> beans = WarRoomBeans.beans(shipped());
        assertEquals(43, beans.size(), beans.keySet().toString());
        assertEquals(com.warroom.routes.ledger.WarRoomLedger.class, beans.get("warRoomLedger"));
        assertTrue(io.micrometer.core.instrument.MeterRegistry.class.isAssignableFrom(beans.get("metricsRegistry")));
        assertEquals(com.warroom.routes.observe.ReadinessCheck.class, beans.get("kafkaAccessHealthCheck"));
        assertEquals(Settings.class, beans.get("settings"));
    }

    @Test
    void aKeyMissingFromTheConfigurationIsOneLine() {
        StartupProblem problem = assertThrows(StartupProblem.class, () -> Settings.read(key -> java.util.Optional.empty()));
        assertTrue(problem.getMessage().matches("configuration key [a-z.-]+ is missing from the properties"), problem.getMessage());
    }

    @Test
    void settingsAreTypedOnce() {
        Settings s = shipped("kafka.retry.initial-backoff=2s", "flashduty.other-max-share=40%", "war-room.member-ids=1, 2",
                "flashduty.budget-group=", "consumer.group=g");
        assertEquals(java.time.Duration.ofSeconds(2), s.kafka().retry().initial());
        assertEquals(40, s.budget().otherMaxShare());
        assertEquals(List.of(1L, 2L), s.warRoom().memberIds());
        assertEquals("g-budget", s.budget().group());
        assertEquals("g-budget-journal", s.budget().journalTopic());
        assertEquals(java.time.Duration.ZERO, s.templateSyncInterval());
        assertEquals("localhost:9092", s.kafka().client().properties().get("bootstrap.servers"));
        assertEquals("flashduty.other-max-share is not a percentage from 1 to 100: 0",
                assertThrows(StartupProblem.class, () -> shipped("flashduty.other-max-share=0")).getMessage());
        assertEquals("war-room.max-event-age is not a duration (e.g. 500ms, 60s, 1h): soon",
                assertThrows(StartupProblem.class, () -> shipped("war-room.max-event-age=soon")).getMessage());
        assertEquals("flashduty.retry.max-attempts is not a positive number: 0",
                assertThrows(StartupProblem.class, () -> shipped("flashduty.retry.max-attempts=0")).getMessage());
        assertEquals("template.sync-interval is not a positive duration (empty: off): 0s",
                assertThrows(StartupProblem.class, () -> shipped("template.sync-interval=0s")).getMessage());
        assertEquals(java.time.Duration.ofHours(1), shipped("template.sync-interval=1h").templateSyncInterval());
    }
}
