package com.warroom.routes.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Incident events for tests, built from the documented example (src/test/resources/example-incident-event.json). */
public final class Events {

    private static final String EXAMPLE = load();

    private Events() {
    }

    /** The documented example, byte for byte as Flashduty publishes it. */
    public static String exampleJson() {
        return EXAMPLE;
    }

    /** The documented example as a mutable tree. */
    public static ObjectNode example() {
        try {
            return (ObjectNode) TestKafka.MAPPER.readTree(EXAMPLE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh, current Critical i_new event for a new random incident (passes every default filter). */
    public static ObjectNode fresh() {
        return fresh(randomObjectId());
    }

    public static ObjectNode fresh(String incidentId) {
        ObjectNode e = example();
        e.put("event_id", randomHex(32));
        e.put("event_time", System.currentTimeMillis());
        ObjectNode incident = (ObjectNode) e.get("incident");
        started(e, System.currentTimeMillis());
        incident.put("incident_id", incidentId);
        incident.put("num", incidentId.substring(18).toUpperCase(Locale.ROOT));
        return e;
    }

    /** Sets the incident's start ({@code start_time} and {@code created_at}, epoch seconds) to this instant. */
    public static ObjectNode started(ObjectNode event, long epochMillis) {
        incident(event).put("start_time", epochMillis / 1000);
        incident(event).put("created_at", epochMillis / 1000);
        return event;
    }

    public static ObjectNode incident(ObjectNode event) {
        return (ObjectNode) event.get("incident");
    }

    public static String json(ObjectNode node) {
        try {
            return TestKafka.MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String incidentId(ObjectNode event) {
        return event.path("incident").path("incident_id").asText();
    }

    public static String randomObjectId() {
        return randomHex(24);
    }

    public static String randomHex(int length) {
        StringBuilder sb = new StringBuilder(length);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < length; i++) {
            sb.append(Character.forDigit(r.nextInt(16), 16));
        }
        return sb.toString();
    }

    private static String load() {
        try (InputStream in = Events.class.getResourceAsStream("/example-incident-event.json")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
