package com.warroom.routes.incident;

import java.time.Clock;
import java.time.Duration;

import org.apache.camel.Exchange;

/**
 * Whether an event is too old to open a war room for, judged by its {@code event_time}, so a new
 * consumer group reading from the earliest offset or an old backlog never opens war rooms for
 * long-gone incidents. The limit can be widened per exchange (replay {@code --max-age}).
 */
public final class EventAge {

    public static final String MAX_AGE_OVERRIDE = "maxEventAgeMillis";

    private final Duration maxAge;
    private final Clock clock;

    public EventAge(Duration maxAge, Clock clock) {
        this.maxAge = maxAge;
        this.clock = clock;
    }

    public boolean isStale(Exchange exchange) {
        Long eventTime = exchange.getProperty(IncidentEventParser.EVENT_TIME, Long.class);
        Long override = exchange.getProperty(MAX_AGE_OVERRIDE, Long.class);
        long limit = override != null ? override : maxAge.toMillis();
        return eventTime == null || clock.millis() - eventTime > limit;
    }

    public Duration maxAge() {
        return maxAge;
    }
}
