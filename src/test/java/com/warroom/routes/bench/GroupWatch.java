package com.warroom.routes.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Follows a consumer group as its coordinator sees it, from outside the replicas (their Kafka logging
 * is at WARN): every two seconds its state and each member's partitions, kept only when they change,
 * e.g. {@code +12 s PreparingRebalance [0, 1, 2] []}. Shows when a joining replica really takes
 * partitions over, and when a killed one's are handed on.
 */
final class GroupWatch implements AutoCloseable {

    private final Admin admin;
    private final String group;
    private final long startNanos = System.nanoTime();
    private final List<String> changes = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "group-watch");
        t.setDaemon(true);
        return t;
    });
    private String last = "";

    GroupWatch(String brokers, String group) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers));
        this.group = group;
        timer.scheduleWithFixedDelay(this::look, 0, 2, TimeUnit.SECONDS);
    }

    private void look() {
        String now;
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(5, TimeUnit.SECONDS).get(group);
            // members in no fixed order (their ids are random): sorted by their partitions
            now = d.state() + " " + d.members().stream()
                    .map(m -> m.assignment().topicPartitions().stream().map(TopicPartition::partition).sorted().toList().toString())
                    .sorted().collect(Collectors.joining(" "));
        } catch (Exception e) {
            now = "(not described: " + e.getClass().getSimpleName() + ")";
        }
        synchronized (this) {
            if (!now.equals(last)) {
                last = now;
                changes.add("+" + (System.nanoTime() - startNanos) / 1_000_000_000 + " s " + now);
            }
        }
    }

    /** Every change seen, oldest first, with the seconds since this watch started. */
    synchronized List<String> changes() {
        return List.copyOf(changes);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close();
    }
}
