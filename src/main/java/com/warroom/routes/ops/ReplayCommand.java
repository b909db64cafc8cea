package com.warroom.routes.ops;

import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;

import com.warroom.routes.app.Settings;
import com.warroom.routes.app.WarRoomApplication;
import com.warroom.routes.kafka.KafkaClientSettings;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.TimeUtils;

/**
 * {@code replay --from TIME [--to TIME] [--dry-run [--out FILE]]}: hands the incident records of a
 * time range to the live service again, by re-publishing each to the incident topic, to the
 * partition number it came from ({@link ReplayPublisher}). The partition's owner, which also gets the
 * live events of those incidents, then handles them one after another under its ledger and budget:
 * an incident that has a war room gets {@code already_exists}, and no second process ever decides a
 * create, so a replay cannot race the live service. The replay itself makes no Flashduty call, takes
 * no budget, runs no route, binds no port and joins no consumer group.
 * <p>
 * Each partition's start is found with {@code offsetsForTimes} and its end fixed before anything is
 * read (the first record at or after {@code --to}, else the end offset seen at start, one past the
 * last record before it: transaction markers are never waited for), so the copies it writes are never
 * read again by the same run ({@link ReplayOffsets}).
 * <p>
 * {@code --dry-run} writes nothing and calls no one: it runs the shipped decision routes over the
 * ledger and the IM catalog as the live service sees them ({@link ReplayDryRun}).
 */
public final class ReplayCommand {

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
    record Options(Instant from, Instant to, boolean dryRun, Path out, Path routes, Path config, long progressMillis) {

        static Options parse(String[] args) {
            Instant from = null;
            Instant to = null;
            boolean dryRun = false;
            Path out = null;
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
                    case "--group" -> throw new CommandLine.UsageError("--group is gone: a replay re-publishes the records to the incident"
                            + " topic for the live service and reads them under no consumer group");
                    case "--max-age" -> throw new CommandLine.UsageError("--max-age is gone: the live service judges every replayed event by"
                            + " its own limit, which no record can widen; raise WAR_ROOM_MAX_EVENT_AGE on the service for the time of the replay");
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
            CommandLine.requireRoutesAndConfig(routes, config);
            return new Options(from, to, dryRun, out, routes, config, Math.max(progress, 100));
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
        private long nextReport;
        private long t0;

        Run(Options o, Map<String, String> overrides, PrintStream out) {
            this.o = o;
            this.overrides = overrides;
            this.out = out;
        }

        int replay() throws Exception {
            // a context for its properties component (the same resolution Camel Main does); only a dry run starts it
            DefaultCamelContext config = new DefaultCamelContext();
            PropertiesComponent pc = config.getPropertiesComponent();
            pc.setLocation("file:" + o.config().toAbsolutePath());
            Properties p = new Properties();
            p.putAll(overrides);
            pc.setOverrideProperties(p);
            Settings settings = Settings.read(pc::resolveProperty);
            KafkaClientSettings kafka = settings.kafka().client();
            String topic = settings.topics().incident();

            ReplayOffsets offsets = new ReplayOffsets(kafka, topic, settings.kafka().isolationLevel());
            ReplayOffsets.Plan plan = offsets.plan(o.from(), o.to());
            String range = "from " + o.from() + " to " + (o.to() != null ? o.to() : "the end offsets at start");
            out.println(o.dryRun()
                    ? "replay (dry run: no Flashduty call, nothing written): " + plan.total() + " records of " + topic + " " + range
                    : "replay: " + plan.total() + " records of " + topic + " " + range + ", re-published to " + topic
                            + " (each to the partition it came from) for the live service");
            out.println("  partitions (start..end): " + partitionList(plan));
            if (plan.total() == 0) {
                out.println("replay done: nothing to replay");
                return 0;
            }
            try (Writer jsonLines = o.out() == null ? null : Files.newBufferedWriter(o.out())) {
                ReplayTracker tracker = new ReplayTracker(plan.start(), plan.end(), out, jsonLines);
                t0 = System.nanoTime();
                nextReport = t0 + o.progressMillis() * 1_000_000;
                boolean finished = o.dryRun() ? dryRun(config, settings, offsets, plan, tracker) : republish(settings, topic, offsets, plan, tracker);
                out.println(progress(tracker, t0));
                summary(tracker, t0);
                return finished && tracker.complete() ? 0 : 1;
            }
        }

        private boolean republish(Settings settings, String topic, ReplayOffsets offsets, ReplayOffsets.Plan plan, ReplayTracker tracker) {
            Set<Integer> read = ConcurrentHashMap.newKeySet();
            Settings.Kafka kafka = settings.kafka();
            try (ReplayPublisher publisher = new ReplayPublisher(kafka.client(), topic, kafka.producerMaxRequestBytes(),
                    kafka.deliveryTimeoutMs(), tracker)) {
                try {
                    offsets.read(plan, publisher::publish, read::add, () -> tick(tracker));
                } catch (ReplayPublisher.Stopped stopped) {
                    // reported below, after the sends still in flight were answered
                } catch (Exception e) {
                    out.println("replay stopped before the end: reading " + topic + " failed (" + e.getClass().getSimpleName() + ")");
                    publisher.flush();
                    return false;
                }
                ReplayPublisher.Failure failure = publisher.flush();
                if (failure != null) {
                    out.println("replay stopped before the end: Kafka did not take the copy of partition " + failure.partition() + " offset "
                            + failure.offset() + " (" + failure.cause().getClass().getSimpleName() + "); run it again: what the live"
                            + " service already handled gets already_exists");
                    return false;
                }
                read.forEach(tracker::reached);
                return true;
            }
        }

        private boolean dryRun(DefaultCamelContext config, Settings settings, ReplayOffsets offsets, ReplayOffsets.Plan plan,
                               ReplayTracker tracker) throws Exception {
            try (ReplayDryRun dry = ReplayDryRun.open(config, o.routes(), settings)) {
                out.println("  ledger: " + dry.ledgerSize() + " war rooms read back from " + settings.topics().ledger());
                if (!dry.catalogKnown()) {
                    out.println("  no IM integration found on " + settings.topics().integration()
                            + ": creates are reported as would_create/integration_not_checked");
                }
                try {
                    offsets.read(plan, r -> tracker.decided(dry.decide(r)), tracker::reached, () -> tick(tracker));
                } catch (org.apache.kafka.common.KafkaException e) {
                    out.println("replay stopped before the end: reading failed (" + e.getClass().getSimpleName() + ")");
                    return false;
                }
                return true;
            }
        }

        /** A progress line every --progress. */
        private void tick(ReplayTracker tracker) {
            if (System.nanoTime() >= nextReport) {
                out.println(progress(tracker, t0));
                nextReport = System.nanoTime() + o.progressMillis() * 1_000_000;
            }
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
    }
}
