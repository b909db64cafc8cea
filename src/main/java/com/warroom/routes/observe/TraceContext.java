package com.warroom.routes.observe;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.warroom.routes.kafka.IncomingRecord;
import org.apache.camel.ExchangeProperty;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * W3C trace context ({@code TRACING=true}): the {@code traceparent} that an incident's Flashduty
 * call and its result record carry. It continues the record's own {@code traceparent} header (the one
 * header of a record ever read, and only when it is exactly one valid version-00 value: anything else
 * starts a new trace), with a span id of this module's. Camel's OpenTelemetry components are not served
 * by this machine's registry, so no span is recorded or exported: only the ids travel, which is enough
 * to find an incident's call and result from the trace of whatever produced the event.
 */
public final class TraceContext {

    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);
    private static final HexFormat HEX = HexFormat.of();

    private final boolean enabled;

    public TraceContext(boolean enabled) {
        this.enabled = enabled;
    }

    /** Route step {@code continue-trace}: this module's traceparent for the record, or null when tracing is off. */
    public String child(@ExchangeProperty(IncomingRecord.HEADERS) Headers headers) {
        if (!enabled) {
            return null;
        }
        String span = id();
        Matcher parent = parent(headers);
        if (parent != null && !ZERO_TRACE.equals(parent.group(1)) && !ZERO_SPAN.equals(parent.group(2))) {
            return "00-" + parent.group(1) + "-" + span + "-" + parent.group(3);
        }
        return "00-" + id() + id() + "-" + span + "-01";
    }

    /** The record's one traceparent header when it has the version-00 form (55 characters), else null. */
    private static Matcher parent(Headers headers) {
        Iterator<Header> all = headers == null ? null : headers.headers("traceparent").iterator();
        Header h = all != null && all.hasNext() ? all.next() : null;
        if (h == null || all.hasNext() || h.value() == null || h.value().length != 55) {
            return null;
        }
        Matcher m = TRACEPARENT.matcher(new String(h.value(), StandardCharsets.US_ASCII));
        return m.matches() ? m : null;
    }

    /** 16 random hex digits, never all zeros (W3C: an invalid id). */
    private static String id() {
        long id = 0;
        while (id == 0) {
            id = ThreadLocalRandom.current().nextLong();
        }
        return HEX.toHexDigits(id);
    }
}
