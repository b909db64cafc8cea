package com.warroom.routes.ops;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;

import com.warroom.routes.StartupProblem;
import com.warroom.routes.WarRoomApplication;
import com.warroom.routes.kafka.KafkaClientSettings;
import com.warroom.routes.security.Secret;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.model.Model;
import org.apache.camel.model.OptionalIdentifiedDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.ProcessorDefinitionHelper;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.TimeUtils;

/**
 * {@code replay --from TIME [--to TIME] [--dry-run [--out FILE]] [--group GROUP] [--max-age DURATION]}:
 * runs the incident records of a time range again through the shipped routes, under a consumer group
 * of its own so the live group is untouched. The ledger keeps it safe: an incident that already has
 * a war room gets {@code already_exists}, never a second create.
 * <p>
 * Before Camel starts, each partition's start is found with {@code offsetsForTimes} and committed
 * for the replay group (so the shipped Kafka consumer starts there), and the end is fixed (the first
 * record at or after {@code --to}, else the end offset seen at start). The shipped routes are then
 * woven by step id with Camel's {@link AdviceWith}, not copied: a step after {@code capture-record}
 * stops records past the end, and steps after the commits count each decision. A dry run also
 * replaces every step that writes (create call, ledger, result, dead letter, offset commit) with
 * recording the decision; it reads under a throwaway group that is deleted at the end. The catalog
 * and template routes do not start in a replay: the IM list is loaded once, on the first create.
 */
public final class ReplayCommand {

    /** Routes a replay does not need: they would refresh the catalog and answer template requests. */
    private static final List<String> NOT_STARTED = List.of("im-catalog-refresh", "rocketchat-catalog-refresh", "template-requests", "template-sync");
    /** The steps the replay weaves, by route id: renaming one in routes/ breaks the replay (validate reports it). */
    static final Map<String, List<String>> WOVEN_STEPS = Map.of(
            "incidents", List.of("capture-record", "publish-outcome", "commit-offset"),
            "dead-letter", List.of("dead-letter-copy", "commit-dead-lettered"),
            "open-war-room", List.of("call-war-room-create", "create-outcome"),
            "publish-result", List.of("write-ledger", "write-result"),
            "publish-records", List.of("write-record"));
    private static final DateTimeFormatter GROUP_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private ReplayCommand() {
    }

    /**
     * The command. {@code overrides} are extra properties (tests point it at their broker and topics);
     * returns the exit code: 0 done, 1 the replay failed while running, 2 bad usage or start-up problem.
     */
    public static int run(String[] args, Map<String, String> overrides, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
            return new Run(o, overrides, out).replay();
        } catch (CommandLine.UsageError e) {
            return CommandLine.fail(err, e.getMessage());
        } catch (Exception e) {
            Throwable problem = WarRoomApplication.rootProblem(e);
            if (problem != null) {
                return CommandLine.fail(err, problem.getMessage());
            }
            // the class only: a message could quote a URI or a value
            return CommandLine.fail(err, "replay failed: " + e.getClass().getName());
        }
    }

    /** The command line. */
    record Options(Instant from, Instant to, boolean dryRun, Path out, String group, String maxAge, Path routes, Path config,
                   long progressMillis) {

        static Options parse(String[] args) {
            Instant from = null;
            Instant to = null;
            boolean dryRun = false;
            Path out = null;
            String group = null;
            String maxAge = null;
            long progress = 5000;
            Path routes = Path.of(CommandLine.env("WAR_ROOM_ROUTES_DIR", "routes"));
            Path config = Path.of(CommandLine.env("WAR_ROOM_CONFIG", "config/application.properties"));
            CommandLine cl = new CommandLine(args);
            while (cl.hasNext()) {
                String a = cl.next();
                switch (a) {
                    case "--from" -> from = time(a, cl.value(a));
                    case "--to" -> to = time(a, cl.value(a));
                    case "--dry-run" -> dryRun = true;
                    case "--out" -> out = Path.of(cl.value(a));
                    case "--group" -> group = cl.value(a);
                    case "--max-age" -> maxAge = duration(a, cl.value(a));
                    case "--progress" -> progress = TimeUtils.toMilliSeconds(duration(a, cl.value(a)));
                    case "--routes" -> routes = Path.of(cl.value(a));
                    case "--config" -> config = Path.of(cl.value(a));
                    default -> throw new CommandLine.UsageError("unknown argument " + a + " for replay (see --help)");
                }
            }
            if (from == null) {
                throw new CommandLine.UsageError("replay needs --from TIME (ISO-8601, e.g. 2026-11-23T08:00:00Z)");
            }
            if (to != null && !to.isAfter(from)) {
                throw new CommandLine.UsageError("--to " + to + " is not after --from " + from);
            }
            if (out != null && !dryRun) {
                throw new CommandLine.UsageError("--out writes the dry run's decisions: use it with --dry-run");
            }
            if (group != null && dryRun) {
                throw new CommandLine.UsageError("--group is not used with --dry-run: a dry run reads under a throwaway group and commits nothing");
            }
            CommandLine.requireRoutesAndConfig(routes, config);
            return new Options(from, to, dryRun, out, group, maxAge, routes, config, Math.max(progress, 100));
        }

        private static Instant time(String option, String value) {
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                throw new CommandLine.UsageError(option + " is not an ISO-8601 time with a zone (e.g. 2026-11-23T08:00:00Z"
                        + " or 2026-11-23T09:00:00+01:00): " + value);
            }
        }

        private static String duration(String option, String value) {
            try {
                if (TimeUtils.toMilliSeconds(value) <= 0) {
                    throw new IllegalArgumentException();
                }
                return value;
            } catch (RuntimeException e) {
                throw new CommandLine.UsageError(option + " is not a duration (e.g. 90m, 6h, 2d): " + value);
            }
        }
    }

    /** One replay. */
    private static final class Run {
        private final Options o;
        private final Map<String, String> overrides;
        private final PrintStream out;

        Run(Options o, Map<String, String> overrides, PrintStream out) {
            this.o = o;
            this.overrides = overrides;
            this.out = out;
        }

        int replay() throws Exception {
            Map<String, String> settings = new LinkedHashMap<>(overrides);
            // a context never started, only for its properties component (the same resolution Camel Main does)
            DefaultCamelContext config = new DefaultCamelContext();
            PropertiesComponent pc = config.getPropertiesComponent();
            pc.setLocation("file:" + o.config().toAbsolutePath());
            Properties p = new Properties();
            p.putAll(overrides);
            pc.setOverrideProperties(p);
            KafkaClientSettings kafka = new KafkaClientSettings(prop(pc, "kafka.brokers"), prop(pc, "kafka.security-protocol"),
                    prop(pc, "kafka.sasl-mechanism"), prop(pc, "kafka.sasl-jaas-config"));
            if (!Secret.from("FLASHDUTY_APP_KEY", prop(pc, "flashduty.app-key-file")).isPresent()) {
                // checked before anything is committed: even a dry run makes the read-only IM list call
                throw new CommandLine.UsageError("FLASHDUTY_APP_KEY (or FLASHDUTY_APP_KEY_FILE) is not set; it is required to call Flashduty");
            }
            String topic = prop(pc, "incident.topic");
            String liveGroup = prop(pc, "consumer.group");
            String started = GROUP_TIME.format(Instant.now());
            String group = o.group() != null ? o.group()
                    : liveGroup + (o.dryRun() ? "-replay-dry-run-" : "-replay-") + started;
            if (group.equals(liveGroup)) {
                throw new CommandLine.UsageError("--group " + group + " is the live consumer group; a replay needs a group of its own");
            }

            ReplayOffsets offsets = new ReplayOffsets(kafka, topic, prop(pc, "kafka.isolation-level"));
            ReplayOffsets.Plan plan = offsets.plan(o.from(), o.to());
            String range = "from " + o.from() + " to " + (o.to() != null ? o.to() : "the end offsets at start");
            out.println("replay" + (o.dryRun() ? " (dry run: no create call, nothing written to Kafka)" : "") + ": " + plan.total()
                    + " records of " + topic + " " + range + ", consumer group " + group);
            out.println("  partitions (start..end): " + partitionList(plan));
            if (plan.total() == 0) {
                out.println("replay done: nothing to replay");
                return 0;
            }
            offsets.requireIdle(group);
            offsets.commitStart(group, plan);

            settings.put("consumer.group", group);
            // the replay shares the account budget with the running replicas: it joins their budget
            // group (named after the live consumer group), not one named after its own group
            pc.resolveProperty("flashduty.budget-group").map(String::trim).ifPresent(g ->
                    settings.put("flashduty.budget-group", g.isEmpty() ? liveGroup + "-budget" : g));
            // health and metrics are the live process's: a replay beside it must not take its port
            settings.put("management.port", "0");
            if (o.maxAge() != null) {
                settings.put("war-room.max-event-age", o.maxAge());
            }
            if (o.dryRun()) {
                settings.put("kafka.create-topics", "false");
            }
            try (Writer jsonLines = o.out() == null ? null : Files.newBufferedWriter(o.out())) {
                ReplayTracker tracker = new ReplayTracker(plan.start(), plan.end(), o.dryRun(), out, jsonLines);
                Main main = WarRoomApplication.createMain(o.routes(), o.config(), settings);
                main.addMainListener(new MainListenerSupport() {
                    @Override
                    public void afterConfigure(BaseMainSupport m) {
                        weave(m.getCamelContext(), tracker, o.dryRun());
                    }
                });
                long t0 = System.nanoTime();
                try {
                    main.start();
                    watch(main.getCamelContext(), tracker, t0);
                } finally {
                    main.stop();
                    if (o.dryRun()) {
                        offsets.deleteGroup(group);
                    }
                }
                summary(tracker, t0);
                return tracker.complete() ? 0 : 1;
            }
        }

        /** Progress every few seconds until every partition has reached its end. */
        private void watch(CamelContext context, ReplayTracker tracker, long t0) throws InterruptedException {
            long nextReport = System.nanoTime() + o.progressMillis() * 1_000_000;
            while (!tracker.complete()) {
                if (!context.isStarted()) {
                    out.println("replay stopped before the end: the routes are no longer running");
                    return;
                }
                Thread.sleep(100);
                if (System.nanoTime() >= nextReport) {
                    out.println(progress(tracker, t0));
                    nextReport = System.nanoTime() + o.progressMillis() * 1_000_000;
                }
            }
            out.println(progress(tracker, t0));
        }

        private void summary(ReplayTracker tracker, long t0) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.println(String.format("replay %s: %d of %d records in %.1f s", tracker.complete() ? "done" : "incomplete",
                    tracker.done(), tracker.total(), seconds));
            tracker.decisions().forEach((decision, count) -> out.println(String.format("  %-40s %d", decision, count)));
        }

        private static String progress(ReplayTracker tracker, long t0) {
            double seconds = Math.max((System.nanoTime() - t0) / 1e9, 0.001);
            long done = tracker.done();
            long total = tracker.total();
            StringJoiner parts = new StringJoiner(", ");
            tracker.partitions().keySet().forEach(p -> parts.add("p" + p + " " + tracker.done(p) + "/" + tracker.total(p)));
            return String.format("replay: %d/%d records (%d%%), %.1f rec/s; %s", done, total, total == 0 ? 100 : done * 100 / total,
                    done / seconds, parts);
        }

        private static String partitionList(ReplayOffsets.Plan plan) {
            StringJoiner j = new StringJoiner(", ");
            plan.start().forEach((p, s) -> j.add("p" + p + " " + s + ".." + plan.end().get(p)));
            return j.toString();
        }

        private static String prop(PropertiesComponent pc, String key) {
            return pc.resolveProperty(key).map(String::trim)
                    .orElseThrow(() -> new CommandLine.UsageError("configuration key " + key + " is missing from the properties"));
        }
    }

    /** Weaves the shipped routes by step id (before they start): the end bound, the tallies, and for a dry run no writes. */
    static void weave(CamelContext context, ReplayTracker tracker, boolean dryRun) {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        List<Missing> missing = missingSteps(model);
        if (!missing.isEmpty()) {
            throw new StartupProblem("the routes lack what the replay weaves: "
                    + missing.stream().map(Missing::toString).collect(Collectors.joining("; ")));
        }
        if (dryRun) {
            com.warroom.routes.budget.BudgetJournal journal = context.getRegistry()
                    .lookupByNameAndType("budgetJournal", com.warroom.routes.budget.BudgetJournal.class);
            if (journal != null) {
                journal.readOnly(); // a dry run writes nothing to Kafka
            }
        }
        for (String id : NOT_STARTED) {
            RouteDefinition route = model.getRouteDefinition(id);
            if (route != null) {
                route.autoStartup(false);
            }
        }
        try {
            AdviceWith.adviceWith(context, "incidents", a -> {
                a.weaveById("capture-record").after()
                        .filter().method(tracker, "isPastEnd").id("replay-past-end")
                        .stop().id("replay-stop-at-end")
                        .end();
                if (dryRun) {
                    a.weaveById("publish-outcome").remove();
                    a.weaveById("commit-offset").replace().bean(tracker, "decided").id("replay-decided");
                } else {
                    a.weaveById("commit-offset").after().bean(tracker, "decided").id("replay-decided");
                }
            });
            AdviceWith.adviceWith(context, "dead-letter", a -> {
                if (dryRun) {
                    a.weaveById("dead-letter-copy").remove();
                    a.weaveById("commit-dead-lettered").replace().bean(tracker, "deadLettered").id("replay-dead-lettered");
                } else {
                    a.weaveById("commit-dead-lettered").after().bean(tracker, "deadLettered").id("replay-dead-lettered");
                }
            });
            if (dryRun) {
                AdviceWith.adviceWith(context, "open-war-room", a -> {
                    a.weaveById("call-war-room-create").replace().setProperty("warRoomStatus").constant("would_create").id("replay-would-create");
                    a.weaveById("create-outcome").remove();
                });
                // unreachable once publish-outcome is gone; should anything still try, it fails loudly instead of writing
                AdviceWith.adviceWith(context, "publish-result", a -> {
                    a.weaveById("write-ledger").replace().throwException(new IllegalStateException("dry run: no Kafka write"));
                    a.weaveById("write-result").replace().throwException(new IllegalStateException("dry run: no Kafka write"));
                });
                AdviceWith.adviceWith(context, "publish-records", a ->
                        a.weaveById("write-record").replace().throwException(new IllegalStateException("dry run: no Kafka write")));
            }
        } catch (Exception e) {
            throw new StartupProblem("cannot prepare the routes for the replay (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A route or step the replay weaves but the loaded routes lack ({@code stepId} null: the whole route). */
    record Missing(String routeId, String stepId) {
        @Override
        public String toString() {
            return stepId == null ? "no route " + routeId : "route " + routeId + " has no step " + stepId;
        }
    }

    /** Each route or step id of {@link #WOVEN_STEPS} the loaded routes lack. */
    static List<Missing> missingSteps(Model model) {
        List<Missing> missing = new ArrayList<>();
        WOVEN_STEPS.forEach((routeId, steps) -> {
            RouteDefinition route = model.getRouteDefinition(routeId);
            if (route == null) {
                missing.add(new Missing(routeId, null));
                return;
            }
            Set<String> ids = ProcessorDefinitionHelper.filterTypeInOutputs(route.getOutputs(), ProcessorDefinition.class).stream()
                    .map(OptionalIdentifiedDefinition::getId).filter(Objects::nonNull).collect(Collectors.toSet());
            steps.stream().filter(id -> !ids.contains(id)).forEach(id -> missing.add(new Missing(routeId, id)));
        });
        missing.sort(java.util.Comparator.comparing(Missing::toString));
        return missing;
    }
}
