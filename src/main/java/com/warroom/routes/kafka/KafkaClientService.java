package com.warroom.routes.kafka;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.function.ThrowingRunnable;

/**
 * One long-lived Kafka client of ours as a Camel service: the CamelContext starts it (topics checked,
 * a producer opened, a topic read back, a group joined) before any route, in the order the services
 * were added, and closes it after the routes when it stops. A start that fails closes the client and
 * stops the start, with its own exception.
 */
public final class KafkaClientService extends ServiceSupport {

    private final String name;
    private final ThrowingRunnable<Exception> start;
    private final AutoCloseable client;

    /** {@code start}: what starting the client means (may throw); {@code client}: closed when the service stops (null: nothing to close). */
    public KafkaClientService(String name, ThrowingRunnable<Exception> start, AutoCloseable client) {
        this.name = name;
        this.start = start;
        this.client = client;
    }

    @Override
    protected void doStart() throws Exception {
        try {
            start.run();
        } catch (Exception | Error e) {
            doStop();
            throw e;
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (client != null) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "kafka-client:" + name;
    }
}
