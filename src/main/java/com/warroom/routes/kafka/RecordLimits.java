package com.warroom.routes.kafka;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The largest record each topic the module reads or dead-letters to accepts, as the cluster says
 * (its {@code max.message.bytes}, read once at start with the Admin client's {@code describeConfigs}),
 * so the validation of the records coming in and the dead-letter producer are sized from what the
 * topics really accept instead of from Kafka's 1 MiB default. A topic that does not exist yet gets
 * the broker's {@code message.max.bytes} (what it will get when created). {@code KAFKA_MAX_RECORD_BYTES}
 * overrides the two input limits, for a principal that may not describe configs or to dead-letter
 * records smaller than what the topics accept.
 * <p>
 * Written here because neither Camel nor the Kafka clients size anything from a topic's settings.
 * The values are set before any route starts (by the topic-setup service the CamelContext starts before the routes, {@code app.KafkaServices}) and only
 * read afterwards.
 */
public final class RecordLimits {

    private static final Logger LOG = LoggerFactory.getLogger(RecordLimits.class);
    /** Kafka's default {@code message.max.bytes}, used when the cluster cannot be asked. */
    public static final int KAFKA_DEFAULT = 1_048_588;
    /** Room on top of the largest source record for the dead-letter headers a copy adds (a few hundred bytes). */
    public static final int DEAD_LETTER_HEADROOM = 4_096;
    private static final long ADMIN_TIMEOUT_SECONDS = 30;

    private final String incidentTopic;
    private final String templateRequestTopic;
    private final String deadLetterTopic;
    private final Integer inputOverride;
    private volatile int incidentBytes;
    private volatile int templateRequestBytes;
    private volatile int deadLetterBytes;

    /** @param inputOverride KAFKA_MAX_RECORD_BYTES, or null to read the input limits from the cluster */
    public RecordLimits(String incidentTopic, String templateRequestTopic, String deadLetterTopic, Integer inputOverride) {
        this.incidentTopic = incidentTopic;
        this.templateRequestTopic = templateRequestTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.inputOverride = inputOverride;
        int initial = inputOverride != null ? inputOverride : KAFKA_DEFAULT;
        this.incidentBytes = initial;
        this.templateRequestBytes = initial;
        this.deadLetterBytes = initial + DEAD_LETTER_HEADROOM;
    }

    public int incidentBytes() {
        return incidentBytes;
    }

    public int templateRequestBytes() {
        return templateRequestBytes;
    }

    /** The largest record the dead-letter topic takes: a larger copy is truncated to fit. */
    public int deadLetterBytes() {
        return deadLetterBytes;
    }

    /** What a dead-letter topic this module creates must accept: the largest source record plus the headers a copy adds. */
    public int deadLetterTopicToCreate() {
        return Math.max(incidentBytes, templateRequestBytes) + DEAD_LETTER_HEADROOM;
    }

    /** Step 1 at start, before missing topics are created: the two input topics. */
    public void readInputs(Admin admin) throws InterruptedException {
        if (inputOverride == null) { // else the limits the constructor set
            incidentBytes = read(admin, incidentTopic);
            templateRequestBytes = read(admin, templateRequestTopic);
        }
    }

    /** Step 2 at start, once the dead-letter topic exists (or not): its limit, then one line with every figure. */
    public void readDeadLetter(Admin admin) throws InterruptedException {
        deadLetterBytes = read(admin, deadLetterTopic);
        LOG.info("Kafka record limits (max.message.bytes, inputs from {}): {} {} bytes, {} {} bytes, dead letters {} {} bytes{}",
                inputOverride != null ? "KAFKA_MAX_RECORD_BYTES" : "the cluster", incidentTopic, incidentBytes,
                templateRequestTopic, templateRequestBytes, deadLetterTopic, deadLetterBytes, deadLetterBytes < deadLetterTopicToCreate()
                        ? " (smaller than its sources: larger dead-letter copies are truncated)" : "");
    }

    /** A topic's {@code max.message.bytes}; for one not created yet, the broker's default (what it will get). */
    private static int read(Admin admin, String topic) throws InterruptedException {
        try {
            Integer bytes = intValue(admin, new ConfigResource(ConfigResource.Type.TOPIC, topic), TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            return bytes != null ? bytes : brokerDefault(admin);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return brokerDefault(admin);
            }
            if (!(e.getCause() instanceof AuthorizationException)) {
                throw unreachable(topic, e.getCause());
            }
            LOG.warn("may not describe the configuration of topic {} ({}): assuming Kafka's default of {} bytes; "
                    + "set KAFKA_MAX_RECORD_BYTES to the topics' max.message.bytes", topic,
                    e.getCause().getClass().getSimpleName(), KAFKA_DEFAULT);
            return KAFKA_DEFAULT;
        } catch (TimeoutException e) {
            throw unreachable(topic, e);
        }
    }

    /** The broker's {@code message.max.bytes}: what a topic created without an override accepts. */
    private static int brokerDefault(Admin admin) throws InterruptedException {
        try {
            Collection<Node> nodes = admin.describeCluster().nodes().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            Integer bytes = nodes.isEmpty() ? null
                    : intValue(admin, new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(nodes.iterator().next().id())), "message.max.bytes");
            return bytes == null ? KAFKA_DEFAULT : bytes;
        } catch (ExecutionException | TimeoutException e) {
            return KAFKA_DEFAULT;
        }
    }

    /** The resource's setting as a number, or null when it has none (or not a number). */
    private static Integer intValue(Admin admin, ConfigResource resource, String name)
            throws InterruptedException, ExecutionException, TimeoutException {
        ConfigEntry entry = admin.describeConfigs(List.of(resource)).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(resource).get(name);
        try {
            return entry == null || entry.value() == null ? null : Integer.valueOf(entry.value().trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Kafka did not answer (or refused): the start-up tries again ({@link KafkaStartup}). */
    private static KafkaException unreachable(String topic, Throwable cause) {
        return new KafkaException("cannot read max.message.bytes of topic " + topic + " from Kafka ("
                + (cause == null ? "no cause" : cause.getClass().getSimpleName()) + ")", cause);
    }
}
