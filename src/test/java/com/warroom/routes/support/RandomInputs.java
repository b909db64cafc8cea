package com.warroom.routes.support;

import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Random records for the generative tests: incident events and template requests of every shape,
 * valid ones, valid ones with one field mutated (removed, retyped, lengthened past the bounds of what
 * the outputs copy), random JSON values, random bytes, truncated JSON, and now and then one close to
 * the topic's limit. Every JSON object that carries a textual {@code event_id} or {@code lookup_id}
 * carries a unique one (it starts with the input's index), so a test can tell which output came from
 * which input.
 */
public final class RandomInputs {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] INCIDENT_FIELDS = {"event_id", "event_type", "event_time", "incident", "person",
            "incident.incident_id", "incident.incident_severity", "incident.progress", "incident.responders",
            "incident.responder_ids", "incident.title", "incident.labels"};

    private RandomInputs() {
    }

    /** The i-th random incident record; {@code maxBytes} bounds the rare large ones. */
    public static byte[] incident(Random r, int i, int maxBytes) {
        int kind = r.nextInt(100);
        if (kind < 30) {
            return TestKafka.utf8(Events.json(event(r, i)));
        }
        if (kind < 65) {
            ObjectNode e = event(r, i);
            mutate(r, e, INCIDENT_FIELDS[r.nextInt(INCIDENT_FIELDS.length)], i);
            return TestKafka.utf8(Events.json(e));
        }
        if (kind < 75) {
            return TestKafka.utf8(randomValue(r, 0, i).toString());
        }
        if (kind < 83) {
            return bytes(r, r.nextInt(2_000));
        }
        if (kind < 93) {
            String json = Events.json(event(r, i));
            return TestKafka.utf8(json.substring(0, r.nextInt(json.length())));
        }
        if (kind < 97) {
            ObjectNode e = event(r, i);
            // up to the topic's limit: a valid event, or the same cut short
            Events.incident(e).put("description", "d".repeat(Math.max(0, r.nextInt(maxBytes) - 4_096)));
            String json = Events.json(e);
            return TestKafka.utf8(r.nextBoolean() ? json : json.substring(0, json.length() - 1));
        }
        return bytes(r, r.nextInt(maxBytes));
    }

    /** The i-th random template request (never a list: each of these has at most one answer). */
    public static byte[] templateRequest(Random r, int i, String presetTemplate) {
        ObjectNode q = NODES.objectNode();
        int kind = r.nextInt(100);
        String lookup = "L" + i;
        if (kind < 40) {
            q.put("template_id", r.nextInt(3) == 0 ? Events.randomObjectId() : presetTemplate);
            q.put("lookup_id", lookup);
        } else if (kind < 55) {
            q.put("template_id", "not-hex-" + i);
            q.put("lookup_id", lookup);
        } else if (kind < 70) {
            q.put("template_id", presetTemplate);
            q.put("lookup_id", lookup + "-" + "l".repeat(200 + r.nextInt(120)));
        } else if (kind < 80) {
            q.put("template_id", "t" + "0".repeat(200 + r.nextInt(120)));
            q.put("lookup_id", lookup);
        } else if (kind < 85) {
            q.put("template_id", presetTemplate);
            q.put("lookup_id", 1_000_000 + i);
        } else if (kind < 90) {
            q.set("template_id", randomValue(r, 2, i));
            q.put("lookup_id", lookup);
        } else if (kind < 95) {
            return TestKafka.utf8(randomValue(r, 0, i).toString());
        } else {
            return bytes(r, r.nextInt(500));
        }
        return TestKafka.utf8(q.toString());
    }

    /** The unique id an input carries, as an output would echo it; null when it carries none that is text. */
    public static String idOf(byte[] value, String field) {
        try {
            JsonNode n = TestKafka.MAPPER.readTree(value);
            JsonNode id = n == null ? null : n.get(field);
            return id != null && (id.isTextual() || id.isIntegralNumber()) ? id.asText() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static ObjectNode event(Random r, int i) {
        ObjectNode e = Events.fresh();
        e.put("event_id", "gen-" + i + "-" + Events.randomHex(8 + r.nextInt(24)));
        if (r.nextInt(4) == 0) {
            e.put("event_type", List.of("i_new", "i_assign", "i_ack", "i_rslv", "i_snooze").get(r.nextInt(5)));
        }
        if (r.nextInt(4) == 0) {
            Events.incident(e).put("incident_severity", List.of("Critical", "Warning", "Info").get(r.nextInt(3)));
        }
        return e;
    }

    /** Replaces the field at {@code path} (dots into objects) by a random value, or removes it. */
    private static void mutate(Random r, ObjectNode event, String path, int i) {
        ObjectNode parent = event;
        String[] parts = path.split("\\.");
        for (int p = 0; p < parts.length - 1; p++) {
            JsonNode next = parent.get(parts[p]);
            if (!(next instanceof ObjectNode o)) {
                return;
            }
            parent = o;
        }
        String field = parts[parts.length - 1];
        switch (r.nextInt(4)) {
            case 0 -> parent.remove(field);
            case 1 -> parent.put(field, "gen-" + i + "-" + "x".repeat(200 + r.nextInt(120))); // either side of the bound
            default -> parent.set(field, field.equals("event_id") ? idOrValue(r, i) : randomValue(r, 1, i));
        }
    }

    private static JsonNode idOrValue(Random r, int i) {
        JsonNode v = randomValue(r, 1, i);
        return v.isTextual() ? NODES.textNode("gen-" + i + "-" + v.asText()) : v;
    }

    private static JsonNode randomValue(Random r, int depth, int i) {
        int kind = r.nextInt(depth > 5 ? 5 : 8);
        return switch (kind) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(r.nextBoolean());
            case 2 -> NODES.numberNode(r.nextLong());
            case 3 -> NODES.numberNode(r.nextDouble() * 1e6);
            case 4 -> NODES.textNode(text(r, r.nextInt(r.nextInt(8) == 0 ? 400 : 40)));
            case 5, 6 -> {
                ArrayNode a = NODES.arrayNode();
                for (int n = r.nextInt(5); n > 0; n--) {
                    a.add(randomValue(r, depth + 1, i));
                }
                yield a;
            }
            default -> {
                ObjectNode o = NODES.objectNode();
                for (int n = r.nextInt(5); n > 0; n--) {
                    o.set(text(r, 1 + r.nextInt(10)), randomValue(r, depth + 1, i));
                }
                yield o;
            }
        };
    }

    /** Text of any code points: ASCII, controls, quotes, accents, CJK, emoji (surrogate pairs). */
    private static String text(Random r, int length) {
        StringBuilder sb = new StringBuilder(length);
        while (sb.length() < length) {
            int kind = r.nextInt(10);
            int cp = kind < 6 ? 0x20 + r.nextInt(0x5F) : kind < 7 ? r.nextInt(0x20) : kind < 8 ? 0xC0 + r.nextInt(0x100)
                    : kind < 9 ? 0x4E00 + r.nextInt(0x5000) : 0x1F600 + r.nextInt(0x50);
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
