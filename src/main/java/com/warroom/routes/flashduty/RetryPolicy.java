package com.warroom.routes.flashduty;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.warroom.routes.Backoff;

import static com.warroom.routes.flashduty.FlashdutyResponses.*;

/**
 * Which outcomes are tried again, after how long and how often (flashduty.retry.* in
 * config/application.properties), on Flashduty's {@code error.code}, never the HTTP status:
 * <ul>
 * <li>{@code RequestTooFrequently}: after {@code Retry-After} (else the backoff), at most
 * {@code rateLimitedAttempts} times;</li>
 * <li>{@code InternalError}, {@code ServiceUnavailable}, {@code UndonedOrderExist}, {@code RequestLocked}
 * (4x the backoff), time-outs and connection errors: exponential backoff with ±20% jitter, at most
 * {@code maxAttempts} attempts;</li>
 * <li>a war-room create whose outcome is unknown (sent but never answered, unless
 * {@code retryCreateAfterTimeout}; answered without Flashduty's envelope or past the byte cap) is
 * never sent again: a second create could open a second room;</li>
 * <li>everything else is final. No wait runs past the record's deadline.</li>
 * </ul>
 */
public record RetryPolicy(int maxAttempts, int rateLimitedAttempts, Backoff backoff, boolean retryCreateAfterTimeout) {

    static final Set<String> RETRYABLE = Set.of("InternalError", "ServiceUnavailable", "UndonedOrderExist", "RequestLocked",
            CONNECTION_ERROR, TIMEOUT, NO_RESPONSE);

    /** A create that may have opened the room: never repeated. */
    boolean outcomeUnknown(String code, boolean create) {
        return OUTCOME_UNKNOWN.equals(code) || create && !retryCreateAfterTimeout && (TIMEOUT.equals(code) || NO_RESPONSE.equals(code));
    }

    /** Worth another attempt after a backoff (an answer without an envelope but a 5xx too). */
    static boolean isTransient(String code, int status) {
        return RETRYABLE.contains(code) || INVALID_RESPONSE.equals(code) && status >= 500;
    }

    /** Attempts a call may make on transient errors; one while Flashduty is taken as down. */
    int attempts(boolean flashdutyDown) {
        return flashdutyDown ? 1 : maxAttempts;
    }

    /** Rate-limited attempts a call may make; one during a run of them. */
    int rateLimitedAttempts(boolean inRun) {
        return inRun ? 1 : rateLimitedAttempts;
    }

    /** The wait before the next attempt after this many transient failures in a row. */
    long backoffMillis(int failures, String code) {
        long base = backoff.jitteredMillis(failures);
        return "RequestLocked".equals(code) ? Math.min(backoff.max().toMillis(), base * 4) : base;
    }

    /** How long every call pauses after the {@code limited}-th RequestTooFrequently in a row: Retry-After, else the backoff. */
    long rateLimitedPauseMillis(String retryAfter, int limited) {
        long wait = retryAfterMillis(retryAfter);
        return wait >= 0 ? wait : backoff.jitteredMillis(limited);
    }

    /** Whether a wait of this long still ends before the record's deadline ({@link System#nanoTime()}; null: none). */
    static boolean beforeDeadline(Long recordDeadline, long waitMillis) {
        return recordDeadline == null || recordDeadline - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(waitMillis);
    }

    /** Retry-After as delta-seconds or an HTTP date; -1 when absent or unreadable. Capped at 5 minutes. */
    static long retryAfterMillis(String retryAfter) {
        if (retryAfter == null || retryAfter.isBlank()) {
            return -1;
        }
        long millis;
        try {
            millis = Math.round(Double.parseDouble(retryAfter.trim()) * 1000);
        } catch (NumberFormatException e) {
            try {
                millis = ZonedDateTime.parse(retryAfter.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
                        - System.currentTimeMillis();
            } catch (RuntimeException e2) {
                return -1;
            }
        }
        return Math.max(0, Math.min(millis, 300_000));
    }
}
