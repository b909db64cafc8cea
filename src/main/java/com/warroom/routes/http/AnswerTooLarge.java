package com.warroom.routes.http;

import java.io.IOException;

/**
 * An HTTP answer passed its byte cap (after any inflation): the read stopped there and the connection
 * was dropped. An {@link IOException}, so camel-http fails the exchange with it and the route's
 * {@code doCatch} classifies it. The text names the setting and the cap only, never a URI or a value
 * from the answer.
 */
public final class AnswerTooLarge extends IOException {

    private static final long serialVersionUID = 1L;

    public AnswerTooLarge(String setting, long maxBytes) {
        super("the answer is larger than " + setting + " (" + maxBytes + " bytes)");
    }
}
