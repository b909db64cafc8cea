package com.warroom.routes.flashduty;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class AnswerFieldsTest {

    @Test
    void shortTextStaysAsItIs() {
        assertEquals("[P1] ysy028", AnswerFields.bounded("[P1] ysy028", 512));
        assertEquals("x".repeat(10), AnswerFields.bounded("x".repeat(10), 10));
        assertNull(AnswerFields.bounded(null, 10));
    }

    @Test
    void controlCharactersAreEscaped() {
        assertEquals("a\\r\\nb\\u0000c\\u2028", AnswerFields.bounded("a\r\nb\u0000c\u2028", 128));
    }

    @Test
    void longTextIsClippedWithTheMarker() {
        String clipped = AnswerFields.bounded("y".repeat(2 * 1024 * 1024), 512);
        assertEquals(512, clipped.length());
        assertEquals("y".repeat(512 - AnswerFields.CLIPPED.length()) + AnswerFields.CLIPPED, clipped);
        // escaping may make a text of max characters longer: still at most max
        assertEquals(20, AnswerFields.bounded("\n".repeat(20), 20).length());
        // a surrogate pair is never cut in half
        String pairs = "😀".repeat(300);
        String cut = AnswerFields.bounded(pairs, 128);
        assertEquals(false, Character.isHighSurrogate(cut.charAt(cut.length() - AnswerFields.CLIPPED.length() - 1)));
    }
}
