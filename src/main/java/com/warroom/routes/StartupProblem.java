package com.warroom.routes;

/** A start-up problem an operator fixes in the configuration: reported as one line, without a stack trace. */
public final class StartupProblem extends RuntimeException {
    public StartupProblem(String message) {
        super(message, null, false, false);
    }
}
