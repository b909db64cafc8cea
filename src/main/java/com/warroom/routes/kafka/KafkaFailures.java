package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.warroom.routes.Backoff;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExchangeException;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.Route;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.support.RoutePolicySupport;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sorts what went wrong while a consumer route handled a record by what a retry can change, and acts
 * on it (the {@code onException} clauses of routes/05-error-handling.yaml and the {@code doCatch} clauses of
 * 80-dead-letters.yaml name these methods):
 * <ul>
 * <li>{@link Kind#RETRY}: the broker is down, a time-out, a leader change, a rebalance under a commit,
 * a producer that must recover, the process stopping. The record is not committed; after a backoff
 * that grows per record (KAFKA_RETRY_INITIAL_BACKOFF doubling up to KAFKA_RETRY_MAX_BACKOFF) the
 * consumer seeks back and handles it again. Nothing is lost, and nothing spins.</li>
 * <li>{@link Kind#SET_ASIDE}: the same record would fail the same way again: Kafka refused what the
 * record made (too large, an invalid record, a serialization error, any other error Kafka marks
 * non-retriable), or a defect handling it. It goes to the dead-letter topic and the partition moves on.</li>
 * <li>{@link Kind#STOP}: Kafka refused this module itself (authorization, authentication), which no
 * record causes and no retry mends. The consumer route stops, one log line and readiness say why, and
 * nothing is committed, so a restart after the ACLs are fixed goes on where it stopped.</li>
 * </ul>
 * Failures of the consumer's own poll, where there is no record to set aside, are polled again after
 * the backoff by {@link KafkaPollFailures}, a refusal too (it ends once the ACL is granted). What each kind does is routes/05-error-handling.yaml; the waits are
 * Camel's {@code delay} and redelivery, and this is the consumer routes' route policy, which stops a
 * route through Camel's route controller once the exchange that asked for it is done.
 */
public final class KafkaFailures extends RoutePolicySupport {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFailures.class);

    public enum Kind { RETRY, SET_ASIDE, STOP }

    /** The war rooms opened whose ledger entry Kafka has not taken yet (the ledger, found in the registry): named at a hand-over. */
    public interface Unrecorded {
        int unrecordedCount();

        /** {@code incident_id=… chat_id=…, …} */
        String unrecordedIncidents();
    }

    /** Retried: retriable in Kafka's terms, or non-retriable yet about the group or the producer, never the record. */
    private static final Set<Class<? extends Throwable>> RETRIED = Set.of(InterruptedException.class, RetriableException.class,
            CommitFailedException.class, RebalanceInProgressException.class, IllegalGenerationException.class, UnknownMemberIdException.class,
            FencedInstanceIdException.class, ProducerFencedException.class, OutOfOrderSequenceException.class,
            InvalidProducerEpochException.class, UnknownProducerIdException.class, WakeupException.class, InterruptException.class);

    private final Backoff backoff;
    private final MeterRegistry registry;
    /** topic/partition → the offset that failed last and how often in a row */
    private final Map<String, long[]> attempts = new ConcurrentHashMap<>();
    private final AtomicReference<String> refusal = new AtomicReference<>();
    /** routes to stop once their exchange is done: Kafka refused the module */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    /** route id → how many rooms were opened but not in the ledger when it handed its partitions over, until it starts again */
    private final Map<String, Integer> handedOver = new ConcurrentHashMap<>();
    private final AtomicLong stoppingSince = new AtomicLong();
    /** the last refusal of a consumer's poll, and when (System.nanoTime) */
    private volatile String pollRefusal;
    private volatile long pollRefusedAt;

    public KafkaFailures(Duration initialBackoff, Duration maxBackoff, MeterRegistry registry) {
        this.backoff = new Backoff(initialBackoff, maxBackoff);
        this.registry = registry;
        registry.counter("war.room.kafka.records.retried", "cause", "other"); // the family exists (at 0) before the first retry
    }

    /** The kind of a failure; see the class comment. */
    public static Kind kindOf(Throwable caught) {
        if (caught == null) {
            return Kind.RETRY;
        }
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
                return Kind.STOP;
            }
        }
        Throwable t = unwrapped(caught);
        if (RETRIED.stream().anyMatch(c -> c.isInstance(t))) {
            return Kind.RETRY;
        }
        if (t instanceof ApiException || t instanceof SerializationException) {
            return Kind.SET_ASIDE;
        }
        // retried: the client's own state (e.g. a producer being closed), or an exchange stopped or rejected by Camel itself;
        // anything else is a defect handling this record: the same record fails again
        return t instanceof KafkaException || t instanceof CamelExchangeException && t.getCause() == null ? Kind.RETRY : Kind.SET_ASIDE;
    }

    /**
     * What Kafka refused, as far as its exception tells, in ACL terms: {@code "not authorized: Read on topic
     * war-room-incidents (ACL missing for this module's principal)"}; for a refused login, which credentials
     * class; null when {@code caught} is no refusal. {@code topicOperation}: what the client was doing with the
     * topic (Read when polling, Write when producing); a group is always Read, the cluster IdempotentWrite for a
     * writer, else Describe. Names and classes only, never a credential.
     */
    public static String refusal(Throwable caught, String topicOperation) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof AuthenticationException) {
                return "Kafka refused this module's credentials (" + t.getClass().getSimpleName() + ")";
            }
            String on = null;
            if (t instanceof TopicAuthorizationException e) {
                on = topicOperation + " on topic " + (e.unauthorizedTopics().isEmpty() ? "(not named by Kafka)"
                        : String.join(", ", new TreeSet<>(e.unauthorizedTopics())));
            } else if (t instanceof GroupAuthorizationException e) {
                on = "Read on group " + Objects.requireNonNullElse(e.groupId(), "(not named by Kafka)");
            } else if (t instanceof ClusterAuthorizationException) {
                on = (topicOperation.contains("Write") ? "IdempotentWrite" : "Describe") + " on the cluster";
            } else if (t instanceof TransactionalIdAuthorizationException) {
                on = "Write on a transactional id";
            } else if (t instanceof AuthorizationException) {
                on = topicOperation + " (" + t.getClass().getSimpleName() + ")";
            }
            if (on != null) {
                return "not authorized: " + on + " (ACL missing for this module's principal)";
            }
        }
        return null;
    }

    /** The first cause under the wrappers. */
    private static Throwable unwrapped(Throwable caught) {
        Throwable t = caught;
        while (isWrapper(t)) {
            t = t.getCause();
        }
        return t;
    }

    /** The first Kafka exception under the wrappers, or null: what a set-aside record's headers name. */
    public static Throwable kafkaCause(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof KafkaException && !isWrapper(t)) {
                return t;
            }
        }
        return null;
    }

    private static boolean isWrapper(Throwable t) {
        return t.getCause() != null && (t instanceof ExecutionException || t instanceof CompletionException
                || t instanceof CamelExecutionException || t.getClass() == RuntimeCamelException.class
                || t.getClass() == KafkaException.class);
    }

    private static Kind kindOf(Exchange exchange) {
        if (exchange.getContext().isStopping()) {
            return Kind.RETRY; // never set a record aside because the process is stopping under it
        }
        // while a doCatch decides, the exception being caught is still the exchange's own;
        // EXCEPTION_CAUGHT is set only once a clause has taken it (and may still be an outer one's)
        Throwable caught = exchange.getException();
        return kindOf(caught != null ? caught : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
    }

    /**
     * The onWhen of a doCatch clause, named with the {@code ref} language ({@code retriableKafkaFailure},
     * {@code kafkaRefusal}): true when the exception being caught is of this kind. A {@code method}
     * predicate would not do: Camel calls the bean on a copy of the exchange without its exception,
     * so the bean would see only EXCEPTION_CAUGHT, which inside a dead-letter route called from a
     * catch is still the outer catch's (a dead-letter copy Kafka could not take for now was taken
     * for a refusal and stopped the consumer). With {@code whileProperty}: only while that exchange
     * property is true (a step that marks what it is doing; null: always).
     */
    public record Caught(Kind kind, String whileProperty) implements Predicate {

        @Override
        public boolean matches(Exchange exchange) {
            return kindOf(exchange) == kind && (whileProperty == null || exchange.getProperty(whileProperty, false, Boolean.class));
        }
    }

    /**
     * The {@code delay} of steps {@code retry-later} and {@code retry-dead-letter-later}: counts the retry
     * ({@code war_room_kafka_records_retried_total{cause}}), logs one line and returns the record's backoff in
     * milliseconds; the exchange stays failed, so the consumer seeks back to this record without committing it.
     */
    public long retryLater(Exchange exchange) {
        String cause = countRetry(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        if (exchange.getContext().isStopping() || stopRequested(exchange.getFromRouteId())) {
            return 0; // stopping: nothing to wait for
        }
        long wait = backoffMillis(exchange);
        LOG.warn("{}: Kafka failed ({}); the record is handled again in {} ms", where(exchange), cause, wait);
        return wait;
    }

    /**
     * The {@code retryWhile} of the ledger write (routes/05-error-handling.yaml): counts and logs each
     * failed attempt and says whether to write again in place, after Camel's redelivery delay. While the
     * process stops, for the shutdown time-out less 2 s, then given up (what stayed unrecorded is logged
     * at close, see the ledger). Never past {@link RecordDeadline#ledgerWriteMillis} from the poll's
     * return: then {@link #handOver}. A {@code ref} predicate (bean {@code ledgerWriteAgain}), for the
     * reason given at {@link Caught}.
     */
    public boolean writeLedgerAgain(Exchange exchange) {
        Throwable caught = exchange.getException();
        String cause = countRetry(caught != null ? caught : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        CamelContext context = exchange.getContext();
        if (stopRequested(exchange.getFromRouteId())) {
            return false; // its consumer is stopping: no more writes in place
        }
        if (context.isStopping()) {
            long now = System.nanoTime();
            stoppingSince.compareAndSet(0, now);
            exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, backoff.initial().toMillis());
            return now - stoppingSince.get() <= TimeUnit.SECONDS.toNanos(Math.max(1, context.getShutdownStrategy().getTimeout() - 2));
        }
        // the record's backoff (doubling, ±20%) is the delay Camel's redelivery waits: its redeliveryDelay options take
        // milliseconds only, the settings are durations (KAFKA_RETRY_INITIAL_BACKOFF, 1s)
        int redeliveries = exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class);
        long wait = backoff.jitteredMillis(redeliveries + 1);
        if (RecordDeadline.ledgerWriteNanosLeft(exchange) <= TimeUnit.MILLISECONDS.toNanos(wait)) {
            handOver(exchange, cause);
            return false;
        }
        exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, wait);
        LOG.warn("{}: Kafka failed ({}); writing again in {} ms, the record keeps its partition", where(exchange), cause, wait);
        return true;
    }

    /** Steps {@code dead-letter-not-written}, {@code dead-letter-refused-fails}: the record stays failed, nothing committed. */
    public void failAgain(Exchange exchange) throws Exception {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        throw caught instanceof Exception e ? e : new RuntimeCamelException(caught);
    }

    /**
     * The ledger write of a room just opened still fails as {@code max.poll.interval.ms} comes near
     * ({@link RecordDeadline#ledgerWriteMillis}, from the poll's return): writing on would let the group
     * give the partition to another consumer while this one still holds the record, and that one, not
     * finding the entry, would open a second room. Instead the consumer route stops (nothing of the record
     * committed), readiness {@code kafka-access} turns DOWN, and one line names every room opened but not
     * in the ledger. The entries stay in memory (the ledger): started again, the route writes them
     * before any create.
     */
    void handOver(Exchange exchange, String cause) {
        String routeId = exchange.getFromRouteId();
        Unrecorded ledger = exchange.getContext().getRegistry().findSingleByType(Unrecorded.class);
        if (routeId != null && handedOver.putIfAbsent(routeId, ledger == null ? 0 : ledger.unrecordedCount()) == null) {
            String unrecorded = ledger == null ? "" : ledger.unrecordedIncidents();
            LOG.error("{}: the ledger write still fails ({}) as max.poll.interval.ms comes near: route {} stops and hands its "
                    + "partitions over (readiness DOWN); opened but not in the ledger: {}. Before these incidents are handled "
                    + "elsewhere, check the IM for their rooms; restore Kafka, then restart this process or start the route again",
                    where(exchange), cause, routeId, unrecorded.isEmpty() ? "-" : unrecorded);
        }
    }

    /**
     * The {@code delay} of steps {@code stop-consuming} and {@code stop-consuming-dead-letters}: Kafka refused
     * the module (or the dead-letter topic refused even a minimal copy). Says so once, marks readiness DOWN
     * and has the route stopped once this exchange is done; the exchange stays failed, nothing is committed.
     * Returns the wait before the record may come again: none the first time, a backoff while the route stops.
     */
    public long stopConsuming(Exchange exchange) {
        String routeId = exchange.getFromRouteId();
        refused(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class), "route " + routeId + " handled " + where(exchange));
        boolean first = routeId != null && refused.add(routeId);
        return first || exchange.getContext().isStopping() ? 0 : backoff.initial().toMillis();
    }

    /** Stops a route that asked for it ({@link #stopConsuming}, {@link #handOver}) once its exchange is done, through Camel's route controller. */
    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        if (stopRequested(route.getRouteId()) && !route.getCamelContext().isStopping() && stopping.add(route.getRouteId())) {
            stopRouteAsync(route); // on a thread of Camel's: a route cannot wait for its own exchange
        }
    }

    /** Started again (by an operator, through Camel's route controller): the hand-over is over; a refusal stays in readiness. */
    @Override
    public void onStart(Route route) {
        handedOver.remove(route.getRouteId());
        refused.remove(route.getRouteId());
        stopping.remove(route.getRouteId());
    }

    /** Kafka refused the module ({@code caught}, a producer's write or a commit of a route): said once (the first refusal), readiness DOWN from now on. */
    void refused(Throwable caught, String where) {
        String what = Objects.requireNonNullElseGet(refusal(caught, "Write"), () -> "the dead-letter topic refused even a minimal copy ("
                + (caught == null ? "IllegalStateException" : Objects.requireNonNullElse(kafkaCause(caught), caught).getClass().getSimpleName()) + ")");
        if (refusal.compareAndSet(null, what)) {
            LOG.error("Kafka refused this module, {}, while {}: that consumer stops and commits nothing; grant the ACL "
                    + "(or fix the credentials or the dead-letter topic), then restart", what, where);
        }
    }

    /**
     * A consumer's poll was refused ({@link KafkaPollFailures}): said once for a run of refusals, readiness DOWN while
     * they go on; the poll is tried again after the backoff, so consuming resumes by itself once the ACL is granted.
     */
    void pollRefused(Throwable caught, String thread) {
        String what = refusal(caught, "Read");
        long now = System.nanoTime();
        if (!pollRefusedRecently(now) || !what.equals(pollRefusal)) {
            LOG.error("Kafka refused this module, {}, while polling in {}: nothing is consumed or committed; polled again after "
                    + "a backoff (up to KAFKA_RETRY_MAX_BACKOFF) until it is granted", what, thread);
        }
        pollRefusal = what;
        pollRefusedAt = now;
    }

    /** Refusals of a poll come at least every maximum backoff while they go on: none for twice that, and they are over. */
    private boolean pollRefusedRecently(long now) {
        return pollRefusal != null && now - pollRefusedAt <= 2 * backoff.max().toNanos() + TimeUnit.SECONDS.toNanos(5);
    }

    /** Counts one retry of the given cause ({@code war_room_kafka_records_retried_total{cause}}) and returns the bounded label. */
    String countRetry(Throwable caught) {
        String cause = causeLabel(caught);
        registry.counter("war.room.kafka.records.retried", "cause", cause).increment();
        return cause;
    }

    Backoff backoff() {
        return backoff;
    }

    private boolean stopRequested(String routeId) {
        return routeId != null && (refused.contains(routeId) || handedOver.containsKey(routeId));
    }

    /** Readiness {@code kafka-access}: false once Kafka refused the module, while a consumer's polls are refused, or while a route has handed its partitions over. */
    public boolean isConsuming() {
        return refusal.get() == null && handedOver.isEmpty() && !pollRefusedRecently(System.nanoTime());
    }

    /** Readiness message of {@code kafka-access} while {@link #isConsuming()} is false: what Kafka refused (resource and operation), or the hand-over. */
    public String whyNotConsuming() {
        if (!handedOver.isEmpty()) {
            // names and counts only: the incidents are named in the log line
            return "a ledger write failed until max.poll.interval.ms came near: route(s) " + String.join(", ", new TreeSet<>(handedOver.keySet()))
                    + " stopped to hand the partitions over; " + handedOver.values().stream().mapToInt(Integer::intValue).sum()
                    + " war room(s) opened but not in the ledger, named in the log";
        }
        String refused = refusal.get();
        return refused != null ? "Kafka refused this module, " + refused + ": that consumer stopped, see the log"
                : "Kafka refused this module, " + pollRefusal + ": polling again after a backoff";
    }

    private static String where(Exchange exchange) {
        return exchange.getProperty(IncomingRecord.TOPIC) + "/" + exchange.getProperty(IncomingRecord.PARTITION) + "@"
                + exchange.getProperty(IncomingRecord.OFFSET);
    }

    /** How long this record waits before it is handled again: doubling per failure of the same offset, ±20%. */
    long backoffMillis(Exchange exchange) {
        String partition = exchange.getProperty(IncomingRecord.TOPIC) + "/" + exchange.getProperty(IncomingRecord.PARTITION);
        long offset = exchange.getProperty(IncomingRecord.OFFSET, -1L, Long.class);
        long[] a = attempts.compute(partition, (k, v) -> v == null || v[0] != offset ? new long[] {offset, 1} : new long[] {offset, v[1] + 1});
        return backoff.jitteredMillis(a[1]);
    }

    /** A bounded label: the class name of a Kafka or Camel exception (a fixed set), else {@code other}. */
    static String causeLabel(Throwable caught) {
        Throwable t = caught == null ? null : Objects.requireNonNullElse(kafkaCause(caught), unwrapped(caught));
        String name = t == null ? "" : t.getClass().getName();
        return name.startsWith("org.apache.kafka.") || name.startsWith("org.apache.camel.") || t instanceof InterruptedException
                ? t.getClass().getSimpleName() : "other";
    }
}
