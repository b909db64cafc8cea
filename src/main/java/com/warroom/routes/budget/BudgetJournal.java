package com.warroom.routes.budget;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.warroom.routes.kafka.KafkaClientSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The account's calls, as every process of one budget group made them, so that a process that
 * starts counts its predecessors' calls within the longest window (a replica redeployed or killed
 * after a backlog of 1,000 calls would otherwise send 1,000 more in the same minute, and the account
 * answers 429 to every client of it for the rest of that minute).
 * <p>
 * A small Kafka topic (FLASHDUTY_BUDGET_JOURNAL_TOPIC, created with a short retention) holds
 * reservations: before the budget grants a permit, it must be covered by a reservation this process
 * wrote and Kafka acknowledged; one reservation covers up to {@value #CHUNK} permits granted within
 * {@value #VALID_MILLIS} ms of it (one write per ten calls at full rate, a few milliseconds each; the
 * size follows the recent demand, so slow traffic is not over-counted tenfold). A call is never
 * sent unjournaled, so a SIGKILL cannot hide one; an unused reservation only over-counts. At start the
 * journal is read back from one window (plus the validity and a response time-out) ago, and each
 * reservation holds its calls' slots as if they were sent at the end of its validity and answered a
 * response time-out later; a start long after the last call finds nothing to count.
 * <p>
 * Why a journal and not the ledger's or results' timestamps: those record only war-room outcomes,
 * after the call, while template and catalog calls count too and a killed process writes nothing
 * after its last calls. Kafka is what the module already has; the reservations are its own design.
 */
public final class BudgetJournal implements AccountRateBudget.Journal, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BudgetJournal.class);
    static final int CHUNK = 10;
    static final long VALID_MILLIS = 1_000;
    private static final long WRITE_TIMEOUT_SECONDS = 30;

    private final KafkaClientSettings settings;
    private final String topic;
    private final String process = UUID.randomUUID().toString();
    private final int deliveryTimeoutMs;
    private KafkaProducer<String, String> producer;
    /** permits the current reservation still covers, and until when (nanoTime); guarded by the budget's lock */
    private int reserved;
    private long validUntil;
    private int chunk = 1;
    private int used;
    private volatile boolean readOnly;

    public BudgetJournal(KafkaClientSettings settings, String topic, int deliveryTimeoutMs) {
        this.settings = settings;
        this.topic = topic;
        this.deliveryTimeoutMs = deliveryTimeoutMs;
    }

    /** A replay's dry run writes nothing to Kafka: it still counts the calls of others, but journals its own one read-only call not. */
    public void readOnly() {
        readOnly = true;
    }

    /** Called under the budget's lock before a permit is granted: writes a reservation when none covers it. */
    @Override
    public void beforeGrant() throws InterruptedException {
        if (readOnly) {
            return;
        }
        long now = System.nanoTime();
        boolean valid = validUntil - now > 0;
        if (reserved > 0 && valid) {
            reserved--;
            used++;
            return;
        }
        // used up while still valid: more demand, a larger reservation; expired: as many as were used
        int next = valid ? Math.min(CHUNK, chunk * 2) : Math.max(1, Math.min(CHUNK, used));
        KafkaProducer<String, String> p = producer;
        if (p == null) {
            throw new IllegalStateException("the budget journal is not open yet");
        }
        try {
            p.send(new ProducerRecord<>(topic, process, String.valueOf(next))).get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KafkaException k ? k : new KafkaException("budget journal write failed", e.getCause());
        } catch (TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("budget journal write timed out");
        }
        chunk = next;
        reserved = next - 1;
        used = 1;
        validUntil = now + TimeUnit.MILLISECONDS.toNanos(VALID_MILLIS);
    }

    /**
     * At start: opens the writer and counts the calls earlier processes reserved within the longest
     * window into {@code budget}. Returns how long the last of them still counts, in milliseconds.
     */
    public long load(AccountRateBudget budget, long responseTimeoutMillis) {
        long start = System.currentTimeMillis();
        long lookBack = budget.longestWindowMillis() + VALID_MILLIS + responseTimeoutMillis;
        Properties c = settings.common("war-room-routes-budget-journal");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        int reservations = 0;
        int calls = 0;
        long last = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                // no process of this budget group journaled a call (a version before the journal would not know it), and this
                // one cannot either: writing to a missing topic would hold every call up
                readOnly = true;
                LOG.warn("budget journal {} does not exist (KAFKA_CREATE_TOPICS=false?): calls are not journaled, so a process "
                        + "started after this one will not count them; create the topic to have them counted", topic);
                return 0;
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> from = new HashMap<>();
            partitions.forEach(tp -> from.put(tp, start - lookBack));
            Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(from, Duration.ofSeconds(30));
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp at = offsets.get(tp);
                consumer.seek(tp, at == null ? end.get(tp) : at.offset());
            }
            end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            while (!end.isEmpty()) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    int n = parse(r.value());
                    if (n > 0 && r.timestamp() >= start - lookBack) {
                        budget.occupy(n, r.timestamp() + VALID_MILLIS, responseTimeoutMillis, start);
                        reservations++;
                        calls += n;
                        last = Math.max(last, r.timestamp());
                    }
                }
                end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
        open();
        long readMillis = System.currentTimeMillis() - start;
        if (calls > 0) {
            long until = last + VALID_MILLIS + responseTimeoutMillis + budget.longestWindowMillis() - start;
            LOG.info("budget journal {}: read in {} ms; {} call(s) of earlier processes still count ({} reservations, the last {} ms ago), "
                    + "the last of them for {} ms more", topic, readMillis, calls, reservations, start - last, until);
            return until;
        }
        LOG.info("budget journal {}: read in {} ms; no call of an earlier process within the last window", topic, readMillis);
        return 0;
    }

    /** Without a journal that can be read (not allowed, not reachable): the whole window is taken as used. */
    public long assumeFullWindow(AccountRateBudget budget, int perLongestWindow, long responseTimeoutMillis) {
        long now = System.currentTimeMillis();
        budget.occupy(perLongestWindow, now, responseTimeoutMillis, now);
        open();
        LOG.warn("budget journal {} cannot be read: calls of earlier processes are unknown, so the first call waits one full window",
                topic);
        return budget.longestWindowMillis() + responseTimeoutMillis;
    }

    private synchronized void open() {
        if (producer != null) {
            return;
        }
        Properties p = settings.common("war-room-routes-budget-journal");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
        producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static int parse(String v) {
        try {
            return v == null ? 0 : Math.max(0, Math.min(10_000, Integer.parseInt(v.trim())));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
