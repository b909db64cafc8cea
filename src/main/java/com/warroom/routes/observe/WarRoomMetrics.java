package com.warroom.routes.observe;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.DoubleStream;

import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.catalog.ImCatalogFreshness;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.flashduty.FlashdutyHealth;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.http.BoundedAnswers;
import com.warroom.routes.incident.EventAge;
import com.warroom.routes.incident.IncidentEventParser;
import com.warroom.routes.kafka.IncomingRecord;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.warroom.WarRoomState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;

/**
 * The module's own Prometheus metrics, in the Micrometer registry that {@link PrometheusMetrics}
 * serves on {@code /observe/metrics}. Counters are counted by bean steps the routes name
 * ({@code count-result}, {@code count-flashduty-call}, {@code count-dead-letter}), which also observe the
 * histograms (event and record time to result, Flashduty call time); the budget wait, 429 answers, ledger
 * size and the IM catalog's staleness come from the beans that already keep them. Every name starts with
 * {@code war_room_}; histograms have the fixed buckets below (and {@code +Inf}), no percentiles.
 * <p>
 * Labels only ever hold values from a bounded set: a Flashduty error code or endpoint that is not
 * known here is counted as {@code other}, so a server answer can neither invent label values nor
 * smuggle text into the metrics. The beans read by function meters are held by Camel's registry
 * for the life of the context (Micrometer keeps only weak references to them).
 */
public final class WarRoomMetrics {

    static final String OTHER = "other";
    static final Set<String> STATUSES = Set.of("created", "already_exists", "skipped", "failed");
    static final Set<String> ENDPOINTS = Set.of("/incident/war-room/create", "/datasource/im/war-room-enabled/list",
            "/template/info", "/template/list");
    /** Flashduty's documented error codes (see the API contract) and the transport outcomes of FlashdutyResponses. */
    static final Set<String> CODES = Set.of("InvalidParameter", "BadRequest", "InvalidContentType", "ResourceNotFound",
            "NoLicense", "ReferenceExist", "Unauthorized", "BalanceNotEnough", "AccessDenied", "RouteNotFound",
            "MethodNotAllowed", "UndonedOrderExist", "RequestLocked", "EntityTooLarge", "RequestTooFrequently",
            "RequestVerifyRequired", "DangerousOperation", "InternalError", "ServiceUnavailable",
            FlashdutyResponses.CONNECTION_ERROR, FlashdutyResponses.TIMEOUT, FlashdutyResponses.NO_RESPONSE,
            FlashdutyResponses.INVALID_RESPONSE, FlashdutyResponses.OUTCOME_UNKNOWN, FlashdutyResponses.ANSWER_TOO_LARGE,
            FlashdutyResponses.DEADLINE_EXCEEDED);
    /** the transport outcomes of an attempt (no answer of Flashduty's to judge) */
    static final Set<String> TRANSPORT = Set.of(FlashdutyResponses.CONNECTION_ERROR, FlashdutyResponses.TIMEOUT,
            FlashdutyResponses.NO_RESPONSE, FlashdutyResponses.INVALID_RESPONSE, FlashdutyResponses.OUTCOME_UNKNOWN,
            FlashdutyResponses.ANSWER_TOO_LARGE);
    /** a reason a route sets as a constant (skipped / channel_filtered and the like) */
    private static final Pattern ROUTE_REASON = Pattern.compile("[a-z][a-z0-9_]{0,39}");
    /** histogram buckets (le, seconds) of the time from an event (or its record) to its result */
    static final double[] TO_RESULT = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
    static final double[] CALL = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    static final double[] BUDGET_WAIT = {0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** the variable step {@code flashduty-http-sent} sets: when this attempt's HTTP exchange began (nanoTime) */
    static final String HTTP_SENT = "flashdutyHttpSent";

    private final MeterRegistry registry;
    private final EventAge clock;
    /** the meters by name and tags: Micrometer's look-up builds and sorts the tags each time (1.2-1.7% of the replay's consumer thread) */
    private final Map<List<String>, Meter> meters = new ConcurrentHashMap<>();

    /** The budget journal's claims: written, given back, and the other replicas' claims the long window holds now. */
    public void budgetClaims(com.warroom.routes.budget.BudgetJournal journal, long longestWindowMillis) {
        FunctionCounter.builder("war.room.flashduty.budget.claims", journal, com.warroom.routes.budget.BudgetJournal::claimsWritten)
                .description("claims this replica wrote to the budget journal").register(registry);
        FunctionCounter.builder("war.room.flashduty.budget.calls.given.back", journal, com.warroom.routes.budget.BudgetJournal::callsGivenBack)
                .description("calls of this replica's claims it did not make and gave back").register(registry);
        Gauge.builder("war.room.flashduty.budget.others.claimed", journal, j -> j.othersHeld(longestWindowMillis)).strongReference(true)
                .description("calls the other replicas (and earlier processes) claimed that the long window holds now").register(registry);
    }

    public WarRoomMetrics(MeterRegistry registry, WarRoomLedger ledger, FlashdutyResponses responses, AccountRateBudget budget,
            ImCatalogFreshness catalog, EventAge clock) {
        this.registry = registry;
        this.clock = clock;
        Gauge.builder("war.room.ledger.size", ledger, WarRoomLedger::size).strongReference(true)
                .description("incidents with a war room in the ledger").register(registry);
        FunctionCounter.builder("war.room.flashduty.rate.limited", responses.health(), FlashdutyHealth::rateLimitedAnswers)
                .description("Flashduty answers RequestTooFrequently (429)").register(registry);
        Timer budgetWait = histogram("war.room.flashduty.budget.wait", BUDGET_WAIT, "time Flashduty calls waited for the account rate budget");
        budget.observeWaits(nanos -> budgetWait.record(nanos, TimeUnit.NANOSECONDS));
        Gauge.builder("war.room.flashduty.budget.waiting", budget, AccountRateBudget::waiting).strongReference(true)
                .description("Flashduty calls waiting for the budget now").register(registry);
        Gauge.builder("war.room.flashduty.budget.share.per.minute", budget, b -> b.limits()[1]).strongReference(true)
                .description("calls this replica may start in the long window beside its own: the account's limit, 0 while the "
                        + "budget is closed (before it joined the budget group, a background thread down, settings refused)")
                .register(registry);
        for (String provider : catalog.providers()) {
            Gauge.builder("war.room.im.catalog.stale", catalog, c -> c.isStale(provider) ? 1 : 0).strongReference(true)
                    .tag("provider", provider)
                    .description("1 while this source's latest catalog refresh failed (the catalog keeps its last good entries)")
                    .register(registry);
            Gauge.builder("war.room.im.catalog.last.success.timestamp.seconds", catalog, c -> c.lastSuccessEpochSeconds(provider))
                    .strongReference(true).tag("provider", provider)
                    .description("epoch seconds of this source's last successful catalog refresh (0: none since start)")
                    .register(registry);
        }
    }

    /** war_room_http_answers_too_large_total{service}: answers cut at their byte cap (BoundedAnswers), whichever call read them. */
    public void answersTooLarge(String service, BoundedAnswers answers) {
        FunctionCounter.builder("war.room.http.answers.too.large", answers, BoundedAnswers::tooLarge).tag("service", service)
                .description("HTTP answers larger than their byte cap (after inflation): cut there, the call failed").register(registry);
    }

    /**
     * Route step {@code count-result}: one per published result, and its time since the event's {@code event_time}
     * and since its Kafka record's timestamp, by the clock {@link EventAge} judges ages by (the broker's when this
     * host's is off). A time in the future (an {@code event_time} ahead, a skewed producer clock) counts as 0, never negative.
     */
    public void result(Exchange exchange) {
        String status = bounded(exchange.getProperty(WarRoomState.STATUS, String.class), STATUSES);
        String reason = exchange.getProperty(WarRoomState.REASON, String.class);
        String label;
        if (reason == null || reason.isEmpty()) {
            label = "none";
        } else if ("failed".equals(status)) {
            label = bounded(reason, CODES); // failed carries Flashduty's error.code
        } else {
            label = ROUTE_REASON.matcher(reason).matches() ? reason : OTHER;
        }
        counter("war.room.results", "status", status, "reason", label).increment();
        long now = clock.clockMillis();
        since("war.room.event.to.result", status, exchange.getProperty(IncidentEventParser.EVENT_TIME, Long.class), now);
        since("war.room.record.to.result", status, exchange.getProperty(IncomingRecord.TIMESTAMP, Long.class), now);
    }

    private void since(String histogram, String status, Long time, long now) {
        if (time != null && time > 0) {
            timer(histogram, TO_RESULT, "status", status).record(clampedMillis(time, now), TimeUnit.MILLISECONDS);
        }
    }

    /** {@code now - time}, 0 when time is ahead of now (and saturated, as EventAge judges). */
    static long clampedMillis(long time, long now) {
        return Math.max(0, EventAge.minus(now, time));
    }

    /** Step {@code flashduty-http-sent}, just before the HTTP step: when the exchange with Flashduty began. */
    public long now() {
        return System.nanoTime();
    }

    /**
     * Route step {@code count-flashduty-call}: one per Flashduty attempt, after it was classified; with its HTTP
     * time when it was sent (an attempt whose deadline passed in the budget wait was not).
     */
    public void flashdutyCall(Exchange exchange) {
        String endpoint = bounded(exchange.getProperty(FlashdutyCallState.PATH, String.class), ENDPOINTS);
        String code = exchange.getProperty(FlashdutyCallState.ERROR_CODE, String.class);
        counter("war.room.flashduty.calls", "endpoint", endpoint, "code", code == null ? "success" : bounded(code, CODES)).increment();
        Long sent = (Long) exchange.removeVariable(HTTP_SENT);
        if (sent != null) {
            timer("war.room.flashduty.call.duration", CALL, "endpoint", endpoint, "outcome", outcome(code))
                    .record(System.nanoTime() - sent, TimeUnit.NANOSECONDS);
        }
    }

    /** The outcome class of an attempt by its code: success, rate_limited, transport_error or error (Flashduty's error.code). */
    static String outcome(String code) {
        if (code == null) {
            return "success";
        }
        return "RequestTooFrequently".equals(code) ? "rate_limited" : TRANSPORT.contains(code) ? "transport_error" : "error";
    }

    /** Route step {@code count-dead-letter}: one per record written to the dead-letter topic. */
    public void deadLettered(Exchange exchange) {
        String reason = exchange.getProperty(DeadLetterPublisher.REASON_PROPERTY, String.class);
        counter("war.room.dead.lettered", "reason", reason != null && ROUTE_REASON.matcher(reason).matches() ? reason : OTHER).increment();
    }

    private Counter counter(String name, String... tags) {
        return (Counter) meter(name, tags, () -> registry.counter(name, tags));
    }

    private Timer timer(String name, double[] buckets, String... tags) {
        return (Timer) meter(name, tags, () -> histogram(name, buckets, null, tags));
    }

    /** the tags' values come from bounded sets */
    private Meter meter(String name, String[] tags, Supplier<Meter> make) {
        String[] named = Arrays.copyOf(tags, tags.length + 1);
        named[tags.length] = name;
        List<String> key = Arrays.asList(named);
        Meter m = meters.get(key);
        return m != null ? m : meters.computeIfAbsent(key, k -> make.get());
    }

    /** A histogram of seconds with exactly these buckets (le) and +Inf: no percentiles, no other buckets. */
    private Timer histogram(String name, double[] buckets, String description, String... tags) {
        return Timer.builder(name).tags(tags).description(description).publishPercentileHistogram(false)
                .serviceLevelObjectives(DoubleStream.of(buckets).mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9))).toArray(Duration[]::new))
                .register(registry);
    }

    static String bounded(String value, Set<String> known) {
        return value != null && known.contains(value) ? value : OTHER;
    }
}
