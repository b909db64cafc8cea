package com.warroom.routes.observe;

import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.Router;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;

/**
 * {@code /observe/health}, {@code /observe/health/live} and {@code /observe/health/ready} on the
 * management server: Camel's health checks in Camel's format, at the detail of
 * {@code camel.health.exposure-level} only (oneline: the status; default: and the checks that are
 * down with their message; full: every check, and a failed check's error message). Never a stack
 * trace, never a check's data.
 * <p>
 * Why not Camel's own page: camel-platform-http-main (4.18, the last served here) took {@code exposureLevel},
 * {@code stackTrace} and {@code data} from the caller's query and no option turned that off, so
 * anyone who reaches the port could read error texts, stack traces and the Kafka consumers' data
 * (bootstrap servers, group, topic). A filter in front of it would be added only after Camel's page
 * already answers, and would have to know every parameter Camel reads, now and in later versions.
 * This page reads no parameter; Camel's is switched off ({@code camel.management.health-check-enabled},
 * forced false by {@code WarRoomApplication.createMain}; the module's {@link ManagementServer} has none). The paths answer
 * once the context has started, which the Kafka start-up does not hold up (readiness {@code kafka-start-up} DOWN meanwhile).
 */
public final class HealthPage implements StartupListener {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        ManagementServer server = context.hasService(ManagementServer.class);
        if (server == null || alreadyStarted) {
            return; // camel.management.enabled = false: no management server; or routes started later (the pages are there)
        }
        String level = HealthCheckRegistry.get(context).getExposureLevel();
        Router router = server.router();
        serve(router, server.healthPath(), level, false, () -> HealthCheckHelper.invoke(context, level));
        serve(router, server.healthPath() + "/live", level, false, () -> HealthCheckHelper.invokeLiveness(context, level));
        serve(router, server.healthPath() + "/ready", level, true, () -> HealthCheckHelper.invokeReadiness(context, level));
    }

    private static void serve(Router router, String path, String level, boolean readiness, Supplier<Collection<HealthCheck.Result>> checks) {
        router.get(path).blockingHandler(ctx -> {
            Collection<HealthCheck.Result> results = checks.get();
            boolean up = HealthCheckHelper.isResultsUp(results, readiness);
            ctx.response().putHeader("content-type", "application/json").setStatusCode(up ? 200 : 503)
                    .end(body(results, up, level).toString());
        }, true);
    }

    /** The answer Camel's page gives at this exposure level without any query parameter. */
    static JsonNode body(Collection<HealthCheck.Result> results, boolean up, String level) {
        boolean full = "full".equals(level);
        List<Check> checks = "oneline".equals(level) ? List.of() : results.stream()
                .filter(r -> full || r.getState() == HealthCheck.State.DOWN)
                .map(r -> new Check(r.getCheck().getId(), r.getState().name(), full ? r.getError().map(HealthPage::causes).orElse(null) : null,
                        r.getMessage().orElse(null)))
                .toList();
        return JSON.valueToTree(new Answer(up ? "UP" : "DOWN", checks));
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Answer(String status, List<Check> checks) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Check(String name, String status, @JsonProperty("error-message") String errorMessage, String message) {
    }

    /** The error's message and its causes', as Camel's page shows them (a cause chain that loops stops). */
    private static String causes(Throwable e) {
        StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable c = e.getCause();
        for (int depth = 0; c != null && depth < 20; depth++, c = c.getCause()) {
            if (c.getMessage() != null) {
                s.append("; Caused by: ").append(c.getClass().getName()).append(": ").append(c.getMessage());
            }
        }
        return s.toString();
    }
}
