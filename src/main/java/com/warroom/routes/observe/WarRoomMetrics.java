package com.warroom.routes.observe;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.warroom.routes.budget.AccountRateBudget;
import com.warroom.routes.catalog.ImCatalogFreshness;
import com.warroom.routes.flashduty.FlashdutyCallState;
import com.warroom.routes.flashduty.FlashdutyHealth;
import com.warroom.routes.flashduty.FlashdutyResponses;
import com.warroom.routes.http.BoundedAnswers;
import com.warroom.routes.kafka.DeadLetterPublisher;
import com.warroom.routes.ledger.WarRoomLedger;
import com.warroom.routes.warroom.WarRoomState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;

/**
 * The module's own Prometheus metrics, in the Micrometer registry that {@link PrometheusMetrics}
 * serves on {@code /observe/metrics}. Counters are counted by bean steps the routes name
 * ({@code count-result}, {@code count-flashduty-call}, {@code count-dead-letter}); the budget wait,
 * 429 answers, ledger size and the IM catalog's staleness are read from the beans that already keep them.
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
    /** a reason a route sets as a constant (skipped / channel_filtered and the like) */
    private static final Pattern ROUTE_REASON = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    private final MeterRegistry registry;
    /** the counters by their tags: Micrometer's look-up builds and sorts the tags each time (1.2-1.7% of the replay's consumer thread) */
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();

    /** The budget journal's claims: written, given back, and the other replicas' claims the long window holds now. */
    public void budgetClaims(com.warroom.routes.budget.BudgetJournal journal, long longestWindowMillis) {
        FunctionCounter.builder("flashduty.budget.claims", journal, com.warroom.routes.budget.BudgetJournal::claimsWritten)
                .description("claims this replica wrote to the budget journal").register(registry);
        FunctionCounter.builder("flashduty.budget.calls.given.back", journal, com.warroom.routes.budget.BudgetJournal::callsGivenBack)
                .description("calls of this replica's claims it did not make and gave back").register(registry);
        Gauge.builder("flashduty.budget.others.claimed", journal, j -> j.othersHeld(longestWindowMillis)).strongReference(true)
                .description("calls the other replicas (and earlier processes) claimed that the long window holds now").register(registry);
    }

    public WarRoomMetrics(MeterRegistry registry, WarRoomLedger ledger, FlashdutyResponses responses, AccountRateBudget budget,
            ImCatalogFreshness catalog) {
        this.registry = registry;
        Gauge.builder("war.room.ledger.size", ledger, WarRoomLedger::size).strongReference(true)
                .description("incidents with a war room in the ledger").register(registry);
        FunctionCounter.builder("flashduty.rate.limited", responses.health(), FlashdutyHealth::rateLimitedAnswers)
                .description("Flashduty answers RequestTooFrequently (429)").register(registry);
        FunctionTimer.builder("flashduty.budget.wait", budget, AccountRateBudget::permitsGranted,
                        AccountRateBudget::totalWaitNanos, TimeUnit.NANOSECONDS)
                .description("time Flashduty calls waited for the account rate budget").register(registry);
        Gauge.builder("flashduty.budget.waiting", budget, AccountRateBudget::waiting).strongReference(true)
                .description("Flashduty calls waiting for the budget now").register(registry);
        Gauge.builder("flashduty.budget.share.per.minute", budget, b -> b.limits()[1]).strongReference(true)
                .description("calls this replica may start in the long window beside its own: the account's limit, 0 while the "
                        + "budget is closed (before it joined the budget group, a background thread down, settings refused)")
                .register(registry);
        for (String provider : catalog.providers()) {
            Gauge.builder("im.catalog.stale", catalog, c -> c.isStale(provider) ? 1 : 0).strongReference(true)
                    .tag("provider", provider)
                    .description("1 while this source's latest catalog refresh failed (the catalog keeps its last good entries)")
                    .register(registry);
            Gauge.builder("im.catalog.last.success.seconds", catalog, c -> c.lastSuccessEpochSeconds(provider))
                    .strongReference(true).tag("provider", provider)
                    .description("epoch seconds of this source's last successful catalog refresh (0: none since start)")
                    .register(registry);
        }
    }

    /** http_answers_too_large_total{service}: answers cut at their byte cap (BoundedAnswers), whichever call read them. */
    public void answersTooLarge(String service, BoundedAnswers answers) {
        FunctionCounter.builder("http.answers.too.large", answers, BoundedAnswers::tooLarge).tag("service", service)
                .description("HTTP answers larger than their byte cap (after inflation): cut there, the call failed").register(registry);
    }

    /** Route step {@code count-result}: one per published result. */
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
    }

    /** Route step {@code count-flashduty-call}: one per Flashduty attempt, after it was classified. */
    public void flashdutyCall(Exchange exchange) {
        String endpoint = bounded(exchange.getProperty(FlashdutyCallState.PATH, String.class), ENDPOINTS);
        String code = exchange.getProperty(FlashdutyCallState.ERROR_CODE, String.class);
        counter("flashduty.calls", "endpoint", endpoint, "code", code == null ? "success" : bounded(code, CODES)).increment();
    }

    /** Route step {@code count-dead-letter}: one per record written to the dead-letter topic. */
    public void deadLettered(Exchange exchange) {
        String reason = exchange.getProperty(DeadLetterPublisher.REASON_PROPERTY, String.class);
        counter("dead.lettered", "reason", reason != null && ROUTE_REASON.matcher(reason).matches() ? reason : OTHER).increment();
    }

    private Counter counter(String name, String... tags) {
        // keyed by the tags alone: each meter has tag keys of its own; the values come from bounded sets
        Counter c = counters.get(Arrays.asList(tags));
        return c != null ? c : counters.computeIfAbsent(Arrays.asList(tags), k -> registry.counter(name, tags));
    }

    static String bounded(String value, Set<String> known) {
        return value != null && known.contains(value) ? value : OTHER;
    }
}
