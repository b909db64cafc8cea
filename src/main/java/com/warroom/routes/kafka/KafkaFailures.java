package com.warroom.routes.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import com.warroom.routes.Backoff;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExchangeException;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.RuntimeCamelException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.UnknownProducerIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sorts what went wrong while a consumer route handled a record by what a retry can change, and acts
 * on it (the {@code doCatch} clauses of routes/10-incidents.yaml, 60-template-lookups.yaml and
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
 * Failures of the consumer's own poll, where there is no record to set aside, are sorted the same
 * way by {@link KafkaPollFailures}.
 * <p>
 * Written here because camel-kafka has one answer to a failed exchange (seek back and poll again at
 * once), which loops without pause on an error that comes back every time.
 */
public final class KafkaFailures {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFailures.class);

    public enum Kind { RETRY, SET_ASIDE, STOP }

    /** Non-retriable in Kafka's terms, yet about the group or the producer, never the record: retried. */
    private static final Set<Class<? extends Throwable>> GROUP_OR_PRODUCER_STATE = Set.of(CommitFailedException.class,
            RebalanceInProgressException.class, IllegalGenerationException.class, UnknownMemberIdException.class,
            FencedInstanceIdException.class, ProducerFencedException.class, OutOfOrderSequenceException.class,
            InvalidProducerEpochException.class, UnknownProducerIdException.class, WakeupException.class, InterruptException.class);

    private final Backoff backoff;
    private final MeterRegistry registry;
    /** topic/partition → the offset that failed last and how often in a row */
    private final Map<String, long[]> attempts = new ConcurrentHashMap<>();
    private final AtomicReference<String> refusal = new AtomicReference<>();
    private final Set<String> stoppedRoutes = ConcurrentHashMap.newKeySet();
    /** route id → its hand-over (how many rooms were opened but not in the ledger when it stopped), until it is started again */
    private final Map<String, Handover> handedOver = new ConcurrentHashMap<>();

    private record Handover(CamelContext context, int unrecorded, java.util.concurrent.atomic.AtomicBoolean stopped) {
        /** over once the route, stopped, was started again (by an operator, through Camel's route controller) */
        boolean over(String routeId) {
            org.apache.camel.ServiceStatus status = context.getRouteController().getRouteStatus(routeId);
            return stopped.get() && status != null && status.isStarted();
        }
    }
    private final java.util.concurrent.atomic.AtomicLong stoppingSince = new java.util.concurrent.atomic.AtomicLong();

    public KafkaFailures(Duration initialBackoff, Duration maxBackoff, MeterRegistry registry) {
        this.backoff = new Backoff(initialBackoff, maxBackoff);
        this.registry = registry;
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
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (isWrapper(t)) {
                continue;
            }
            if (t instanceof InterruptedException || t instanceof RetriableException || isGroupOrProducerState(t)) {
                return Kind.RETRY;
            }
            if (t instanceof ApiException || t instanceof SerializationException) {
                return Kind.SET_ASIDE;
            }
            if (t instanceof KafkaException) {
                return Kind.RETRY; // the client's own state (e.g. a producer being closed), not the record
            }
            if (t instanceof CamelExchangeException && t.getCause() == null) {
                return Kind.RETRY; // an exchange stopped or rejected by Camel itself
            }
            return Kind.SET_ASIDE; // a defect handling this record: the same record fails again
        }
        return Kind.SET_ASIDE;
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

    private static boolean isGroupOrProducerState(Throwable t) {
        for (Class<? extends Throwable> c : GROUP_OR_PRODUCER_STATE) {
            if (c.isInstance(t)) {
                return true;
            }
        }
        return false;
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
     * for a refusal and stopped the consumer).
     */
    public static final class Caught implements Predicate {

        private final Kind kind;

        public Caught(Kind kind) {
            this.kind = kind;
        }

        @Override
        public boolean matches(Exchange exchange) {
            return kindOf(exchange) == kind;
        }
    }

    /**
     * Route steps {@code retry-*-later}: counts the retry ({@code kafka_records_retried_total{cause}}),
     * logs one line, waits the record's backoff, then fails the exchange with the same exception, so
     * the consumer seeks back to this record without committing it.
     */
    public void retryLater(Exchange exchange) throws Exception {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (!exchange.getContext().isStopping()) {
            String cause = countRetry(caught);
            long wait = backoffMillis(exchange);
            LOG.warn("{}/{}@{}: Kafka failed ({}); the record is handled again in {} ms", exchange.getProperty(IncomingRecord.TOPIC),
                    exchange.getProperty(IncomingRecord.PARTITION), exchange.getProperty(IncomingRecord.OFFSET), cause, wait);
            Thread.sleep(wait);
        }
        throw rethrowable(caught);
    }

    /**
     * Route step {@code retry-ledger-write}: a write that must not be left to a later handling of the
     * record (the ledger entry of a room just opened: if the partition moved meanwhile, its next owner
     * would open a second room) is tried again in place, after the record's backoff, while the record
     * keeps its partition. While the process stops it is tried for the shutdown time-out, then given up
     * (the exchange fails; what stayed unrecorded is logged at close, see WarRoomLedger). Never past
     * {@link RecordDeadline#ledgerWriteMillis} from the poll's return: then {@link #handOver}.
     */
    public void retryInPlace(Exchange exchange) throws Exception {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String cause = countRetry(caught);
        CamelContext context = exchange.getContext();
        String routeId = exchange.getFromRouteId();
        if (handingOver(routeId)) {
            throw rethrowable(caught); // its consumer is stopping to hand the partitions over: no more writes in place
        }
        long wait;
        if (context.isStopping()) {
            long now = System.nanoTime();
            stoppingSince.compareAndSet(0, now);
            long graceNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(Math.max(1, context.getShutdownStrategy().getTimeout() - 2));
            if (now - stoppingSince.get() > graceNanos) {
                throw rethrowable(caught);
            }
            wait = backoff.initial().toMillis();
        } else {
            wait = backoffMillis(exchange);
            if (RecordDeadline.ledgerWriteNanosLeft(exchange) <= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(wait)) {
                handOver(exchange, cause);
                throw rethrowable(caught);
            }
        }
        LOG.warn("{}/{}@{}: Kafka failed ({}); writing again in {} ms, the record keeps its partition",
                exchange.getProperty(IncomingRecord.TOPIC), exchange.getProperty(IncomingRecord.PARTITION),
                exchange.getProperty(IncomingRecord.OFFSET), cause, wait);
        Thread.sleep(wait);
        exchange.setException(null);
    }

    /**
     * The ledger write of a room just opened still fails as {@code max.poll.interval.ms} comes near
     * ({@link RecordDeadline#ledgerWriteMillis}, from the poll's return): writing on would let the group
     * give the partition to another consumer while this one still holds the record, and that one, not
     * finding the entry, would open a second room. Instead the consumer route stops (Camel's route
     * controller: the consumer leaves the group, nothing of the record committed), readiness
     * {@code kafka-access} turns DOWN, and one line names every room opened but not in the ledger. The
     * entries stay in memory (WarRoomLedger): started again, the route writes them before any create.
     */
    void handOver(Exchange exchange, String cause) {
        String routeId = exchange.getFromRouteId();
        if (routeId == null) {
            return;
        }
        com.warroom.routes.ledger.WarRoomLedger ledger = exchange.getContext().getRegistry()
                .findSingleByType(com.warroom.routes.ledger.WarRoomLedger.class);
        String unrecorded = ledger == null ? "" : ledger.unrecordedIncidents();
        Handover mine = new Handover(exchange.getContext(), ledger == null ? 0 : ledger.unrecordedCount(),
                new java.util.concurrent.atomic.AtomicBoolean());
        if (!handingOver(routeId) && handedOver.putIfAbsent(routeId, mine) == null) {
            LOG.error("{}/{}@{}: the ledger write still fails ({}) as max.poll.interval.ms comes near: route {} stops and hands its "
                    + "partitions over (readiness DOWN); opened but not in the ledger: {}. Before these incidents are handled "
                    + "elsewhere, check the IM for their rooms; restore Kafka, then restart this process or start the route again",
                    exchange.getProperty(IncomingRecord.TOPIC), exchange.getProperty(IncomingRecord.PARTITION),
                    exchange.getProperty(IncomingRecord.OFFSET), cause, routeId, unrecorded.isEmpty() ? "-" : unrecorded);
            stopRoute(exchange.getContext(), routeId, mine.stopped());
        }
    }

    /** True while the route stops, or stays stopped, to hand its partitions over. */
    private boolean handingOver(String routeId) {
        Handover h = routeId == null ? null : handedOver.get(routeId);
        if (h != null && h.over(routeId)) {
            handedOver.remove(routeId, h);
            return false;
        }
        return h != null;
    }

    /**
     * Route steps {@code stop-consuming-*}: Kafka refused the module (or the dead-letter topic refused
     * even a minimal copy). Says so once, marks readiness DOWN, stops the consumer route from another
     * thread (a route cannot wait for its own exchange), and fails the exchange: nothing is committed.
     */
    public void stopConsuming(Exchange exchange) throws Exception {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Throwable kafka = kafkaCause(caught);
        String what = (kafka != null ? kafka : caught == null ? new IllegalStateException() : caught).getClass().getSimpleName();
        String routeId = exchange.getFromRouteId();
        refused(what, "route " + routeId + " handled " + exchange.getProperty(IncomingRecord.TOPIC) + "/"
                + exchange.getProperty(IncomingRecord.PARTITION) + "@" + exchange.getProperty(IncomingRecord.OFFSET));
        if (routeId != null && stoppedRoutes.add(routeId)) {
            stopRoute(exchange.getContext(), routeId, new java.util.concurrent.atomic.AtomicBoolean());
        } else if (!exchange.getContext().isStopping()) {
            Thread.sleep(backoff.initial().toMillis()); // the record came again while the route stops: no spin
        }
        throw rethrowable(caught);
    }

    /** Stops the route through Camel's route controller, from another thread: a route cannot wait for its own exchange. */
    private static void stopRoute(CamelContext context, String routeId, java.util.concurrent.atomic.AtomicBoolean stopped) {
        Thread stopper = new Thread(() -> {
            try {
                context.getRouteController().stopRoute(routeId);
                stopped.set(true);
            } catch (Exception e) {
                LOG.error("cannot stop route {} ({})", routeId, e.getClass().getSimpleName());
            }
        }, "war-room-stop-" + routeId);
        stopper.setDaemon(true);
        stopper.start();
    }

    /** Kafka refused the module: said once (the first refusal), readiness DOWN from now on. */
    void refused(String what, String where) {
        if (refusal.compareAndSet(null, what)) {
            LOG.error("Kafka refused this module ({}) while {}: that consumer stops and commits nothing; fix the principal's "
                    + "ACLs, credentials or the dead-letter topic, then restart", what, where);
        }
    }

    /** Counts one retry of the given cause ({@code kafka_records_retried_total{cause}}) and returns the bounded label. */
    String countRetry(Throwable caught) {
        String cause = causeLabel(caught);
        registry.counter("kafka.records.retried", "cause", cause).increment();
        return cause;
    }

    Backoff backoff() {
        return backoff;
    }

    /** Readiness {@code kafka-access}: false once Kafka refused the module. */
    public boolean isConsuming() {
        return refusal.get() == null && handedOver.keySet().stream().noneMatch(this::handingOver);
    }

    /** Readiness message of {@code kafka-access} while {@link #isConsuming()} is false. */
    public String whyNotConsuming() {
        java.util.List<String> routes = handedOver.keySet().stream().filter(this::handingOver).sorted().toList();
        if (!routes.isEmpty()) {
            // names and counts only: the incidents are named in the log line
            return "a ledger write failed until max.poll.interval.ms came near: route(s) " + String.join(", ", routes)
                    + " stopped to hand the partitions over; " + routes.stream().mapToInt(r -> {
                        Handover h = handedOver.get(r);
                        return h == null ? 0 : h.unrecorded();
                    }).sum() + " war room(s) opened but not in the ledger, named in the log";
        }
        return "Kafka refused this module (authorization, authentication or the dead-letter topic): consuming stopped, see the log";
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
        Throwable t = kafkaCause(caught);
        if (t == null) {
            for (t = caught; t != null && isWrapper(t); t = t.getCause()) {
                // down to the first real cause
            }
        }
        if (t == null) {
            return "other";
        }
        String name = t.getClass().getName();
        return name.startsWith("org.apache.kafka.") || name.startsWith("org.apache.camel.") || t instanceof InterruptedException
                ? t.getClass().getSimpleName() : "other";
    }

    private static Exception rethrowable(Throwable caught) {
        if (caught instanceof Exception e) {
            return e;
        }
        return new RuntimeCamelException(caught == null ? new IllegalStateException("no exception caught") : caught);
    }
}
