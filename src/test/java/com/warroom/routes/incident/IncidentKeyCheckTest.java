package com.warroom.routes.incident;

import java.nio.charset.StandardCharsets;

import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.support.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IncidentKeyCheckTest {

    private final DefaultCamelContext context = new DefaultCamelContext();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final IncidentKeyCheck check = new IncidentKeyCheck(registry);

    private Exchange record(int partition, String key, String incidentId) {
        Exchange e = new DefaultExchange(context);
        e.setProperty(IncomingRecord.TOPIC, "incidents");
        e.setProperty(IncomingRecord.PARTITION, partition);
        e.setProperty(IncomingRecord.OFFSET, 7L);
        e.setProperty(IncomingRecord.KEY, key == null ? null : key.getBytes(StandardCharsets.UTF_8));
        e.setProperty(IncidentEventParser.INCIDENT_ID, incidentId);
        return e;
    }

    private double counted() {
        return registry.counter("war.room.incident.records.not.keyed.by.incident").count();
    }

    @Test
    void recordsNotKeyedByTheirIncidentAreCountedAndSaidOncePerPartition() {
        try (LogCapture logs = LogCapture.capture()) {
            check.check(record(0, "64b1352e376e32c85c56e25b", "64b1352e376e32c85c56e25b"));
            check.check(record(0, "64B1352E376E32C85C56E25B", "64b1352e376e32c85c56e25b"));
            assertEquals(0, counted(), "keyed by the incident (any letter case): fine");
            check.check(record(0, "some-other-key", "64b1352e376e32c85c56e25b"));
            check.check(record(0, null, "64b1352e376e32c85c56e25b"));
            check.check(record(1, "x", "64b1352e376e32c85c56e25b"));
            check.check(record(0, "64b1352e376e32c85c56e25c", "64b1352e376e32c85c56e25b"));
            check.check(record(0, "64b1352e376e32c85c56e25", "64b1352e376e32c85c56e25b"));
            check.check(record(0, "64b1352e376e32c85c56e25bb", "64b1352e376e32c85c56e25b"));
            assertEquals(6, counted(), "another incident's id, a prefix, a longer key: all not keyed by this incident");
            assertEquals(2, logs.lines().stream().filter(l -> l.contains("instead of by its incident_id")).count(),
                    "one warning for partition 0, one for partition 1");
            assertEquals(0, logs.lines().stream().filter(l -> l.contains("some-other-key")).count(), "the key itself is not logged");
        }
    }
}
