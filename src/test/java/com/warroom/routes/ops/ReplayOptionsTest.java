package com.warroom.routes.ops;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The replay's options that are gone or misplaced: refused before anything connects, with what to do instead. */
class ReplayOptionsTest {

    @Test
    void maxAgeIsRefusedWithTheServiceSettingToRaise() {
        assertEquals("war-room-routes: --max-age is gone: the live service judges every replayed event by its own limit, which no record"
                + " can widen; raise WAR_ROOM_MAX_EVENT_AGE on the service for the time of the replay",
                refused("--from", "2026-11-23T08:00:00Z", "--max-age", "3h"));
    }

    @Test
    void groupIsRefused() {
        assertEquals("war-room-routes: --group is gone: a replay re-publishes the records to the incident topic for the live service and"
                + " reads them under no consumer group", refused("--from", "2026-11-23T08:00:00Z", "--group", "mine"));
    }

    @Test
    void outOnlyWithADryRun() {
        assertEquals("war-room-routes: --out writes the dry run's decisions: use it with --dry-run",
                refused("--from", "2026-11-23T08:00:00Z", "--out", "x.jsonl"));
    }

    private static String refused(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // an unreachable broker: a refusal must come before any connection
        int code = ReplayCommand.run(args, Map.of("kafka.brokers", "127.0.0.1:9"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        return err.toString(StandardCharsets.UTF_8).trim();
    }
}
