package com.warroom.routes.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A view with a retention holds a key only while its latest record is younger than that: at read-back, and pruned later. */
class CompactedTopicViewRetentionTest {

    static final long DAY = Duration.ofDays(1).toMillis();
    static final long KEEP = 31 * DAY;
    final AtomicLong now = new AtomicLong(Instant.parse("2026-12-02T12:00:00Z").toEpochMilli());
    final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };
    final CompactedTopicView view = new CompactedTopicView(new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1")),
            "ledger", CompactedTopicView.Restart.logOnly(), KEEP, clock, java.util.function.UnaryOperator.identity());

    static ConsumerRecord<String, byte[]> record(String key, String value, long timestamp) {
        return new ConsumerRecord<>("ledger", 0, 0, timestamp, TimestampType.CREATE_TIME, -1, -1, key,
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), new RecordHeaders(), Optional.empty());
    }

    @Test
    void recordsOlderThanTheRetentionAreNotKeptAFreshOneIs() {
        view.apply(record("old", "{\"chat_id\":\"a\"}", now.get() - KEEP - 1));
        view.apply(record("years-old", "{\"chat_id\":\"b\"}", now.get() - 3 * 365 * DAY));
        view.apply(record("fresh", "{\"chat_id\":\"c\"}", now.get() - 3_600_000));
        view.apply(record("at-the-limit", "{\"chat_id\":\"d\"}", now.get() - KEEP));
        view.apply(record("no-timestamp", "{\"chat_id\":\"e\"}", -1));

        assertNull(view.get("old"));
        assertNull(view.get("years-old"));
        assertArrayEquals("{\"chat_id\":\"c\"}".getBytes(StandardCharsets.UTF_8), view.get("fresh"), "the value as written");
        assertEquals("{\"chat_id\":\"d\"}", new String(view.get("at-the-limit"), StandardCharsets.UTF_8));
        assertEquals("{\"chat_id\":\"e\"}", new String(view.get("no-timestamp"), StandardCharsets.UTF_8), "judged from when it was read");
        assertEquals(3, view.size());
    }

    @Test
    void aKeyWhoseLatestRecordIsTooOldIsDropped() {
        view.put("k", "{\"v\":1}".getBytes(StandardCharsets.UTF_8));
        view.apply(record("k", "{\"v\":2}", now.get() - KEEP - DAY));
        assertNull(view.get("k"));
    }

    @Test
    void entriesThatAgePastTheRetentionArePrunedAndYoungerOnesStay() {
        view.apply(record("ten-days", "{}", now.get() - 10 * DAY));
        view.apply(record("future", "{}", now.get() + 365 * DAY)); // a clock ahead: counted from now
        view.put("written-here", "{}".getBytes(StandardCharsets.UTF_8));
        now.addAndGet(25 * DAY);
        view.apply(record("recent", "{}", now.get() - DAY));

        assertEquals(1, view.prune(), "ten-days is now 35 days old");
        assertNull(view.get("ten-days"));
        assertEquals(3, view.size());

        now.addAndGet(7 * DAY); // 32 days after the first three were read
        assertEquals(2, view.prune());
        assertNull(view.get("future"));
        assertNull(view.get("written-here"));
        assertEquals("{}", new String(view.get("recent"), StandardCharsets.UTF_8));
    }

    @Test
    void withoutARetentionEverythingIsKept() {
        CompactedTopicView forever = new CompactedTopicView(new KafkaClientSettings(Map.of("bootstrap.servers", "localhost:1")), "catalog",
                CompactedTopicView.Restart.logOnly());
        forever.apply(record("ancient", "{}", 1));
        assertEquals(0, forever.prune());
        assertEquals("{}", new String(forever.get("ancient"), StandardCharsets.UTF_8));
    }

    @Test
    void hexKeysAreHeldCompactlyAndReadBackAsTheyCame() {
        assertEquals(new CompactedTopicView.HexKey(0x64b1352e376e32c8L, 0x5c56e25b), CompactedTopicView.heldKey("64b1352e376e32c85c56e25b"));
        assertEquals(new CompactedTopicView.HexKey(-1L, -1), CompactedTopicView.heldKey("ffffffffffffffffffffffff"));
        for (String other : new String[] {"64B1352E376E32C85C56E25B", "64b1352e376e32c85c56e25", "64b1352e376e32c85c56e25bb",
                "+4b1352e376e32c85c56e25b", "64b1352e376e32c85c56e2 b", "catalog-key"}) {
            assertEquals(other, CompactedTopicView.heldKey(other), "kept as a String: " + other);
        }
        String[] keys = {"000000000000000000000000", "64b1352e376e32c85c56e25b", "ffffffffffffffffffffffff", "64B1352E376E32C85C56E25B",
                "feishu:362"};
        for (String k : keys) {
            view.apply(record(k, "{\"k\":\"" + k + "\"}", now.get()));
        }
        assertEquals(java.util.Set.of(keys), view.keys());
        for (String k : keys) {
            assertEquals("{\"k\":\"" + k + "\"}", new String(view.get(k), StandardCharsets.UTF_8));
        }
        view.apply(record("64b1352e376e32c85c56e25b", null, now.get()));
        assertNull(view.get("64b1352e376e32c85c56e25b"), "a tombstone removes the held key");
        assertEquals("{\"k\":\"64B1352E376E32C85C56E25B\"}", new String(view.get("64B1352E376E32C85C56E25B"), StandardCharsets.UTF_8));
    }
}
