package com.warroom.routes.http;

import java.io.IOException;

/**
 * An HTTP exchange outlasted its total-time deadline (connect, send and every read of the answer
 * together) and was cut there. The text names the setting and the deadline only.
 */
public final class AnswerDeadlinePassed extends IOException {

    private static final long serialVersionUID = 1L;

    public AnswerDeadlinePassed(String setting, long millis) {
        super("no whole answer within " + setting + " (" + millis + " ms)");
    }
}
