package com.warroom.routes.budget;

/** The record's deadline came while its Flashduty call waited for the budget: the call is not sent. */
public final class DeadlineExceeded extends Exception {
    public DeadlineExceeded() {
        super("the record's deadline passed while waiting for the rate budget", null, false, false);
    }
}
