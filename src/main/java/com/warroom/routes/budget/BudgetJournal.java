package com.warroom.routes.budget;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.warroom.routes.kafka.BrokerClock;
import com.warroom.routes.kafka.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.record.TimestampType;
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
 * <p>
 * Time is the broker's: the topic the module creates stamps records with their append time
 * ({@code message.timestamp.type=LogAppendTime}), and {@link #load} takes "now" from the broker's
 * stamp of a marker it writes first, so neither a predecessor's clock nor this one's matters. A
 * record stamped after that "now" (a writer's clock ahead, on a CreateTime topic) counts as written
 * now: it holds calls one window at most.
 * <p>
 * The writes run on one thread of the journal's own, outside the budget's lock ({@link #reserve}).
 * A write that fails grants nothing: no call starts until one succeeds, and {@link #problem()} (the
 * readiness check {@code budget-journal}) says why, naming a topic that no longer exists.
 */
public final class BudgetJournal implements AccountRateBudget.Journal, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BudgetJournal.class);
    static final int CHUNK = 10;
    static final long VALID_MILLIS = 1_000;
    private static final long WRITE_TIMEOUT_SECONDS = 30;
    /** how long a send may wait for the topic's metadata (Kafka's 60 s default would hide a deleted topic that long) */
    private static final int METADATA_WAIT_MS = 5_000;
    /** a write not acknowledged by then makes the journal ask whether its topic still exists */
    private static final long SLOW_WRITE_MILLIS = 2_000;
    /** after a failed write, the next is tried no sooner than this */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** the value of the marker {@link #load} writes to learn the broker's time; readers skip it (not a positive count) */
    private static final String MARKER = "0";

    private final KafkaClientSettings settings;
    private final String topic;
    private final String process = UUID.randomUUID().toString();
    private final int deliveryTimeoutMs;
    private volatile KafkaProducer<String, String> producer;
    private Admin admin;
    private ExecutorService writer;
    /** the write under way, if any (one at a time); guarded by this */
    private Future<?> pending;
    /** permits the current reservation still covers, and until when (nanoTime); guarded by this */
    private int reserved;
    private long validUntil;
    /** the first permit after a write is granted even if the write outlasted the validity (as a call sent right after it) */
    private boolean fresh;
    private long ackedAt;
    private int chunk = 1;
    private int used;
    private long retryAt;
    private boolean failedLast;
    /** why no reservation can be written now (null: it can), for readiness */
    private volatile String problem;
    private volatile boolean readOnly;
    private final BrokerClock brokerClock;
    /** the topic stamps records with the broker's time: each acknowledgement tells the broker's clock */
    private volatile boolean brokerStamped;
    private volatile long markerAckNanos;
    private volatile boolean closed;

    public BudgetJournal(KafkaClientSettings settings, String topic, int deliveryTimeoutMs) {
        this(settings, topic, deliveryTimeoutMs, new BrokerClock());
    }

    /** @param brokerClock told the broker's time whenever the journal is stamped by the broker (LogAppendTime) */
    public BudgetJournal(KafkaClientSettings settings, String topic, int deliveryTimeoutMs, BrokerClock brokerClock) {
        this.settings = settings;
        this.topic = topic;
        this.deliveryTimeoutMs = deliveryTimeoutMs;
        this.brokerClock = brokerClock;
    }

    /** Under the budget's lock: takes one permit of the current reservation if it still covers one. */
    @Override
    public synchronized boolean take() {
        if (readOnly) {
            return true;
        }
        long now = System.nanoTime();
        boolean freshYet = fresh && now - ackedAt < TimeUnit.MILLISECONDS.toNanos(VALID_MILLIS);
        if (reserved > 0 && (freshYet || validUntil - now > 0)) {
            reserved--;
            used++;
            fresh = false;
            return true;
        }
        return false;
    }

    @Override
    public synchronized long nanosUntilRetry() {
        return failedLast ? Math.max(0, retryAt - System.nanoTime()) : 0;
    }

    /**
     * Outside the budget's lock: starts a reservation write on the journal's thread (or joins the one
     * under way) and waits for it at most {@code timeoutNanos}. A write the caller gave up on goes on;
     * if it succeeds, the next {@link #take()} uses it.
     */
    @Override
    public boolean reserve(long timeoutNanos) throws InterruptedException {
        if (readOnly) {
            return true;
        }
        Future<?> write;
        synchronized (this) {
            if (writer == null || closed) {
                throw new IllegalStateException(closed ? "the budget journal is closed" : "the budget journal is not open yet");
            }
            if (pending == null || pending.isDone()) {
                long now = System.nanoTime();
                boolean valid = validUntil - now > 0;
                // used up while still valid: more demand, a larger reservation; expired: as many as were used
                int next = valid ? Math.min(CHUNK, chunk * 2) : Math.max(1, Math.min(CHUNK, used));
                pending = writer.submit(() -> write(next));
            }
            write = pending;
        }
        try {
            write.get(Math.min(timeoutNanos, TimeUnit.SECONDS.toNanos(WRITE_TIMEOUT_SECONDS)), TimeUnit.NANOSECONDS);
            return reservedNow();
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return false; // write() catches what it can; anything else is a failed write too
        }
    }

    private synchronized boolean reservedNow() {
        return !failedLast && reserved > 0;
    }

    /** On the journal's thread: one reservation of {@code n} permits, acknowledged by Kafka, or a failure said once. */
    private void write(int n) {
        long start = System.nanoTime();
        try {
            if (problem != null && topicMissing()) {
                failed(missingLine(), null); // known missing: no send that would wait for its metadata
                return;
            }
            Future<RecordMetadata> sent = producer().send(new ProducerRecord<>(topic, process, String.valueOf(n)));
            try {
                observeBroker(sent.get(SLOW_WRITE_MILLIS, TimeUnit.MILLISECONDS));
            } catch (TimeoutException slow) {
                // a deleted topic is retried by the producer until its delivery time-out: ask the broker instead
                if (topicMissing()) {
                    dropProducer();
                    failed(missingLine(), null);
                    return;
                }
                observeBroker(sent.get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
            return;
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            dropProducer(); // a topic deleted and created again needs a producer without its old sequence state
            failed(topicMissing() ? missingLine() : "budget journal topic " + topic + " cannot be written ("
                    + cause.getClass().getSimpleName() + "): no Flashduty call starts until it can", cause);
            return;
        }
        synchronized (this) {
            chunk = n;
            reserved = n;
            used = 0;
            fresh = true;
            ackedAt = System.nanoTime();
            validUntil = start + TimeUnit.MILLISECONDS.toNanos(VALID_MILLIS);
            failedLast = false;
        }
        if (problem != null) {
            LOG.info("budget journal topic {} can be written again: Flashduty calls go on", topic);
            problem = null;
        }
    }

    private void failed(String line, Throwable cause) {
        synchronized (this) {
            failedLast = true;
            retryAt = System.nanoTime() + RETRY_NANOS;
        }
        if (!line.equals(problem) && !closed) {
            LOG.warn("{}", line); // once per change, not per attempt
        }
        problem = line;
    }

    private String missingLine() {
        return "budget journal topic " + topic + " does not exist: no Flashduty call starts until it does (calls end as "
                + "deadline_exceeded); create it (1 partition, message.timestamp.type=LogAppendTime, retention.ms=3600000), "
                + "or restart with KAFKA_CREATE_TOPICS=true";
    }

    /** On the journal's thread: true only when the broker says the topic is not there (not when it cannot be asked). */
    private boolean topicMissing() {
        try {
            admin().describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS);
            return false;
        } catch (ExecutionException e) {
            return e.getCause() instanceof UnknownTopicOrPartitionException;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException | RuntimeException e) {
            return false;
        }
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("the budget journal is closed");
        }
        if (admin == null) {
            admin = Admin.create(settings.common("war-room-routes-budget-journal"));
        }
        return admin;
    }

    /** Why no reservation can be written (the last write failed), or null when the last one succeeded. */
    public String problem() {
        return problem;
    }

    public boolean isWritable() {
        return problem == null;
    }

    /**
     * At start: opens the writer and counts the calls earlier processes reserved within the longest
     * window into {@code budget}. Returns how long the last of them still counts, in milliseconds.
     */
    public long load(AccountRateBudget budget, long responseTimeoutMillis) {
        long localStart = System.currentTimeMillis();
        long lookBack = budget.longestWindowMillis() + VALID_MILLIS + responseTimeoutMillis;
        Properties c = settings.common("war-room-routes-budget-journal");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        int reservations = 0;
        int calls = 0;
        int ahead = 0;
        boolean createTime = false;
        long last = 0;
        long now;
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
            // "now" is the broker's: the stamp it gave the marker (its append time on a LogAppendTime topic; this
            // process's clock on a CreateTime one, where no record can be trusted further anyway)
            now = readOnly ? localStart : brokerNow();
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> from = new HashMap<>();
            partitions.forEach(tp -> from.put(tp, now - lookBack));
            Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(from, Duration.ofSeconds(30));
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp at = offsets.get(tp);
                consumer.seek(tp, at == null ? end.get(tp) : at.offset());
            }
            end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            while (!end.isEmpty()) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    createTime |= r.timestampType() == TimestampType.CREATE_TIME;
                    if (!readOnly && r.timestamp() == now && process.equals(r.key()) && r.timestampType() == TimestampType.LOG_APPEND_TIME) {
                        // our own marker, stamped by the broker: from now on every acknowledgement tells its clock
                        brokerStamped = true;
                        brokerClock.observe(now, markerAckNanos);
                    }
                    int n = parse(r.value());
                    // a stamp after now (a writer's clock ahead) counts as now: it holds calls one window at most
                    long at = Math.min(r.timestamp(), now);
                    ahead += r.timestamp() > now ? 1 : 0;
                    if (n > 0 && at >= now - lookBack) {
                        budget.occupy(n, at + VALID_MILLIS, responseTimeoutMillis, now);
                        reservations++;
                        calls += n;
                        last = Math.max(last, at);
                    }
                }
                end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
        }
        open();
        if (createTime) {
            LOG.warn("budget journal {} has message.timestamp.type=CreateTime: its records carry their writers' clocks ({} stamped "
                    + "in the future, counted as now: they hold calls one window at most); set message.timestamp.type=LogAppendTime "
                    + "on it", topic, ahead);
        }
        long readMillis = System.currentTimeMillis() - localStart;
        if (calls > 0) {
            long until = last + VALID_MILLIS + responseTimeoutMillis + budget.longestWindowMillis() - now;
            LOG.info("budget journal {}: read in {} ms; {} call(s) of earlier processes still count ({} reservations, the last {} ms ago), "
                    + "the last of them for {} ms more", topic, readMillis, calls, reservations, now - last, until);
            return until;
        }
        LOG.info("budget journal {}: read in {} ms; no call of an earlier process within the last window", topic, readMillis);
        return 0;
    }

    /** Writes the marker and returns the broker's stamp of it. */
    private long brokerNow() {
        try {
            RecordMetadata m = producer().send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), process, MARKER))
                    .get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            markerAckNanos = System.nanoTime();
            return m.timestamp();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new org.apache.kafka.common.KafkaException(e.getCause());
        } catch (TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("budget journal marker write timed out");
        }
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

    /** Lets {@link #reserve} start writes: on the journal's own thread, so no caller waits past its deadline for one. */
    private synchronized void open() {
        if (writer == null && !closed) {
            writer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "budget-journal-writer");
                t.setDaemon(true);
                return t;
            });
        }
    }

    private KafkaProducer<String, String> producer() {
        KafkaProducer<String, String> p = producer;
        if (p == null) {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the budget journal is closed");
                }
                if (producer == null) {
                    Properties props = settings.common("war-room-routes-budget-journal");
                    props.put(ProducerConfig.ACKS_CONFIG, "all");
                    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
                    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, METADATA_WAIT_MS);
                    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
                    producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
                }
                p = producer;
            }
        }
        return p;
    }

    private void dropProducer() {
        dropProducerWithin(Duration.ZERO);
    }

    private static int parse(String v) {
        try {
            return v == null ? 0 : Math.max(0, Math.min(10_000, Integer.parseInt(v.trim())));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        ExecutorService w;
        synchronized (this) {
            closed = true;
            w = writer;
        }
        if (w != null) {
            w.shutdownNow();
        }
        dropProducerWithin(Duration.ofSeconds(5));
        Admin a;
        synchronized (this) {
            a = admin;
            admin = null;
        }
        if (a != null) {
            a.close(Duration.ofSeconds(5));
        }
    }

    private void dropProducerWithin(Duration wait) {
        KafkaProducer<String, String> p;
        synchronized (this) {
            p = producer;
            producer = null;
        }
        if (p != null) {
            p.close(wait);
        }
    }

    /** An acknowledged reservation on a broker-stamped journal: its stamp is the broker's clock now. */
    private void observeBroker(RecordMetadata acknowledged) {
        if (brokerStamped && acknowledged != null && acknowledged.hasTimestamp()) {
            brokerClock.observe(acknowledged.timestamp());
        }
    }
}
