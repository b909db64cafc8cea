package com.warroom.routes.observe;

import java.util.List;

import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What /observe/health shows at each configured exposure level: never a stack trace, never a check's data. */
class HealthPageTest {

    static final HealthCheck.Result UP = HealthCheckResultBuilder.on(new ReadinessCheck("im-catalog", () -> true, () -> "never", () -> null))
            .detail("topic", "im-integrations").up().build();
    static final HealthCheck.Result DOWN = HealthCheckResultBuilder.on(new ReadinessCheck("consumer:incidents", () -> false, () -> "never", () -> null))
            .message("KafkaConsumer is not ready").error(new IllegalStateException("no broker", new RuntimeException("at localhost:9092")))
            .detail("bootstrap.servers", "localhost:9092").detail("group.id", "war-room-routes").down().build();

    @Test
    void onelineIsTheStatusAlone() {
        assertEquals("{\"status\":\"DOWN\"}", HealthPage.body(List.of(DOWN), false, "oneline").toString());
        assertEquals("{\"status\":\"UP\"}", HealthPage.body(List.of(UP), true, "oneline").toString());
    }

    @Test
    void defaultIsTheStatusAndTheChecksThatAreDownWithTheirMessage() {
        assertEquals("{\"status\":\"UP\"}", HealthPage.body(List.of(UP), true, "default").toString());
        assertEquals("{\"status\":\"DOWN\",\"checks\":[{\"name\":\"consumer:incidents\",\"status\":\"DOWN\","
                + "\"message\":\"KafkaConsumer is not ready\"}]}", HealthPage.body(List.of(UP, DOWN), false, "default").toString());
    }

    @Test
    void fullIsEveryCheckAndTheErrorMessageButNoStackTraceOrData() {
        assertEquals("{\"status\":\"DOWN\",\"checks\":[{\"name\":\"im-catalog\",\"status\":\"UP\"},"
                + "{\"name\":\"consumer:incidents\",\"status\":\"DOWN\",\"error-message\":\"no broker; Caused by: "
                + "java.lang.RuntimeException: at localhost:9092\",\"message\":\"KafkaConsumer is not ready\"}]}",
                HealthPage.body(List.of(UP, DOWN), false, "full").toString());
    }
}
