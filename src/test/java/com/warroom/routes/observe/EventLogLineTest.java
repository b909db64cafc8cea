package com.warroom.routes.observe;

import java.nio.charset.StandardCharsets;

import com.warroom.routes.support.LogCapture;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The per-event line (logger war-room) is written with the shipped "events" pattern: values that
 * come from the event or from Flashduty cannot break it into two lines or forge a second one, and
 * the secret masking of the main pattern applies too.
 */
class EventLogLineTest {

    static String format(String message) {
        return format("events", message);
    }

    static String format(String appender, String message) {
        PatternLayout layout = PatternLayout.newBuilder().withConfiguration(new DefaultConfiguration())
                .withPattern(LogCapture.shippedPattern(appender)).build();
        LogEvent event = Log4jLogEvent.newBuilder().setLoggerName("war-room").setLevel(Level.INFO)
                .setMessage(new SimpleMessage(message)).build();
        return new String(layout.toByteArray(event), StandardCharsets.UTF_8);
    }

    @Test
    void lineBreaksInValuesAreEscapedSoOneEventIsOneLine() {
        String line = format("incident_id=64b1352e376e32c85c56e25b event_id=x\r\n2026-01-01 INFO war-room - status=created"
                + " reason=null request_id=r1");
        assertEquals(1, line.split("\n", -1).length - 1, line);
        assertTrue(line.endsWith("\n"));
        assertTrue(line.contains("event_id=x\\r\\n2026-01-01"), line);
    }

    /** Every other line too: a value in any message, or in an exception's message, cannot forge a line. */
    @Test
    void theMainPatternEscapesLineBreaksInMessagesAndStackTraces() {
        String forged = "template request field x\r\n2026-12-02 INFO  [main] c.w.r.Fake - all good";
        String line = format("console", "unknown field " + forged);
        assertEquals(1, line.split("\n", -1).length - 1, line);
        assertTrue(line.contains("x\\r\\n2026-12-02"), line);

        PatternLayout layout = PatternLayout.newBuilder().withConfiguration(new DefaultConfiguration())
                .withPattern(LogCapture.shippedPattern("console")).build();
        LogEvent event = Log4jLogEvent.newBuilder().setLoggerName("x").setLevel(Level.ERROR)
                .setMessage(new SimpleMessage("failed")).setThrown(new IllegalStateException("code\nFORGED LINE")).build();
        String withTrace = new String(layout.toByteArray(event), StandardCharsets.UTF_8);
        assertEquals(1, withTrace.split("\n", -1).length - 1, "one event, one line, stack trace included: " + withTrace);
        assertTrue(withTrace.contains("IllegalStateException: code\\nFORGED LINE"), withTrace);
        assertTrue(withTrace.contains("EventLogLineTest"), "the stack trace is still there: " + withTrace);
    }

    @Test
    void secretsAreMaskedLikeEverywhereElse() {
        String line = format("request_id=r1 https://api.flashcat.cloud/x?app_key=s3cr3t-value");
        assertFalse(line.contains("s3cr3t-value"), line);
        assertTrue(line.contains("app_key=******"), line);
    }

    /** Every form the mask knows, in any letter case, in both shipped patterns. */
    @Test
    void everyMaskedFormInBothPatterns() {
        String[] forms = {"?app_key=", "?APP_KEY=", "X-Auth-Token: ", "x-auth-token:", "X-User-Id: ", "X-USER-ID:",
            "\"integration_key\": \"", "Integration_Key=", "\"token\":\"", "\"script\": \"", "\"scriptCompiled\":\""};
        for (String appender : new String[] {"console", "events"}) {
            for (String form : forms) {
                String line = format(appender, "request " + form + "s3cr3t-value&next=1");
                assertFalse(line.contains("s3cr3t-value"), appender + ": " + line);
                assertTrue(line.contains("******"), appender + ": " + line);
            }
            String plain = format(appender, "incident_id=64b1352e376e32c85c56e25b status=created reason= request_id=r1");
            assertTrue(plain.contains("request_id=r1") && !plain.contains("******"), appender + ": " + plain);
        }
    }

    /** A quoted value (a Rocket.Chat script in the HTTP client's wire log) is masked up to its closing quote, spaces and escapes included. */
    @Test
    void quotedValuesAreMaskedWhole() {
        for (String appender : new String[] {"console", "events"}) {
            String line = format(appender, "http-outgoing-1 << \"{\"_id\":\"Rc1\",\"token\":\"tok s3cr3t\",\"script\":\"const k = 's3cr3t \\\"q\\\" s3cr3t';\","
                    + "\"scriptCompiled\":\"var k = 's3cr3t';\",\"integration_key\":\"ik s3cr3t\",\"enabled\":true}\"");
            assertFalse(line.contains("s3cr3t"), appender + ": " + line);
            assertTrue(line.contains("\"_id\":\"Rc1\"") && line.contains("\"enabled\":true"), appender + ": " + line);
        }
    }
}
