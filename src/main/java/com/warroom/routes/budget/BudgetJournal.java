package com.warroom.routes.budget;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.warroom.routes.kafka.BrokerClock;
import com.warroom.routes.kafka.CompactedTopicView;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.kafka.RestartingConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.KafkaThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The account's calls as every process of one budget group announces them, so that replicas share
 * the account's two windows whoever has the work, and a process that starts counts its
 * predecessors' calls (a replica redeployed or killed after a backlog of 1,000 calls would otherwise
 * send 1,000 more in the same minute, and the account answers 429 to every client of it for the
 * rest of that minute).
 * <p>
 * A small Kafka topic (FLASHDUTY_BUDGET_JOURNAL_TOPIC, created with one partition, a short retention
 * and the broker's time as record time) holds <em>claims</em>. Before the budget grants a permit it
 * must be covered by a claim this process wrote, Kafka acknowledged and this process read back: one
 * claim covers up to {@value #CHUNK} calls (as many as are waiting) sent within
 * {@value #VALID_MILLIS} ms of the claim's write starting; it is read back so that every claim
 * written before it is known. Every process follows the topic and counts the others' claims: a
 * claim stamped T by the broker holds a slot in a window of length W until T + {@value #SPAN_MILLIS}
 * ms + W (its calls are sent by T + {@value #VALID_MILLIS} ms and reach Flashduty within
 * {@value #ARRIVAL_MILLIS} ms of being sent). The budget then lets this process start a call only
 * while its own calls (counted exactly, {@link AccountRateBudget}) and the others' claims leave room
 * in both windows. Whoever has waiting calls claims; nobody holds a fixed share; a process that
 * starts, leaves or dies needs no agreement, its claims count for their time. A claim not used
 * within its validity is given back (a record saying so), so the others do not count the rest.
 * docs/budget-sharing.md gives the argument that both windows hold.
 * <p>
 * A call is never sent unclaimed, so a SIGKILL cannot hide one. At start the topic is read back
 * from one window (plus the span) ago; a start long after the last call finds nothing to count.
 * <p>
 * Time is the broker's: the topic the module creates stamps records with their append time
 * ({@code message.timestamp.type=LogAppendTime}); "now" is the broker's stamp of this process's
 * last acknowledged write carried forward on the monotonic clock ({@link BrokerClock}), a time the
 * broker's clock has certainly reached, so a claim is never forgotten early. A record stamped after
 * that "now" (a writer's clock ahead, on a CreateTime topic) counts as written now.
 * <p>
 * The writes run on one thread of the journal's own, outside the budget's lock ({@link #reserve});
 * the reads on another. A write or a read that fails grants nothing: no call starts until claims can
 * be written and read back again, and {@link #problem()} (the readiness check {@code budget-journal})
 * says why, naming a topic that does not exist (none is shared without it: the module creates it, or
 * the operator must).
 * <p>
 * Hand-written because no library shares a rate budget among processes through a log; Kafka gives
 * the order and the time, this class only the counting.
 */
public final class BudgetJournal implements AccountRateBudget.Journal, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BudgetJournal.class);
    static final int CHUNK = 10;
    /** a claim's calls are sent within this of its write starting (so by its stamp plus this) */
    static final long VALID_MILLIS = 250;
    /** and reach Flashduty within this of being sent */
    static final long ARRIVAL_MILLIS = 500;
    /** from a claim's stamp, the time within which its calls reach Flashduty */
    static final long SPAN_MILLIS = VALID_MILLIS + ARRIVAL_MILLIS;
    /** every process writes to this partition: one order for all claims */
    static final int CLAIM_PARTITION = 0;
    private static final long WRITE_TIMEOUT_SECONDS = 30;
    /** how long a send may wait for the topic's metadata (Kafka's 60 s default would hide a deleted topic that long) */
    private static final int METADATA_WAIT_MS = 5_000;
    /** a write not acknowledged by then makes the journal ask whether its topic still exists */
    private static final long SLOW_WRITE_MILLIS = 2_000;
    /** after a failed write or read, the next is tried no sooner than this */
    private static final Duration RETRY = Duration.ofSeconds(1);
    /** the value of the marker {@link #load} writes to learn the broker's time; readers skip it (not a positive count) */
    private static final String MARKER = "0";
    private static final String GIVE_BACK = "return ";
    /** the value of a record saying "this process waits for room" */
    private static final String WANT = "want";
    /** a process waiting says so this often; the others count it as waiting this long after (unless it claimed since) */
    static final long WANT_EVERY_MILLIS = 200;
    static final long WANT_TTL_MILLIS = 600;
    private static final Pattern GIVE_BACK_VALUE = Pattern.compile("return (\\d{1,18}) (\\d{1,5})");
    private static final Pattern CLAIM_VALUE = Pattern.compile("\\d{1,18}");

    private final KafkaClientSettings settings;
    private final String topic;
    private final TopicPartition claims;
    private final String process = UUID.randomUUID().toString();
    private final int deliveryTimeoutMs;
    private final boolean countOthers;
    private volatile KafkaProducer<String, String> producer;
    private Admin admin;
    private ScheduledExecutorService writer;
    /** the reader, replaced after {@link #RETRY} when it fails */
    private final RestartingConsumer<String, String> reading;
    /** the others' claims; guarded by this */
    private final ClaimBook book = new ClaimBook(SPAN_MILLIS);
    /** this process's own claims, as the others count them (for the even part it keeps while others wait); guarded by this */
    private final ClaimBook mine = new ClaimBook(SPAN_MILLIS);
    /** the next offset of the claim partition to read (every claim before it is counted; a new reader goes on there); guarded by this */
    private long readThrough = -1;
    /** other processes that said they wait for room: the broker's stamp of their last such record; guarded by this */
    private final Map<String, Long> wanting = new HashMap<>();
    /** when this process last said it waits (nanoTime); guarded by this */
    private long wantedAt = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(WANT_EVERY_MILLIS);
    /** the longest window, ms: how far back the book is read */
    private long longestMillis = 60_000;
    /** the write under way, if any (one at a time); guarded by this */
    private Future<?> pending;
    /** the current claim: its offset, the permits it still covers, and until when (nanoTime); guarded by this */
    private long claimOffset = -1;
    private int remaining;
    /** the size the next claim is sized from, and how many permits of the current one were taken; guarded by this */
    private int chunk = 1;
    private int used;
    private long validUntil;
    /** after a failed write, the next no sooner than this (nanoTime) */
    private long retryAt = System.nanoTime();
    /** when a late claim was last said (at most once a minute) */
    private long lateSaidAt = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);
    /** why no claim can be written, or read back, now (null: it can), for readiness */
    private volatile String problem;
    private volatile String readProblem;
    private final BrokerClock brokerClock;
    /** the topic stamps records with the broker's time: each acknowledgement tells the broker's clock */
    private volatile boolean brokerStamped;
    /** the broker's acknowledgement of the marker {@link #load} writes: its stamp, and when it came back (nanoTime) */
    private volatile long markerStamp = -1;
    private volatile long markerAckNanos;
    private volatile boolean closed;
    private volatile Runnable onChange = () -> { };
    private final AtomicLong claimsWritten = new AtomicLong();
    private final AtomicLong callsGivenBack = new AtomicLong();

    /**
     * @param brokerClock told the broker's time whenever the journal is stamped by the broker (LogAppendTime)
     * @param countOthers false with budget sharing off: this process uses the whole budget, whatever the others claim
     */
    public BudgetJournal(KafkaClientSettings settings, String topic, int deliveryTimeoutMs, BrokerClock brokerClock, boolean countOthers) {
        this.settings = settings;
        this.topic = topic;
        this.claims = new TopicPartition(topic, CLAIM_PARTITION);
        this.deliveryTimeoutMs = deliveryTimeoutMs;
        this.brokerClock = brokerClock;
        this.countOthers = countOthers;
        // its failures are said by problem() (readiness budget-journal), so it reports to threads nobody asks
        CompactedTopicView.Restart logOnly = CompactedTopicView.Restart.logOnly();
        this.reading = new RestartingConsumer<>("budget-journal-reader", new CompactedTopicView.Restart(logOnly.threads(), false, RETRY, RETRY),
                this::newReader, this::follow);
    }

    // ---- the budget's side: under its lock, quick -------------------------------------------------

    @Override
    public void onChange(Runnable r) {
        this.onChange = r;
    }

    /** Under the budget's lock: takes one permit of the current claim if it still covers one. */
    @Override
    public synchronized boolean take() {
        if (covers(0)) {
            remaining--;
            used++;
            return true;
        }
        return false;
    }

    @Override
    public long claimValidityNanos() {
        return TimeUnit.MILLISECONDS.toNanos(VALID_MILLIS);
    }

    @Override
    public synchronized boolean covers(long inNanos) {
        return remaining > 0 && validUntil - (System.nanoTime() + inNanos) > 0;
    }

    @Override
    public synchronized long nanosUntilRetry() {
        return Math.max(0, retryAt - System.nanoTime());
    }

    /** Under the budget's lock: the calls the other processes' claims may still put into a window of this length. */
    @Override
    public synchronized int othersHeld(long windowMillis) {
        return countOthers ? book.held(windowMillis, brokerNow()) : 0;
    }

    @Override
    public synchronized long nanosUntilOthersFall(long windowMillis) {
        if (!countOthers) {
            return Long.MAX_VALUE;
        }
        long now = brokerNow();
        // a wait that stops counting frees this process's cap
        long wantEnds = wanting.values().stream().mapToLong(at -> at + WANT_TTL_MILLIS - now).filter(m -> m > 0).min()
                .orElse(Long.MAX_VALUE);
        return nanos(Math.min(book.millisUntilFall(windowMillis, now), wantEnds));
    }

    /** Under the budget's lock: this process's own claims as the others count them in a window of this length. */
    @Override
    public synchronized int ownClaimed(long windowMillis) {
        return mine.held(windowMillis, brokerNow());
    }

    @Override
    public synchronized long nanosUntilOwnClaimsFall(long windowMillis) {
        return nanos(mine.millisUntilFall(windowMillis, brokerNow()));
    }

    private static long nanos(long millis) {
        return millis == Long.MAX_VALUE ? Long.MAX_VALUE : TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis));
    }

    /** Under the budget's lock: the other processes that said within {@value #WANT_TTL_MILLIS} ms that they wait, and have not claimed since. */
    @Override
    public synchronized int othersWanting() {
        if (!countOthers || wanting.isEmpty()) {
            return 0;
        }
        long now = brokerNow();
        wanting.values().removeIf(at -> at + WANT_TTL_MILLIS <= now);
        return wanting.size();
    }

    /** Under the budget's lock: writes a "want" record on the journal's thread, at most every {@value #WANT_EVERY_MILLIS} ms. */
    @Override
    public synchronized long want() {
        long every = TimeUnit.MILLISECONDS.toNanos(WANT_EVERY_MILLIS);
        if (writer == null || closed) {
            return Long.MAX_VALUE;
        }
        long now = System.nanoTime();
        if (now - wantedAt < every) {
            return every - (now - wantedAt);
        }
        wantedAt = now;
        writer.submit(() -> send(WANT, "say this process waits"));
        return every;
    }

    /** A time the broker's clock has certainly reached: its stamp of our last acknowledged write, carried forward. */
    private long brokerNow() {
        return brokerStamped ? brokerClock.now().orElse(System.currentTimeMillis()) : System.currentTimeMillis();
    }

    // ---- claims ------------------------------------------------------------------------------------

    /**
     * Outside the budget's lock, one caller at a time: starts a claim on the journal's thread (or joins
     * the one under way) and waits for it at most {@code timeoutNanos}. The claim covers the calls
     * waiting, or as many as the last claim's demand suggests if more (the last one used up while
     * still valid: twice as many; expired: as many as it covered), at most {@value #CHUNK} and never
     * more than {@code room}; what is not used is given back. A claim the caller gave up on goes on;
     * if it is read back in time, the next {@link #take()} uses it.
     */
    @Override
    public void reserve(long timeoutNanos, int waiting, int room) throws InterruptedException {
        Future<?> write;
        synchronized (this) {
            if (writer == null || closed) {
                throw new IllegalStateException(closed ? "the budget journal is closed" : "the budget journal is not open yet");
            }
            if (pending == null || pending.isDone()) {
                // one consumer thread waits for one call at a time: the demand shows in how fast claims are used up
                chunk = validUntil - System.nanoTime() > 0 && remaining == 0 ? Math.min(CHUNK, chunk * 2) : Math.max(1, used);
                int n = Math.max(1, Math.min(room, Math.max(waiting, chunk)));
                pending = writer.submit(() -> writeClaim(n));
            }
            write = pending;
        }
        try {
            write.get(Math.min(timeoutNanos, TimeUnit.SECONDS.toNanos(WRITE_TIMEOUT_SECONDS)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // not ready in time, or failed (writeClaim() catches what it can): take() grants nothing then
        }
    }

    /** On the journal's thread: a claim of {@code n} calls, acknowledged by Kafka and read back, or a failure said once. */
    private void writeClaim(int n) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(VALID_MILLIS);
        RecordMetadata m;
        try {
            if (problem != null && topicMissing()) {
                failed(missingLine()); // known missing: no send that would wait for its metadata
                return;
            }
            m = acknowledged(producer().send(record(String.valueOf(n))));
            if (m == null) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
            return;
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            dropProducer(Duration.ZERO); // a topic deleted and created again needs a producer without its old sequence state
            failed(topicMissing() ? missingLine() : "budget journal topic " + topic + " cannot be written ("
                    + cause.getClass().getSimpleName() + "): no Flashduty call starts until it can");
            return;
        }
        claimsWritten.incrementAndGet();
        boolean installed = false;
        long replacedOffset = -1;
        int replacedUnused = 0;
        synchronized (this) {
            retryAt = System.nanoTime(); // written: the next write need not wait
            // every claim written before this one must be counted before any of its calls starts
            try {
                while (readThrough <= m.offset() && !closed && until - System.nanoTime() > 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, until - System.nanoTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (readThrough > m.offset() && until - System.nanoTime() > 0) {
                if (remaining > 0) { // written ahead while the last one still covered calls: what it still covers goes back
                    replacedOffset = claimOffset;
                    replacedUnused = remaining;
                }
                claimOffset = m.offset();
                remaining = n;
                used = 0;
                validUntil = until;
                installed = true;
            }
        }
        if (problem != null) {
            LOG.info("budget journal topic {} can be written again: Flashduty calls go on", topic);
            problem = null;
        }
        if (replacedUnused > 0) {
            giveBack(replacedOffset, replacedUnused);
        }
        if (installed) {
            long offset = m.offset();
            writer.schedule(() -> expire(offset), Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        } else {
            giveBack(m.offset(), n); // not read back within its validity (a slow read): nothing of it may be used
            long now = System.nanoTime();
            if (!closed && now - lateSaidAt > TimeUnit.MINUTES.toNanos(1)) {
                // else silent: with every claim late (a slow broker, a process short of CPU) no call ever starts
                lateSaidAt = now;
                LOG.warn("budget journal {}: a claim was not read back within its {} ms validity (a slow broker, or this process "
                        + "short of CPU): nothing of it is used, Flashduty calls wait for a claim read back in time", topic, VALID_MILLIS);
            }
        }
    }

    /** On the journal's thread, when a claim's validity ends: what it did not cover is given back. */
    private void expire(long offset) {
        int unused;
        synchronized (this) {
            if (claimOffset != offset || remaining <= 0) {
                return;
            }
            unused = remaining;
            remaining = 0;
        }
        giveBack(offset, unused);
    }

    /** Says that {@code unused} calls of the claim at {@code offset} were not made; the others then count fewer. */
    private void giveBack(long offset, int unused) {
        // if it fails, the claim counts whole for its time: only calls the group could have made are lost
        if (send(GIVE_BACK + offset + " " + unused, "give back " + unused + " call(s)")) {
            callsGivenBack.addAndGet(unused);
        }
    }

    /** Writes a record whose loss costs only time (a give-back, a want); false when it failed (said at debug). */
    private boolean send(String value, String what) {
        try {
            acknowledged(producer().send(record(value)));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("budget journal {}: could not {} ({})", topic, what, e.getClass().getSimpleName());
        }
        return false;
    }

    private ProducerRecord<String, String> record(String value) {
        return new ProducerRecord<>(topic, CLAIM_PARTITION, process, value);
    }

    /** The write's acknowledgement (null, said, when the topic turned out to be missing). */
    private RecordMetadata acknowledged(Future<RecordMetadata> sent) throws InterruptedException, ExecutionException, TimeoutException {
        RecordMetadata m;
        try {
            m = sent.get(SLOW_WRITE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException slow) {
            // a deleted topic is retried by the producer until its delivery time-out: ask the broker instead
            if (topicMissing()) {
                dropProducer(Duration.ZERO);
                failed(missingLine());
                return null;
            }
            m = sent.get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        if (brokerStamped && m.hasTimestamp()) {
            brokerClock.observe(m.timestamp()); // a stamp the broker's clock has reached
        }
        return m;
    }

    private void failed(String line) {
        synchronized (this) {
            retryAt = System.nanoTime() + RETRY.toNanos();
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) { // a time-out or a closed journal: not known to be missing
            return e instanceof ExecutionException && e.getCause() instanceof UnknownTopicOrPartitionException;
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

    /** Why no claim can be written or read back (null when both work). */
    public String problem() {
        return Optional.ofNullable(problem).orElse(readProblem);
    }

    /** Claims this process wrote, and calls of them it gave back unused (for the metrics). */
    public long claimsWritten() {
        return claimsWritten.get();
    }

    public long callsGivenBack() {
        return callsGivenBack.get();
    }

    // ---- reading -----------------------------------------------------------------------------------

    /**
     * At start: reads the journal back from one window (plus the longest span) ago, so the calls earlier
     * processes and the other replicas claimed within it count before this one makes any, then goes on
     * following it on a thread of its own. A journal that cannot be read (missing, not allowed, not
     * reachable) is read back the same way once it can: no claim, so no call, before then.
     */
    public void load(AccountRateBudget budget) {
        long localStart = System.currentTimeMillis();
        longestMillis = budget.longestWindowMillis();
        KafkaConsumer<String, String> consumer = newReader();
        try {
            position(consumer);
            long end = consumer.endOffsets(List.of(claims), Duration.ofSeconds(30)).get(claims);
            while (consumer.position(claims) < end) {
                read(consumer, consumer.poll(Duration.ofMillis(200)));
            }
            LOG.info("budget journal {}: read in {} ms; {} call(s) claimed by earlier processes and other replicas still count",
                    topic, System.currentTimeMillis() - localStart, othersHeld(longestMillis));
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            consumer = null; // the reader opens a new one
            if (readProblem == null) {
                readProblem = "budget journal topic " + topic + " cannot be read: no Flashduty call starts until it can";
            }
            LOG.warn("{}: calls of earlier processes and other replicas count once it can ({})", readProblem, e.getClass().getSimpleName());
        }
        open(consumer);
    }

    private KafkaConsumer<String, String> newReader() {
        Properties c = settings.common("war-room-routes-budget-journal");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        return new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
    }

    /** Counts what the records say, and notes how far the claim partition is read. */
    private void read(KafkaConsumer<String, String> consumer, ConsumerRecords<String, String> records) {
        synchronized (this) {
            if (!brokerStamped && markerStamp >= 0 && !records.isEmpty()
                    && records.iterator().next().timestampType() == TimestampType.LOG_APPEND_TIME) {
                // the broker stamps the topic: from now on "now" is the broker's, before any claim is judged by it
                brokerStamped = true;
                brokerClock.observe(markerStamp, markerAckNanos);
            }
            long now = brokerNow();
            for (ConsumerRecord<String, String> r : records) {
                count(r, now);
            }
            readThrough = consumer.position(claims);
            book.prune(longestMillis, now);
            mine.prune(longestMillis, now);
            notifyAll(); // a claim waiting to be read back
        }
        if (!records.isEmpty()) {
            onChange.run();
        }
    }

    /** One record, under this lock. */
    private void count(ConsumerRecord<String, String> r, long now) {
        if (r.key() == null || r.key().length() > 100) {
            return; // a record without a writer counts for nobody
        }
        // a stamp after now (a writer's clock ahead) counts as now
        long at = Math.min(r.timestamp(), now);
        String v = r.value() == null ? "" : r.value().trim();
        // our own calls are counted exactly by the budget; our claims as the others see them, for the even part
        boolean own = process.equals(r.key());
        ClaimBook claimed = own ? mine : book;
        Matcher back = GIVE_BACK_VALUE.matcher(v);
        if (back.matches()) {
            claimed.giveBack(Long.parseLong(back.group(1)), r.key(), Integer.parseInt(back.group(2)));
        } else if (WANT.equals(v)) {
            if (!own && (wanting.size() < 10_000 || wanting.containsKey(r.key()))) {
                wanting.put(r.key(), at);
            }
        } else {
            int n = CLAIM_VALUE.matcher(v).matches() ? (int) Math.min(ClaimBook.MAX_CALLS, Long.parseLong(v)) : 0;
            if (n > 0) {
                wanting.remove(r.key()); // it got room
            }
            claimed.claim(r.offset(), r.key(), at, n);
        }
    }

    /**
     * Follows the journal (on {@link RestartingConsumer}'s thread, which replaces a failed reader after
     * {@link #RETRY}): a new reader goes on where the last one stood (or, never having read, one window
     * and the span back). Until it reads again, {@link #problem()} says why: no claim is read back, no call starts.
     */
    private void follow(KafkaConsumer<String, String> consumer) {
        try {
            if (consumer.assignment().isEmpty()) {
                position(consumer);
            }
            while (!reading.closing()) {
                read(consumer, consumer.poll(Duration.ofMillis(200)));
                if (readProblem != null) {
                    LOG.info("budget journal topic {} can be read again: Flashduty calls go on", topic);
                    readProblem = null;
                    reading.running();
                }
            }
        } catch (RuntimeException | Error e) {
            if (!reading.closing()) { // said for readiness, once per change; the loop opens a new reader
                String line = e instanceof UnknownTopicOrPartitionException ? missingLine() : "budget journal topic " + topic
                        + " cannot be read (" + e.getClass().getSimpleName() + "): no Flashduty call starts until it can";
                if (!line.equals(readProblem)) {
                    LOG.warn("{}", line);
                }
                readProblem = line;
            }
            throw e;
        }
    }

    /** Assigns the claim partition where the last reader stood (or, never having read, one window and the span back). */
    private void position(KafkaConsumer<String, String> consumer) {
        long from;
        synchronized (this) {
            from = readThrough;
        }
        consumer.assign(List.of(claims));
        if (from >= 0) {
            consumer.seek(claims, from);
            return;
        }
        if (consumer.partitionsFor(topic, Duration.ofSeconds(30)).isEmpty()) {
            readProblem = missingLine(); // no call starts until it is created (the module creates it, or the operator)
            throw new UnknownTopicOrPartitionException(topic);
        }
        // "now" is the broker's: the stamp it gave the marker (on a LogAppendTime topic; read() then knows it is)
        long since = writeMarker() - longestMillis - SPAN_MILLIS;
        OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(claims, since), Duration.ofSeconds(30)).get(claims);
        if (at == null) {
            consumer.seekToEnd(List.of(claims));
        } else {
            consumer.seek(claims, at.offset());
        }
    }

    /** Writes the marker and returns the broker's stamp of it. */
    private long writeMarker() {
        try {
            RecordMetadata m = producer().send(record(MARKER)).get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            markerAckNanos = System.nanoTime();
            markerStamp = m.timestamp();
            return markerStamp;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new KafkaException("budget journal marker write", e);
        }
    }

    /** Starts the writer and the reader (on {@code consumer}, or a new one when null). */
    private synchronized void open(KafkaConsumer<String, String> consumer) {
        if (writer != null || closed) {
            return;
        }
        writer = Executors.newSingleThreadScheduledExecutor(r -> KafkaThread.daemon("budget-journal-writer", r));
        reading.start(consumer);
    }

    private synchronized KafkaProducer<String, String> producer() {
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
        return producer;
    }

    @Override
    public void close() {
        long offset;
        int unused;
        synchronized (this) {
            offset = claimOffset;
            unused = remaining;
            remaining = 0; // no call starts under it any more
        }
        if (unused > 0 && producer != null) {
            // a replica that stops gives back what it claimed and will not use, so the others need not wait for it
            try {
                producer.send(record(GIVE_BACK + offset + " " + unused)).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("budget journal {}: could not give back {} call(s) at stop ({})", topic, unused, e.getClass().getSimpleName());
            }
        }
        ScheduledExecutorService w;
        Admin a;
        synchronized (this) {
            closed = true; // admin() and producer() make no new client after this
            w = writer;
            a = admin;
            notifyAll();
        }
        if (w != null) {
            w.shutdownNow();
        }
        reading.close();
        dropProducer(Duration.ofSeconds(5));
        if (a != null) {
            a.close(Duration.ofSeconds(5));
        }
    }

    private void dropProducer(Duration wait) {
        KafkaProducer<String, String> p;
        synchronized (this) {
            p = producer;
            producer = null;
        }
        if (p != null) {
            p.close(wait);
        }
    }
}
