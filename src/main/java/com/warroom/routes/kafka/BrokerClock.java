package com.warroom.routes.kafka;

import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * The Kafka broker's clock, as last seen in a timestamp the broker itself stamped (an acknowledged
 * write to a {@code LogAppendTime} topic), carried forward on the monotonic clock so a jump of this
 * host's wall clock after the sample does not move it. Event ages are judged against it when this
 * host's clock is found far from it: one wrong host clock must not make every event look stale.
 */
public final class BrokerClock {

    private record Sample(long brokerMillis, long atNanos) {
    }

    private final LongSupplier nanoClock;
    private volatile Sample sample;

    public BrokerClock(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** A time the broker stamped just now (a LogAppendTime acknowledgement); nonsense (≤ 0) is ignored. */
    public void observe(long brokerMillis) {
        observe(brokerMillis, nanoClock.getAsLong());
    }

    /** The broker stamped {@code brokerMillis} at {@code atNanos} on the monotonic clock. */
    public void observe(long brokerMillis, long atNanos) {
        if (brokerMillis > 0) {
            sample = new Sample(brokerMillis, atNanos);
        }
    }

    /** The broker's time now, if it was ever seen. */
    public OptionalLong now() {
        Sample s = sample;
        if (s == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(s.brokerMillis + (nanoClock.getAsLong() - s.atNanos) / 1_000_000L);
    }
}
