package com.warroom.routes.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dead-letter copy always fits the limit it is given, and says when it is not whole. */
class DeadLetterCopyTest {

    private static final Random RANDOM = new Random(12);

    private static DeadLetterPublisher.Source source(int keyBytes, int valueBytes, int headerBytes) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", bytes(headerBytes));
        headers.add("trace", null);
        return new DeadLetterPublisher.Source("incidents", 2, 4711L, 1_700_000_000_000L, bytes(keyBytes), bytes(valueBytes), headers);
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static int size(ProducerRecord<byte[], byte[]> r) {
        return DeadLetterPublisher.size(r.key(), r.value(), r.headers());
    }

    @Test
    void aRecordThatFitsIsCopiedWholeWithItsHeadersFirst() {
        DeadLetterPublisher.Source s = source(10, 50_000, 20);
        ProducerRecord<byte[], byte[]> r = DeadLetterPublisher.copy("dlq", s, "malformed_json", null, 1_048_588);
        assertArrayEquals(s.key(), r.key());
        assertArrayEquals(s.value(), r.value());
        Header[] h = r.headers().toArray();
        assertEquals("trace", h[0].key());
        assertArrayEquals(s.headers().toArray()[0].value(), h[0].value());
        assertNull(h[1].value());
        assertNull(header(r, DeadLetterPublisher.TRUNCATED));
        assertEquals("malformed_json", header(r, DeadLetterPublisher.REASON));
        assertEquals("incidents", header(r, DeadLetterPublisher.SOURCE_TOPIC));
        assertEquals("2", header(r, DeadLetterPublisher.SOURCE_PARTITION));
        assertEquals("4711", header(r, DeadLetterPublisher.SOURCE_OFFSET));
        assertEquals("1700000000000", header(r, DeadLetterPublisher.SOURCE_TIMESTAMP));
        assertEquals("50000", header(r, DeadLetterPublisher.ORIGINAL_SIZE));
        assertNull(r.timestamp(), "stamped when dead-lettered, by the producer; the source's time is in the header");
    }

    @Test
    void aLargerRecordIsTruncatedToExactlyWhatFits() {
        DeadLetterPublisher.Source s = source(10, 4_718_592, 20);
        int limit = 1_048_588;
        ProducerRecord<byte[], byte[]> r = DeadLetterPublisher.copy("dlq", s, "malformed_json", null, limit);
        assertTrue(size(r) <= limit, size(r) + " > " + limit);
        assertTrue(size(r) > limit - 16, "as much of the value as fits: " + size(r));
        assertArrayEquals(Arrays.copyOf(s.value(), r.value().length), r.value(), "a prefix of the original value");
        assertArrayEquals(s.key(), r.key());
        assertEquals("true", header(r, DeadLetterPublisher.TRUNCATED));
        assertEquals("4718592", header(r, DeadLetterPublisher.ORIGINAL_SIZE));
        assertEquals("trace", r.headers().toArray()[0].key(), "the original headers are kept when they fit");
    }

    @Test
    void headersThenTheKeyGoWhenEvenTheyDoNotFit() {
        DeadLetterPublisher.Source bigHeaders = source(10, 100_000, 60_000);
        ProducerRecord<byte[], byte[]> r = DeadLetterPublisher.copy("dlq", bigHeaders, "record_too_large", null, 50_000);
        assertTrue(size(r) <= 50_000);
        assertEquals("2", header(r, DeadLetterPublisher.HEADERS_DROPPED));
        assertNull(r.headers().lastHeader("trace"));
        assertArrayEquals(bigHeaders.key(), r.key());

        DeadLetterPublisher.Source bigKey = source(60_000, 100_000, 10);
        ProducerRecord<byte[], byte[]> k = DeadLetterPublisher.copy("dlq", bigKey, "record_too_large", null, 50_000);
        assertTrue(size(k) <= 50_000);
        assertNull(k.key());
        assertEquals("true", header(k, DeadLetterPublisher.KEY_DROPPED));
        assertEquals("100000", header(k, DeadLetterPublisher.ORIGINAL_SIZE));
    }

    @Test
    void theSmallestCopyKeepsOnlyTheReasonAndTheSource() {
        ProducerRecord<byte[], byte[]> r = DeadLetterPublisher.copy("dlq", source(10, 1_000, 10), "output_rejected",
                "RecordTooLargeException", 0);
        assertNull(r.key());
        assertEquals(0, r.value().length);
        assertEquals("output_rejected", header(r, DeadLetterPublisher.REASON));
        assertEquals("RecordTooLargeException", header(r, DeadLetterPublisher.DETAIL));
        assertEquals("4711", header(r, DeadLetterPublisher.SOURCE_OFFSET));
        assertTrue(size(r) < 1_000);
    }

    @Test
    void aTombstoneStaysATombstone() {
        DeadLetterPublisher.Source s = new DeadLetterPublisher.Source("incidents", 0, 1L, null, null, null, null);
        ProducerRecord<byte[], byte[]> r = DeadLetterPublisher.copy("dlq", s, "empty_value", null, 1_048_588);
        assertNull(r.value());
        assertNull(r.key());
        assertEquals("0", header(r, DeadLetterPublisher.ORIGINAL_SIZE));
    }

    /** Any sizes up to five times the limit: the copy fits, and is whole exactly when the record fits. */
    @Test
    void everyCopyFits() {
        for (int i = 0; i < 300; i++) {
            int limit = 1_000 + RANDOM.nextInt(200_000);
            DeadLetterPublisher.Source s = source(RANDOM.nextInt(limit / 4), RANDOM.nextInt(limit * 5), RANDOM.nextInt(limit / 3));
            ProducerRecord<byte[], byte[]> r = DeadLetterPublisher.copy("dlq", s, "malformed_json", "detail", limit);
            assertTrue(size(r) <= limit, "copy " + size(r) + " > limit " + limit);
            boolean whole = header(r, DeadLetterPublisher.TRUNCATED) == null;
            assertEquals(whole, Arrays.equals(s.value(), r.value()) && Arrays.equals(s.key(), r.key()), "whole iff untouched");
        }
    }
}
