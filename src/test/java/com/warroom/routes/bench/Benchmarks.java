package com.warroom.routes.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.KafkaBroker;
import com.warroom.routes.support.RunningApp;
import com.warroom.routes.support.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code mvn -B -q -Pbench -DskipTests verify}: the four benchmarks of the README's Performance
 * section on this machine, against a local KRaft broker and the Flashduty sandbox, printed as one
 * table. {@code -Dbench=budget,pipeline,latency,ledger} runs some of them only. Figures worth comparing
 * are ratios measured in the same run (the machine is shared and noisy); nothing here is a test.
 * Run only when named: {@code ledger-retention}, and {@code replicas} (replicas of the jar sharing one
 * account budget, five cases of a few minutes each; {@code -Dbench=replicas-2,replicas-join} runs some).
 */
public final class Benchmarks {

    static final List<String> ALL = List.of("budget", "latency", "pipeline", "ledger");
    /**
     * Run only when named: ledger-retention writes 10,000,000 records first; replicas runs five bursts
     * through two and three JVMs, 12-15 minutes in all.
     */
    static final List<String> ON_REQUEST = List.of("ledger-retention", "replicas");
    static final int BUDGET_INCIDENTS = 1_200;
    static final int PER_SECOND = 50;
    static final int PER_MINUTE = 1_000;
    static final int LATENCY_RATE = 20;
    static final Path JAR = Path.of(System.getProperty("bench.jar", "target/war-room-routes.jar"));
    static final Path OUT = Path.of("target/bench");
    static final String CREATE = "/incident/war-room/create";
    /** Share of the replicas burst on each of the incident topic's three partitions, in tenths: uneven on purpose. */
    static final int[] BURST_TENTHS = {7, 2, 1};
    /** How long after the burst's first create a replica joins or is killed. */
    static final Duration MIDWAY = Duration.ofSeconds(10);

    record Row(String benchmark, String metric, String value, String target) {
    }

    /** distinguishes this run's incident ids from those of earlier runs */
    private static final long RUN = System.currentTimeMillis();

    private final String brokers;
    private final List<Row> rows = new ArrayList<>();

    private Benchmarks(String brokers) {
        this.brokers = brokers;
    }

    public static void main(String[] args) throws Exception {
        // the sandbox answers at once, without the ~40 ms Nagle/delayed-ACK stall of the JDK server's default
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Set<String> which = new LinkedHashSet<>();
        for (String b : System.getProperty("bench", "all").split(",")) {
            which.addAll(b.isBlank() || b.equals("all") ? ALL : List.of(b.trim().toLowerCase(Locale.ROOT)));
        }
        List<ReplicaCase> replicaCases = replicaCases(which);
        if (!which.stream().allMatch(b -> ALL.contains(b) || ON_REQUEST.contains(b))) {
            System.out.println("unknown benchmark in -Dbench=" + System.getProperty("bench") + "; known: " + ALL + " and " + ON_REQUEST
                    + " (or some replicas cases: " + REPLICA_CASES.stream().map(ReplicaCase::name).toList() + ")");
            System.exit(2);
        }
        long started = System.nanoTime();
        String machine = machine();
        int exit = 0;
        Benchmarks bench = null;
        try {
            say("starting a local Kafka broker (KRaft) ...");
            bench = new Benchmarks(KafkaBroker.shared().bootstrapServers());
            for (String b : java.util.stream.Stream.concat(ALL.stream(), ON_REQUEST.stream()).toList()) {
                if (which.contains(b)) {
                    long t0 = System.nanoTime();
                    switch (b) {
                        case "budget" -> bench.budget();
                        case "latency" -> bench.latencyAndFootprint();
                        case "pipeline" -> bench.pipeline();
                        case "ledger-retention" -> bench.ledgerRetention();
                        case "replicas" -> bench.replicas(replicaCases);
                        default -> bench.ledger();
                    }
                    say(b + " done in " + secs(System.nanoTime() - t0) + " s");
                }
            }
        } catch (Exception e) {
            System.out.println("benchmark failed: " + e);
            e.printStackTrace(System.out);
            exit = 1;
        }
        if (bench != null) {
            bench.print(machine, System.nanoTime() - started);
        }
        KafkaBroker.stopShared();
        System.exit(exit);
    }

    // ---- 1. budget efficiency -------------------------------------------------------------------

    /** 1,200 queued incidents, real limits: the shipped routes, then two chained Throttle EIPs. */
    void budget() throws Exception {
        List<ObjectNode> backlog = new ArrayList<>();
        for (int i = 0; i < BUDGET_INCIDENTS; i++) {
            backlog.add(Events.fresh());
        }
        double ideal = idealSeconds(BUDGET_INCIDENTS);
        say("budget: " + BUDGET_INCIDENTS + " queued incidents through the shipped routes (ideal " + ideal + " s) ...");
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            topics(settings.get("incident.topic"), settings.get("result.topic"));
            produce(settings.get("incident.topic"), backlog);
            boolean drained;
            long created;
            try (ResultWatch results = new ResultWatch(brokers, settings.get("result.topic"));
                 RunningApp app = RunningApp.start(settings)) {
                drained = results.awaitCount(BUDGET_INCIDENTS, Duration.ofSeconds(180));
                created = results.count("created");
                burstSeries(sandbox.calls(), results.results());
            }
            double drain = drainSeconds(sandbox);
            long calls = flashdutyCalls(sandbox);
            String ours = "ours (shipped routes)";
            add("1 budget", ours + ": drain time", drained ? fmt(drain) + " s" : "not drained in 180 s", "");
            add("1 budget", ours + ": drain / ideal (" + fmt(ideal) + " s)", fmt2(drain / ideal), "<= 1.05");
            add("1 budget", ours + ": 429s received", String.valueOf(sandbox.count429()), "0");
            add("1 budget", ours + ": Flashduty calls per war room", fmt2((double) calls / Math.max(1, created))
                    + " (" + calls + " / " + created + ")", "");
            add("1 budget", ours + ": most calls in any 1 s / any 60 s", sandbox.maxInAnyWindow(1000) + " / "
                    + sandbox.maxInAnyWindow(60_000), "<= 50 / 1000");
        }
        say("budget: the same backlog through two chained Throttle EIPs (50/1 s, then 1000/60 s) ...");
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            String topic = "bench-naive-" + suffix();
            topics(topic);
            produce(topic, backlog);
            boolean drained;
            try (NaiveThrottleBaseline naive = new NaiveThrottleBaseline(brokers, topic, sandbox.baseUrl(), sandbox.config().appKey())) {
                drained = ResultWatch.await(() -> naive.created() >= BUDGET_INCIDENTS, Duration.ofSeconds(180));
            }
            double drain = drainSeconds(sandbox);
            String naive = "baseline (2 Throttle EIPs, 429 retried)";
            add("1 budget", naive + ": drain time", drained ? fmt(drain) + " s" : "not drained in 180 s", "");
            add("1 budget", naive + ": drain / ideal", fmt2(drain / ideal), "");
            add("1 budget", naive + ": 429s received", String.valueOf(sandbox.count429()), "");
            add("1 budget", naive + ": most calls in any 1 s / any 60 s", sandbox.maxInAnyWindow(1000) + " / "
                    + sandbox.maxInAnyWindow(60_000), "");
        }
    }

    /** The fastest the limits allow for n calls sent at once: 50 per second until 1,000, then from t = 60 s again. */
    static double idealSeconds(int calls) {
        int last = calls - 1;
        return 60.0 * (last / PER_MINUTE) + (last % PER_MINUTE + 1) / (double) PER_SECOND;
    }

    /** From the first Flashduty call's arrival to the answer of the last accepted create, as the sandbox saw them. */
    static double drainSeconds(FlashdutySandbox sandbox) {
        return drainSeconds(sandbox.calls());
    }

    /** The same over these calls only (e.g. those after a burst was produced, not the catalog loads at start). */
    static double drainSeconds(List<FlashdutySandbox.Call> sandboxCalls) {
        List<FlashdutySandbox.Call> calls = sandboxCalls.stream().filter(c -> !c.path().startsWith("/api/")).toList();
        long first = calls.stream().mapToLong(FlashdutySandbox.Call::arrivalNanos).min().orElse(0);
        long last = calls.stream().filter(c -> c.path().equals(CREATE) && c.status() == 200)
                .mapToLong(c -> c.arrivalNanos() + c.serviceNanos()).max().orElse(first);
        return (last - first) / 1e9;
    }

    /**
     * The burst second by second, for the README's picture (docs/img/budget-burst.gp), from the module's
     * first Flashduty call (second 0; the backlog was queued before it started): calls in that second and
     * in the 60 s up to its end, and how long the war rooms whose result arrived in that second had
     * waited since second 0 (median and longest).
     */
    static void burstSeries(List<FlashdutySandbox.Call> calls, List<ResultWatch.Result> results) throws IOException {
        List<Long> nanos = calls.stream().filter(c -> !c.path().startsWith("/api/")).map(FlashdutySandbox.Call::arrivalNanos).sorted().toList();
        long origin = nanos.isEmpty() ? 0 : nanos.get(0);
        List<Long> arrivals = nanos.stream().map(n -> (n - origin) / 1_000_000L).toList();
        int seconds = (int) (results.stream().mapToLong(r -> r.receivedNanos() - origin).max().orElse(0) / 1_000_000_000L) + 2;
        StringBuilder csv = new StringBuilder("second,calls_in_second,calls_in_last_60s,results,median_wait_s,max_wait_s\n");
        for (int t = 0; t < seconds; t++) {
            long end = (t + 1) * 1000L;
            long inSecond = arrivals.stream().filter(a -> a >= end - 1000 && a < end).count();
            long inMinute = arrivals.stream().filter(a -> a >= end - 60_000 && a < end).count();
            long from = t * 1_000_000_000L;
            double[] waits = results.stream().mapToLong(r -> r.receivedNanos() - origin)
                    .filter(n -> n >= from && n < from + 1_000_000_000L).sorted().mapToDouble(n -> n / 1e9).toArray();
            csv.append(t).append(',').append(inSecond).append(',').append(inMinute).append(',').append(waits.length).append(',')
                    .append(waits.length == 0 ? "" : fmt2(waits[waits.length / 2])).append(',')
                    .append(waits.length == 0 ? "" : fmt2(waits[waits.length - 1])).append('\n');
        }
        Path out = Path.of("target", "bench", "budget-burst.csv");
        Files.createDirectories(out.getParent());
        Files.writeString(out, csv);
        say("budget: the burst second by second in " + out + " (plot: gnuplot -c docs/img/budget-burst.gp " + out + " docs/img/budget-burst.png)");
    }

    static long flashdutyCalls(FlashdutySandbox sandbox) {
        return sandbox.calls().stream().filter(c -> !c.path().startsWith("/api/")).count();
    }

    // ---- 2. pipeline overhead -------------------------------------------------------------------

    /**
     * n incident events already in the ledger (the replay case): the shipped routes vs a plain
     * kafka-clients loop, both running at once on separate topics and fed in alternating rounds
     * (a round to ours, wait until its results are out, the same round to the plain loop, wait, ...),
     * so that both meet the same background load of this shared machine. Both first handle a warm-up
     * of their own (bench.warmup-events, other incidents), reported on its own rows: a freshly started
     * JVM interprets and compiles the routes' code for its first several thousand events, which would
     * otherwise weigh on a steady-state figure in proportion to how short the run is.
     */
    void pipeline() throws Exception {
        int rounds = 10;
        int perRound = Integer.getInteger("bench.events", 100_000) / rounds;
        int n = perRound * rounds;
        int warmRounds = 2;
        int perWarmRound = Integer.getInteger("bench.warmup-events", 20_000) / warmRounds;
        int warm = perWarmRound * warmRounds;
        String s = suffix();
        String ledger = "bench-pipeline-ledger-" + s;
        String oursIn = "bench-pipeline-incidents-" + s;
        String plainIn = "bench-plain-incidents-" + s;
        String plainOut = "bench-plain-results-" + s;
        KafkaBroker.shared().createCompactedTopic(ledger, 1);
        topics(oursIn, plainIn, plainOut);
        say("pipeline: writing " + (warm + n) + " ledger entries ...");
        List<Map.Entry<String, String>> events = new ArrayList<>(warm + n);
        try (KafkaProducer<String, String> p = bulkProducer()) {
            ObjectNode event = Events.fresh();
            for (int i = 0; i < warm + n; i++) {
                String id = objectId(i);
                p.send(new ProducerRecord<>(ledger, id, ledgerEntry(id)));
                Events.incident(event).put("incident_id", id);
                event.put("event_id", Events.randomHex(32));
                events.add(Map.entry(id, Events.json(event)));
            }
            p.flush();
        }
        say("pipeline: the shipped routes and the plain loop, " + warmRounds + " alternating warm-up rounds of " + perWarmRound
                + " events, then " + rounds + " of " + perRound + " ...");
        List<Double> pairedRatios = new ArrayList<>();
        Round oursWarm = new Round();
        Round plainWarm = new Round();
        Round ours = new Round();
        Round plain = new Round();
        long replayed;
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> settings = RunningApp.settings(brokers, sandbox.baseUrl(), sandbox.config().appKey());
            settings.put("ledger.topic", ledger);
            settings.put("incident.topic", oursIn);
            topics(settings.get("result.topic"));
            try (ResultWatch oursOut = new ResultWatch(brokers, settings.get("result.topic"));
                 ResultWatch plainResults = new ResultWatch(brokers, plainOut);
                 RunningApp app = RunningApp.start(settings);
                 PlainKafkaLoop loop = new PlainKafkaLoop(brokers, ledger, plainIn, plainOut, "bench-plain-" + s, 20);
                 KafkaProducer<String, String> p = bulkProducer()) {
                int done = 0;
                for (int r = 0; r < warmRounds + rounds; r++) {
                    boolean warming = r < warmRounds;
                    List<Map.Entry<String, String>> round = events.subList(done, done + (warming ? perWarmRound : perRound));
                    done += round.size();
                    long oursNanos = round(p, oursIn, round, oursOut, done, "routes", "KafkaConsumer[" + oursIn + "]",
                            warming ? oursWarm : ours);
                    long plainNanos = round(p, plainIn, round, plainResults, done, "plain loop", PlainKafkaLoop.THREAD,
                            warming ? plainWarm : plain);
                    if (!warming) {
                        pairedRatios.add((double) plainNanos / oursNanos);
                    }
                }
                replayed = oursOut.count("already_exists");
            }
        }
        String after = "after " + warm + " of warm-up";
        add("2 pipeline", "ours: events/s (" + n + " replayed " + after + "; " + replayed + " of " + (warm + n) + " already_exists)",
                fmt(ours.perSecond()), "");
        add("2 pipeline", "plain kafka-clients loop: events/s (" + n + " " + after + ")", fmt(plain.perSecond()), "");
        add("2 pipeline", "ours / plain (" + after + ")", fmt2(ours.perSecond() / plain.perSecond()), ">= 0.95");
        List<Double> sorted = pairedRatios.stream().sorted().toList();
        add("2 pipeline", "same, round by round (each of ours against the plain round right after it): median, lowest-highest",
                fmt2((sorted.get((sorted.size() - 1) / 2) + sorted.get(sorted.size() / 2)) / 2) + ", "
                        + fmt2(sorted.get(0)) + "-" + fmt2(sorted.get(sorted.size() - 1)), "");
        add("2 pipeline", "CPU per event, ours / plain (the whole benchmark JVM, broker included)",
                fmt(ours.cpuMicrosPerEvent()) + " / " + fmt(plain.cpuMicrosPerEvent()) + " µs", "");
        add("2 pipeline", "CPU per event of the consumer thread alone (Camel's / the plain loop's), ours / plain",
                fmt(ours.threadCpuMicrosPerEvent()) + " / " + fmt(plain.threadCpuMicrosPerEvent()) + " µs", "");
        add("2 pipeline", "warm-up alone (the first " + warm + " after start): ours / plain events/s",
                fmt(oursWarm.perSecond()) + " / " + fmt(plainWarm.perSecond()), "");
        add("2 pipeline", "warm-up included (" + (warm + n) + "): ours / plain",
                fmt2(oursWarm.plus(ours).perSecond() / plainWarm.plus(plain).perSecond()), "");
    }

    /** Events handled, wall time (round written → its last result received), and meanwhile the CPU time of this JVM and of the consumer thread. */
    static final class Round {
        long events;
        long nanos;
        long cpuNanos;
        long threadCpuNanos;

        double perSecond() {
            return events / (nanos / 1e9);
        }

        double cpuMicrosPerEvent() {
            return cpuNanos / 1e3 / events;
        }

        double threadCpuMicrosPerEvent() {
            return threadCpuNanos / 1e3 / events;
        }

        Round plus(Round o) {
            Round sum = new Round();
            sum.events = events + o.events;
            sum.nanos = nanos + o.nanos;
            sum.cpuNanos = cpuNanos + o.cpuNanos;
            sum.threadCpuNanos = threadCpuNanos + o.threadCpuNanos;
            return sum;
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU time so far of the threads whose name contains {@code name}. */
    private static long threadCpuNanos(String name) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().contains(name))
                .mapToLong(t -> Math.max(0, threads.getThreadCpuTime(t.getId()))).sum();
    }

    /**
     * Writes one round and waits for its results, adding its events, wall time, this JVM's CPU time and
     * the CPU time of the consumer thread(s) named {@code thread} to {@code into}; returns its wall time.
     */
    private long round(KafkaProducer<String, String> p, String topic, List<Map.Entry<String, String>> round, ResultWatch results,
                       int expected, String who, String thread, Round into) {
        for (Map.Entry<String, String> e : round) {
            p.send(new ProducerRecord<>(topic, e.getKey(), e.getValue()));
        }
        p.flush();
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        long thread0 = threadCpuNanos(thread);
        if (!results.awaitCount(expected, Duration.ofSeconds(300))) {
            throw new IllegalStateException("the " + who + " published " + results.count() + " of " + expected + " results");
        }
        long cpu1 = processCpuNanos();
        long thread1 = threadCpuNanos(thread);
        List<ResultWatch.Result> all = results.results();
        long nanos = all.get(all.size() - 1).receivedNanos() - t0;
        into.events += round.size();
        into.nanos += nanos;
        into.cpuNanos += cpu1 - cpu0;
        into.threadCpuNanos += thread1 - thread0;
        return nanos;
    }

    // ---- 3. latency and 4. footprint (the shipped jar in its own JVM) ---------------------------

    /**
     * Start the jar, time it to its first result, then 20 events/s: latency, and resident memory meanwhile.
     * The first seconds of load (JIT compilation of the freshly started JVM) are reported apart.
     */
    void latencyAndFootprint() throws Exception {
        int seconds = Integer.getInteger("bench.latency-seconds", 25);
        int warmup = Integer.getInteger("bench.latency-warmup-seconds", 5);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> env = appEnv(sandbox, null);
            topics(env.get("INCIDENT_TOPIC"), env.get("RESULT_TOPIC"));
            produce(env.get("INCIDENT_TOPIC"), List.of(Events.fresh()));
            try (ResultWatch results = new ResultWatch(brokers, env.get("RESULT_TOPIC"));
                 AppProcess app = AppProcess.start(JAR, env, OUT.resolve("app-latency.log"))) {
                say("latency: java @config/jvm.options -jar " + JAR + " started (pid " + app.pid() + "), waiting for its first result ...");
                if (!ResultWatch.await(() -> results.count() >= 1 || !app.isAlive(), Duration.ofSeconds(120)) || !app.isAlive()) {
                    throw new IllegalStateException("the application did not publish a result; see " + app.log());
                }
                long ready = results.results().get(0).timestampMillis() - app.startedWallMillis();
                long rssAtReady = app.residentKib();
                add("4 footprint", "ready: JVM start to first result (event queued before start)", ready + " ms", "<= 3000 ms");

                say("latency: " + LATENCY_RATE + " events/s for " + warmup + " s of warm-up, then " + seconds + " s measured ...");
                Map<String, Long> sent = new ConcurrentHashMap<>();
                Map<String, Integer> order = new ConcurrentHashMap<>();
                List<Long> rss = new ArrayList<>();
                int warmupEvents = LATENCY_RATE * warmup;
                int total = warmupEvents + LATENCY_RATE * seconds;
                AtomicInteger produced = new AtomicInteger();
                ScheduledExecutorService pace = Executors.newScheduledThreadPool(2);
                try (KafkaProducer<String, String> p = producer()) {
                    pace.scheduleAtFixedRate(() -> {
                        int index = produced.getAndIncrement();
                        if (index >= total) {
                            return;
                        }
                        ObjectNode e = Events.fresh();
                        String id = Events.incidentId(e);
                        String json = Events.json(e);
                        order.put(id, index);
                        sent.put(id, System.nanoTime());
                        p.send(new ProducerRecord<>(env.get("INCIDENT_TOPIC"), id, json));
                    }, 0, 1000 / LATENCY_RATE, TimeUnit.MILLISECONDS);
                    pace.scheduleAtFixedRate(() -> {
                        try {
                            long kib = app.residentKib();
                            synchronized (rss) {
                                rss.add(kib);
                            }
                        } catch (IOException e) {
                            // the process ended; the count check below reports it
                        }
                    }, 250, 250, TimeUnit.MILLISECONDS);
                    boolean all = results.awaitCount(1 + total, Duration.ofSeconds(warmup + seconds + 60L));
                    pace.shutdownNow();
                    if (!all) {
                        throw new IllegalStateException("only " + (results.count() - 1) + " of " + total + " results; see " + app.log());
                    }
                }
                Map<String, Long> service = new LinkedHashMap<>();
                sandbox.calls(CREATE).forEach(c -> service.merge(c.incidentId(), c.serviceNanos(), Long::sum));
                List<Long> net = new ArrayList<>();
                List<Long> gross = new ArrayList<>();
                List<Long> withWarmup = new ArrayList<>();
                long created = 0;
                StringBuilder csv = new StringBuilder("sent_ms_after_first,warm_up,latency_ms,sandbox_ms\n");
                long firstSent = sent.values().stream().mapToLong(Long::longValue).min().orElse(0);
                for (ResultWatch.Result r : results.results()) {
                    Long at = sent.get(r.key());
                    if (at != null) {
                        long sandboxNanos = service.getOrDefault(r.key(), 0L);
                        boolean warm = order.get(r.key()) < warmupEvents;
                        withWarmup.add(r.receivedNanos() - at - sandboxNanos);
                        if (!warm) {
                            gross.add(r.receivedNanos() - at);
                            net.add(r.receivedNanos() - at - sandboxNanos);
                            created += "created".equals(r.status()) ? 1 : 0;
                        }
                        csv.append(String.format(Locale.ROOT, "%d,%s,%.2f,%.2f%n", (at - firstSent) / 1_000_000, warm,
                                (r.receivedNanos() - at - sandboxNanos) / 1e6, sandboxNanos / 1e6));
                    }
                }
                Files.writeString(OUT.resolve("latency.csv"), csv);
                long[] n = net.stream().mapToLong(Long::longValue).sorted().toArray();
                long[] g = gross.stream().mapToLong(Long::longValue).sorted().toArray();
                long[] w = withWarmup.stream().mapToLong(Long::longValue).sorted().toArray();
                String what = "latency (" + n.length + " Critical events after " + warmup + " s of warm-up, " + created
                        + " created): produce to result received, minus sandbox time";
                add("3 latency", what + ": p50", ms(percentile(n, 50)), "");
                add("3 latency", what + ": p99", ms(percentile(n, 99)), "<= 25 ms");
                add("3 latency", what + ": max", ms(n[n.length - 1]), "");
                add("3 latency", "same, sandbox time included: p50 / p99", ms(percentile(g, 50)) + " / " + ms(percentile(g, 99)), "");
                add("3 latency", "same, warm-up included (" + w.length + " events): p50 / p99", ms(percentile(w, 50)) + " / "
                        + ms(percentile(w, 99)), "");
                long maxRss;
                synchronized (rss) {
                    maxRss = rss.stream().mapToLong(Long::longValue).max().orElse(0);
                }
                add("4 footprint", "RSS (VmRSS) at ready / highest during the 20 events/s load", mib(rssAtReady) + " / " + mib(maxRss), "<= 300 MiB");
            }
        }
    }

    /** A ledger of a million incidents: time to read it back at start, ready time, heap after. */
    void ledger() throws Exception {
        int n = Integer.getInteger("bench.ledger-entries", 1_000_000);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            String ledger = "bench-big-ledger-" + suffix();
            Map<String, String> env = appEnv(sandbox, ledger);
            KafkaBroker.shared().createCompactedTopic(ledger, 3); // as TopicSetup creates it (KAFKA_LEDGER_PARTITIONS)
            topics(env.get("INCIDENT_TOPIC"), env.get("RESULT_TOPIC"));
            say("ledger: writing " + n + " ledger entries ...");
            long t0 = System.nanoTime();
            try (KafkaProducer<String, String> p = bulkProducer()) {
                for (int i = 0; i < n; i++) {
                    String id = objectId(i);
                    p.send(new ProducerRecord<>(ledger, id, ledgerEntry(id)));
                }
                p.flush();
            }
            say("ledger: written in " + secs(System.nanoTime() - t0) + " s; starting java @config/jvm.options -jar with it ...");
            produce(env.get("INCIDENT_TOPIC"), List.of(Events.fresh()));
            try (ResultWatch results = new ResultWatch(brokers, env.get("RESULT_TOPIC"));
                 AppProcess app = AppProcess.start(JAR, env, OUT.resolve("app-ledger.log"))) {
                if (!ResultWatch.await(() -> results.count() >= 1 || !app.isAlive(), Duration.ofSeconds(180)) || !app.isAlive()) {
                    throw new IllegalStateException("the application did not publish a result; see " + app.log());
                }
                long ready = results.results().get(0).timestampMillis() - app.startedWallMillis();
                long[] readBack = app.ledgerReadBack(ledger);
                long heap = app.heapUsedAfterGcKib();
                long rss = app.residentKib();
                String histogram = app.classHistogram(12);
                Files.createDirectories(OUT);
                Files.writeString(OUT.resolve("ledger-histogram.txt"), histogram);
                say("ledger: heap by class after a full GC (also " + OUT.resolve("ledger-histogram.txt") + "):\n" + histogram);
                add("4 footprint", "ledger of " + n + ": read back at start", readBack == null ? "not logged"
                        : readBack[2] + " ms (" + readBack[0] + " keys)", "<= 10000 ms");
                add("4 footprint", "ledger of " + n + ": ready (JVM start to first result)", ready + " ms", "");
                add("4 footprint", "ledger of " + n + ": heap used after a full GC / RSS", mib(heap) + " / " + mib(rss), "");
            }
        }
    }

    /**
     * Years of incidents: a ledger of 10,000,000 entries (bench.retention-entries), all but the last
     * 1,000,000 (bench.retention-recent) written more than LEDGER_RETENTION plus a day ago (spread over
     * the three years before that), the recent ones within the last 29 days, in a compacted topic
     * that does not delete (an older deployment's ledger, as TopicSetup finds it and reports it). The
     * jar starts with the shipped JVM options in a container of bench.container-memory (1g:
     * -XX:MaxRAM=1g, so -XX:MaxRAMPercentage=75 allows a 768 MiB heap) and must read it back and
     * answer a fresh event within that heap; ExitOnOutOfMemoryError would end it otherwise.
     */
    void ledgerRetention() throws Exception {
        int n = Integer.getInteger("bench.retention-entries", 10_000_000);
        int recent = Math.min(n, Integer.getInteger("bench.retention-recent", 1_000_000));
        String container = System.getProperty("bench.container-memory", "1g");
        long day = Duration.ofDays(1).toMillis();
        long now = System.currentTimeMillis();
        long oldEnd = now - 60 * day; // LEDGER_RETENTION (30d) plus a day ago, and a margin
        long oldSpan = 3 * 365 * day;
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            String ledger = "bench-retention-ledger-" + suffix();
            Map<String, String> env = appEnv(sandbox, ledger);
            env.merge("JAVA_TOOL_OPTIONS", "-XX:MaxRAM=" + container, (a, b) -> b + " " + a);
            KafkaBroker.shared().createCompactedTopic(ledger, 3);
            topics(env.get("INCIDENT_TOPIC"), env.get("RESULT_TOPIC"));
            say("ledger-retention: writing " + n + " ledger entries (" + (n - recent) + " older than the retention, " + recent
                    + " within it; lz4) ...");
            long t0 = System.nanoTime();
            try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                    ProducerConfig.LINGER_MS_CONFIG, 50, ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024, ProducerConfig.ACKS_CONFIG, "1",
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024),
                    new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < n; i++) {
                    boolean old = i < n - recent;
                    long at = old ? oldEnd - oldSpan + oldSpan * i / Math.max(1, n - recent)
                            : now - 29 * day + 29 * day * (i - (n - recent)) / Math.max(1, recent);
                    String id = objectId(i);
                    p.send(new ProducerRecord<>(ledger, null, at, id, ledgerEntry(id)));
                    if ((i + 1) % 1_000_000 == 0) {
                        say("ledger-retention: " + (i + 1) + " written, " + secs(System.nanoTime() - t0) + " s");
                    }
                }
                p.flush();
            }
            long written = System.nanoTime() - t0;
            say("ledger-retention: written in " + secs(written) + " s; starting java @config/jvm.options -jar with JAVA_TOOL_OPTIONS="
                    + env.get("JAVA_TOOL_OPTIONS") + " ...");
            produce(env.get("INCIDENT_TOPIC"), List.of(Events.fresh()));
            try (ResultWatch results = new ResultWatch(brokers, env.get("RESULT_TOPIC"));
                 AppProcess app = AppProcess.start(JAR, env, OUT.resolve("app-ledger-retention.log"))) {
                if (!ResultWatch.await(() -> results.count() >= 1 || !app.isAlive(), Duration.ofSeconds(900)) || !app.isAlive()) {
                    throw new IllegalStateException("the application did not publish a result; see " + app.log());
                }
                long ready = results.results().get(0).timestampMillis() - app.startedWallMillis();
                long[] readBack = app.ledgerReadBack(ledger);
                long heap = app.heapUsedAfterGcKib();
                long maxHeap = app.maxHeapKib();
                long rss = app.residentKib();
                String histogram = app.classHistogram(12);
                Files.createDirectories(OUT);
                Files.writeString(OUT.resolve("ledger-retention-histogram.txt"), histogram);
                say("ledger-retention: heap by class after a full GC (also " + OUT.resolve("ledger-retention-histogram.txt") + "):\n"
                        + histogram);
                String what = "ledger of " + n + " (" + recent + " within LEDGER_RETENTION), " + container + " container";
                add("5 retention", what + ": written to the broker in", secs(written) + " s", "");
                add("5 retention", what + ": read back at start", readBack == null ? "not logged"
                        : readBack[2] + " ms (" + readBack[0] + " keys kept of " + readBack[1] + " records)", "");
                add("5 retention", what + ": ready (JVM start to first result)", ready + " ms", "");
                add("5 retention", what + ": heap used after a full GC / heap allowed / RSS", mib(heap) + " / " + mib(maxHeap) + " / "
                        + mib(rss), "heap <= allowed");
            }
        }
    }

    // ---- 6. replicas sharing the account budget (issue 21) ----------------------------------------

    /** What happens to the replicas once the burst's first create reached the sandbox. */
    enum Midway { NOTHING, ONE_JOINS, ONE_IS_KILLED }

    /** One case: its -Dbench name, its label (the table's benchmark column), replicas at the burst, and then. */
    record ReplicaCase(String name, String label, int replicas, Midway midway) {
    }

    static final List<ReplicaCase> REPLICA_CASES = List.of(
            new ReplicaCase("replicas-1", "1 replica", 1, Midway.NOTHING),
            new ReplicaCase("replicas-2", "2 replicas", 2, Midway.NOTHING),
            new ReplicaCase("replicas-3", "3 replicas", 3, Midway.NOTHING),
            new ReplicaCase("replicas-join", "1 replica, a 2nd joins mid-burst", 1, Midway.ONE_JOINS),
            new ReplicaCase("replicas-kill", "2 replicas, 1 SIGKILLed mid-burst", 2, Midway.ONE_IS_KILLED));

    /**
     * The replicas cases asked for: all of them for "replicas", else those named (replicas-2, ...),
     * which are then replaced in {@code which} by "replicas" so that the benchmark runs once, with them.
     */
    static List<ReplicaCase> replicaCases(Set<String> which) {
        List<ReplicaCase> named = REPLICA_CASES.stream().filter(c -> which.contains(c.name())).toList();
        named.forEach(c -> which.remove(c.name()));
        if (named.isEmpty() || which.contains("replicas")) {
            return REPLICA_CASES;
        }
        which.add("replicas");
        return named;
    }

    /** A replica: the jar in its own JVM, and its own management port (each replica needs one). */
    record Replica(AppProcess app, int managementPort) {
    }

    /**
     * Replicas of the shipped jar in one consumer group, sharing the account's real limits through the
     * budget group: the same 1,200-incident burst per case, spread 70/20/10 % over three partitions, so
     * that a fixed 1/N share per replica shows as a drain slower than the ideal (the replica holding
     * partition 0 has most of the work and only its share of the budget).
     */
    void replicas(List<ReplicaCase> cases) throws Exception {
        for (ReplicaCase c : cases) {
            long t0 = System.nanoTime();
            replicaCase(c);
            say("replicas: " + c.label() + " done in " + secs(System.nanoTime() - t0) + " s");
        }
    }

    private void replicaCase(ReplicaCase c) throws Exception {
        double ideal = idealSeconds(BUDGET_INCIDENTS);
        try (FlashdutySandbox sandbox = FlashdutySandbox.start(new FlashdutySandbox.Config())) {
            Map<String, String> env = appEnv(sandbox, null); // fresh topics and group: no earlier case's journal or ledger counts
            KafkaBroker.shared().createTopic(env.get("INCIDENT_TOPIC"), BURST_TENTHS.length);
            topics(env.get("RESULT_TOPIC")); // one partition: ResultWatch follows partition 0
            List<Replica> replicas = new ArrayList<>();
            try (ResultWatch results = new ResultWatch(brokers, env.get("RESULT_TOPIC"))) {
                say("replicas: " + c.label() + ": starting " + c.replicas() + " JVM(s), waiting until each is ready ...");
                for (int i = 0; i < c.replicas(); i++) {
                    replicas.add(startReplica(env, c, i));
                }
                // (a replica that starts beside others is ready only once it may call: its IM catalog load is a
                // Flashduty call, so on a budget that makes joiners wait the long window this takes over a minute)
                for (Replica r : replicas) {
                    awaitReady(r);
                }
                // the burst is queued only now, so that no replica drains it alone before the others joined
                try (GroupWatch group = new GroupWatch(brokers, env.get("CONSUMER_GROUP"))) {
                    long burstAt = System.nanoTime();
                    Map<String, Integer> partitionOf = produceSpread(env.get("INCIDENT_TOPIC"), BUDGET_INCIDENTS);
                    say("replicas: " + c.label() + ": " + BUDGET_INCIDENTS + " incidents produced (ideal drain " + ideal + " s) ...");
                    if (c.midway() != Midway.NOTHING) {
                        midway(c, sandbox, env, replicas);
                    }
                    boolean drained = ResultWatch.await(() -> results.distinctKeys() >= BUDGET_INCIDENTS, Duration.ofSeconds(300));
                    double drain = drainSeconds(sandbox.calls().stream().filter(call -> call.arrivalNanos() - burstAt >= 0).toList());
                    reportReplicaCase(c, sandbox, results, replicas, partitionOf, drained, drain, ideal);
                    add(c.label(), "incident consumer group from the burst on (state, each member's partitions, when it changed)",
                            String.join("; ", group.changes()), "");
                }
            } finally {
                for (Replica r : replicas) {
                    r.app().close();
                }
            }
        }
    }

    /** ~10 s into the burst (after its first create reached the sandbox): a replica joins, or the busiest is SIGKILLed. */
    private void midway(ReplicaCase c, FlashdutySandbox sandbox, Map<String, String> env, List<Replica> replicas) throws Exception {
        if (!ResultWatch.await(() -> !sandbox.calls(CREATE).isEmpty(), Duration.ofSeconds(120))) {
            throw new IllegalStateException("no create reached the sandbox in 120 s; see " + replicas.get(0).app().log());
        }
        Thread.sleep(MIDWAY.toMillis());
        if (c.midway() == Midway.ONE_JOINS) {
            replicas.add(startReplica(env, c, replicas.size()));
            say("replicas: " + c.label() + ": a replica joins, " + MIDWAY.toSeconds() + " s after the first create");
        } else {
            // the replica that has created most so far holds partition 0: killing it hands the most work over
            Replica busiest = replicas.get(0);
            for (Replica r : replicas) {
                busiest = createdInLog(r) > createdInLog(busiest) ? r : busiest;
            }
            busiest.app().kill();
            say("replicas: " + c.label() + ": replica pid " + busiest.app().pid() + " SIGKILLed after " + createdInLog(busiest)
                    + " war rooms, " + MIDWAY.toSeconds() + " s after the first create");
        }
    }

    private void reportReplicaCase(ReplicaCase c, FlashdutySandbox sandbox, ResultWatch results, List<Replica> replicas,
                                   Map<String, Integer> partitionOf, boolean drained, double drain, double ideal) throws Exception {
        String b = c.label();
        boolean sharing = c.replicas() > 1 && c.midway() == Midway.NOTHING;
        add(b, "drain time (the burst's first call to its last room opened)", drained ? fmt(drain) + " s"
                : "not drained in 300 s (" + results.distinctKeys() + " of " + BUDGET_INCIDENTS + " incidents answered)", "");
        add(b, "drain / ideal (" + fmt(ideal) + " s)", fmt2(drain / ideal), c.replicas() == 1 && c.midway() == Midway.NOTHING
                ? "<= 1.05" : sharing ? "<= 1.10" : "");
        add(b, "429s received", String.valueOf(sandbox.count429()), "0");
        add(b, "most calls in any 1 s / any 60 s", sandbox.maxInAnyWindow(1000) + " / " + sandbox.maxInAnyWindow(60_000),
                "<= 50 / >= 950 and <= 1000");
        List<ResultWatch.Result> all = results.results();
        Map<String, Long> byOutcome = new TreeMap<>();
        all.forEach(r -> byOutcome.merge(r.status() + ("failed".equals(r.status()) ? " " + r.reason() : ""), 1L, Long::sum));
        add(b, "results by outcome (" + all.size() + " records, " + results.distinctKeys() + " incidents)", byOutcome.toString(), "");
        long deadline = all.stream().filter(r -> "failed".equals(r.status()) && "deadline_exceeded".equals(r.reason())).count();
        add(b, "failed as deadline_exceeded", String.valueOf(deadline), "0");
        long duplicates = sandbox.createCounts().values().stream().filter(n -> n > 1).count();
        add(b, "incidents with more than one room created", String.valueOf(duplicates),
                c.midway() == Midway.ONE_IS_KILLED ? "0 (or a create in flight at the kill, not in the ledger)" : "0");
        // which partitions' work each replica did shows whether the budget followed it (or sat with an idle replica)
        List<String> perReplica = new ArrayList<>();
        for (Replica r : replicas) {
            long[] rooms = createdByPartition(r, partitionOf);
            perReplica.add(Arrays.stream(rooms).mapToObj(String::valueOf).collect(Collectors.joining("+"))
                    + " / " + (r.app().isAlive() ? String.valueOf(flashdutyCallsOf(r)) : "killed"));
        }
        add(b, "per replica, in start order: rooms created on partition 0+1+2 (its log) / Flashduty calls (its war_room_flashduty_calls_total)",
                String.join(", ", perReplica), "");
    }

    private Replica startReplica(Map<String, String> env, ReplicaCase c, int index) throws IOException {
        int port = TestKafka.freePort();
        Map<String, String> own = new LinkedHashMap<>(env);
        own.put("MANAGEMENT_PORT", String.valueOf(port));
        AppProcess app = AppProcess.start(JAR, own, OUT.resolve("app-" + c.name() + "-" + (index + 1) + ".log"));
        return new Replica(app, port);
    }

    /** Ready on its management port: routes and consumers up, the IM catalog loaded (README, Health and metrics). */
    private static void awaitReady(Replica r) {
        boolean ready = ResultWatch.await(() -> !r.app().isAlive() || status(r, "/observe/health/ready") == 200, Duration.ofSeconds(120));
        if (!ready || !r.app().isAlive()) {
            throw new IllegalStateException("replica pid " + r.app().pid() + " not ready in 120 s; see " + r.app().log());
        }
    }

    private static int status(Replica r, String path) {
        try {
            return TestKafka.get(r.managementPort(), path).statusCode();
        } catch (IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The war rooms a replica opened, from its result log lines (logger war-room): readable after a SIGKILL too. */
    private static long createdInLog(Replica r) throws IOException {
        return r.app().logLines().stream().filter(l -> l.contains(" status=created ")).count();
    }

    /** The war rooms a replica opened, per partition of their incident (its log names the incident of each). */
    private static long[] createdByPartition(Replica r, Map<String, Integer> partitionOf) throws IOException {
        long[] rooms = new long[BURST_TENTHS.length];
        for (String line : r.app().logLines()) {
            int at = line.indexOf("incident_id=");
            if (at >= 0 && line.contains(" status=created ")) {
                Integer partition = partitionOf.get(line.substring(at + 12, line.indexOf(' ', at)));
                if (partition != null) {
                    rooms[partition]++;
                }
            }
        }
        return rooms;
    }

    /** Every Flashduty attempt this replica made (creates and catalog lists), from its war_room_flashduty_calls_total. */
    private static long flashdutyCallsOf(Replica r) throws IOException, InterruptedException {
        String metrics = TestKafka.get(r.managementPort(), "/observe/metrics").body();
        return Math.round(metrics.lines().filter(l -> l.startsWith("war_room_flashduty_calls_total{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum());
    }

    /**
     * n fresh incidents, each on the partition BURST_TENTHS picks (in turn, as a real burst mixes them), keyed by
     * incident_id; returns each incident's partition.
     */
    private Map<String, Integer> produceSpread(String topic, int n) {
        List<Integer> partitionOf = new ArrayList<>();
        for (int p = 0; p < BURST_TENTHS.length; p++) {
            partitionOf.addAll(Collections.nCopies(BURST_TENTHS[p], p));
        }
        Map<String, Integer> incidents = new LinkedHashMap<>();
        try (KafkaProducer<String, String> p = bulkProducer()) {
            for (int i = 0; i < n; i++) {
                ObjectNode e = Events.fresh();
                int partition = partitionOf.get(i % partitionOf.size());
                incidents.put(Events.incidentId(e), partition);
                p.send(new ProducerRecord<>(topic, partition, Events.incidentId(e), Events.json(e)));
            }
            p.flush();
        }
        return incidents;
    }

    /** Environment of the jar: every topic and the consumer group fresh, the sandbox as Flashduty, defaults otherwise. */
    private Map<String, String> appEnv(FlashdutySandbox sandbox, String ledgerTopic) {
        String s = suffix();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FLASHDUTY_APP_KEY", sandbox.config().appKey());
        env.put("FLASHDUTY_BASE_URL", sandbox.baseUrl());
        env.put("KAFKA_BROKERS", brokers);
        env.put("CONSUMER_GROUP", "bench-" + s);
        env.put("INCIDENT_TOPIC", "bench-incidents-" + s);
        env.put("RESULT_TOPIC", "bench-results-" + s);
        env.put("DEAD_LETTER_TOPIC", "bench-dlq-" + s);
        env.put("LEDGER_TOPIC", ledgerTopic != null ? ledgerTopic : "bench-ledger-" + s);
        env.put("TEMPLATE_REQUEST_TOPIC", "bench-template-requests-" + s);
        env.put("TEMPLATE_TOPIC", "bench-templates-" + s);
        env.put("INTEGRATION_TOPIC", "bench-im-integrations-" + s);
        env.put("MANAGEMENT_PORT", "0");
        String javaOptions = System.getProperty("bench.app-java-options", "");
        if (!javaOptions.isBlank()) { // e.g. -XX:StartFlightRecording=filename=target/bench/app.jfr,settings=profile
            env.put("JAVA_TOOL_OPTIONS", javaOptions);
        }
        return env;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** A ledger entry as WarRoomLedger.entry writes it. */
    static String ledgerEntry(String incidentId) {
        return "{\"incident_id\":\"" + incidentId + "\",\"event_id\":\"" + Events.randomHex(32)
                + "\",\"integration_id\":362,\"plugin_type\":\"feishu\",\"chat_id\":\"oc_" + incidentId
                + "\",\"chat_name\":\"Incident #" + incidentId.substring(18).toUpperCase(Locale.ROOT)
                + " war room\",\"share_link\":\"\",\"request_id\":\"01SANDBOX" + String.format("%017d", incidentId.hashCode() & 0xffffff)
                + "\",\"created_at\":\"" + Instant.now() + "\"}";
    }

    static String objectId(int i) {
        return String.format("65%014x%08x", RUN, i);
    }

    private void topics(String... names) {
        for (String t : names) {
            KafkaBroker.shared().createTopic(t, 1);
        }
    }

    private void produce(String topic, List<ObjectNode> events) {
        try (KafkaProducer<String, String> p = bulkProducer()) {
            for (ObjectNode e : events) {
                p.send(new ProducerRecord<>(topic, Events.incidentId(e), Events.json(e)));
            }
            p.flush();
        }
    }

    private KafkaProducer<String, String> bulkProducer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers, ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024, ProducerConfig.ACKS_CONFIG, "1"),
                new StringSerializer(), new StringSerializer());
    }

    private KafkaProducer<String, String> producer() {
        // linger 0: the clock starts at send(), so Kafka 4's 5 ms default linger would count the test producer's batching
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
    }

    private void add(String benchmark, String metric, String value, String target) {
        Row r = new Row(benchmark, metric, value, target);
        rows.add(r);
        say("  " + metric + ": " + value + (target.isEmpty() ? "" : "  (target " + target + ")"));
    }

    private void print(String machine, long elapsedNanos) {
        StringBuilder t = new StringBuilder();
        t.append("\n").append(machine).append(", at the end ").append(loadAverage()).append(", whole run ")
                .append(secs(elapsedNanos)).append(" s\n\n");
        t.append("| benchmark | measured | value | target |\n|---|---|---|---|\n");
        for (Row r : rows) {
            t.append("| ").append(r.benchmark()).append(" | ").append(r.metric()).append(" | ").append(r.value())
                    .append(" | ").append(r.target()).append(" |\n");
        }
        System.out.print(t);
        try {
            Files.createDirectories(OUT);
            Files.writeString(OUT.resolve("table.md"), t.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.out.println("(could not write " + OUT.resolve("table.md") + ": " + e + ")");
        }
    }

    static String machine() {
        String mem = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    mem = String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave "?"
        }
        return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC).format(Instant.now())
                + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + mem + " memory, Java "
                + System.getProperty("java.version") + ", load average at start " + loadAverage();
    }

    /** The 1, 5 and 15 minute load averages (Linux), to judge how busy the shared machine was. */
    static String loadAverage() {
        try {
            return String.join(" ", Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    static String mib(long kib) {
        return String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String fmt2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String secs(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }

    static void say(String s) {
        System.out.println(Instant.now().toString().substring(11, 19) + " " + s);
    }
}
