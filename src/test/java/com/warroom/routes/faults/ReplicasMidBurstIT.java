package com.warroom.routes.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.warroom.routes.kafka.RecordDeadline;
import com.warroom.routes.sandbox.FlashdutySandbox;
import com.warroom.routes.support.Events;
import com.warroom.routes.support.TestKafka;
import com.warroom.routes.support.WarRoomTestApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 21: replicas of one deployment (one consumer group on the incident topic, 3 partitions) share
 * the account's budget, both windows together, and the membership changes while a burst is being
 * drained: a replica joins, one leaves cleanly (SIGTERM), one is killed (SIGKILL), and a rolling
 * restart stops and starts each in turn. Every replica runs in a JVM of its own
 * ({@link SeparateJvmApp}, hence this package), so a kill is a real one.
 * <p>
 * Each scenario checks, from what reached Kafka and the sandbox's own call log: no record ended
 * {@code failed} (above all not {@code deadline_exceeded}: a replica that may make no call for longer than
 * a record's deadline fails the records it was handed); every incident of the burst got exactly one
 * {@code created} result (a record handled again after its partition moved gets {@code already_exists}
 * besides); one room per incident; both windows held and no 429.
 * <p>
 * The burst keeps a backlog of unhandled incidents topped up until the scenario's last membership change is
 * complete and a tail after it, so records keep arriving on every partition whenever a replica joins or leaves,
 * however long a JVM takes to start, and what is left drains in seconds. Its records lie 70/20/10 % on the three
 * partitions: a replica's share of the budget does not follow its share of the work.
 */
class ReplicasMidBurstIT {

    /**
     * Short windows (the account's are 50 per 1,000 ms and 1,000 per 60,000 ms): same rules, faster runs. The
     * limits are half the fault suite's, 20 calls a second in all, fewer than one replica handles alone
     * (some 28 a second here, one record at a time), so the budget, not the replicas' speed, paces the burst
     * and a share granted too early shows as a full window.
     */
    static final int PER_SHORT = 5;
    static final long SHORT_WINDOW = 200;
    static final int PER_LONG = 20;
    static final long LONG_WINDOW = 1000;
    /**
     * One record per poll and a 10,000 ms poll interval: each record may wait 80 % of 10,000 ms less one
     * response time-out (3,000 ms, RunningApp's flashduty.response-timeout-ms) = 5,000 ms for the budget
     * (4,000 ms until 2026-12-03: after issue 23's merge one record in three clean-clone runs missed it,
     * once at a join and once at a rolling restart; still under the 6 s below, so the old code still fails):
     * twice the long window and twice the 0.75 s by which a replica's claims outlast its calls in the
     * others' count (a fixed time that does not shrink with the test's windows; a record at start may wait
     * for the catalog load and then for its own create, each for the busy replica's claims to leave the
     * window). That is less than what the budget code before issue 21 made a joining replica wait without
     * a call (the long window plus its 5 s settle time: 6 s), which failed records as deadline_exceeded.
     */
    static final String MAX_POLL_RECORDS = "1";
    static final String MAX_POLL_INTERVAL_MS = "10000";
    static final long DEADLINE_MS = RecordDeadline.perRecordMillis(Long.parseLong(MAX_POLL_INTERVAL_MS),
            Integer.parseInt(MAX_POLL_RECORDS), 3000);

    /**
     * The burst keeps this many incidents unhandled (sent, no result yet), topped up every 100 ms in tens
     * (7, 2, 1 on partitions 0, 1, 2): the replicas always have work waiting, as in a burst, and once it
     * stops the rest drains in seconds whatever the scenario cost in JVM starts.
     */
    static final int BACKLOG = 60;
    /** When the burst is well under way: the sandbox has opened this many rooms. */
    static final int UNDER_WAY = 30;
    /** Rooms opened after the scenario's last change before the burst stops: the change was mid-burst. */
    static final int TAIL = 30;

    static final Duration START = Duration.ofSeconds(90);
    static final Duration DRAIN = Duration.ofSeconds(120);
    static final String CREATE = "/incident/war-room/create";

    @RegisterExtension
    static WarRoomTestApp testApp = WarRoomTestApp.withDefaults().perTest().startedByTest()
            .budget(PER_SHORT, SHORT_WINDOW, PER_LONG, LONG_WINDOW)
            .setting("kafka.max-poll-records", MAX_POLL_RECORDS)
            .setting("kafka.max-poll-interval-ms", MAX_POLL_INTERVAL_MS)
            // The incident consumers' group timing, shortened for CI as the windows are: Camel's default session
            // (45 s) would leave a killed replica's partitions unserved that long (6 s: the broker's least), and its
            // 3 s heartbeat would let a rebalance wait that long before the other member hears of it
            .setting("camel.component.kafka.session-timeout-ms", "6000")
            .setting("camel.component.kafka.heartbeat-interval-ms", "500")
            .beforeStart(app -> app.broker().createTopic(app.setting("incident.topic"), 3));

    // ---- 1 --------------------------------------------------------------------------------------

    @Test
    void aReplicaThatJoinsMidBurstHandlesItsPartitionsWithinTheirDeadline() throws Exception {
        try (Scenario s = new Scenario("JOIN")) {
            Replica a = s.replica("a").start();
            a.awaitReady();
            s.burst.start();
            s.awaitCreates(UNDER_WAY);
            Replica b = s.replica("b").start(); // joins while a drains the burst
            s.changed("b started");
            b.awaitReady();
            s.awaitTail();
            s.burst.stop();
            s.awaitAllHandled();
            s.stopAll();
            s.handledSomething(b, "the replica that joined");
            s.verify(Set.of());
        }
    }

    // ---- 2 --------------------------------------------------------------------------------------

    @Test
    void aReplicaStoppedCleanlyMidBurstLosesNothingAndTheOtherKeepsToTheWindows() throws Exception {
        try (Scenario s = new Scenario("LEAVE")) {
            Replica a = s.replica("a").start();
            Replica b = s.replica("b").start();
            a.awaitReady();
            b.awaitReady();
            s.burst.start();
            s.awaitCreates(UNDER_WAY);
            s.awaitHandledSomething(b);
            s.changed("b stopped");
            b.stop(); // SIGTERM: its partitions and its share go to a
            s.awaitTail();
            s.burst.stop();
            s.awaitAllHandled();
            s.stopAll();
            s.handledSomething(a, "the replica that stayed");
            s.verify(Set.of());
        }
    }

    // ---- 3 --------------------------------------------------------------------------------------

    @Test
    void aReplicaKilledMidBurstLosesNothingAndTheOtherKeepsToTheWindows() throws Exception {
        try (Scenario s = new Scenario("KILL")) {
            Replica a = s.replica("a").start();
            Replica b = s.replica("b").start();
            a.awaitReady();
            b.awaitReady();
            s.burst.start();
            s.awaitCreates(UNDER_WAY);
            s.awaitHandledSomething(b);
            s.changed("b killed");
            b.kill(); // SIGKILL: no goodbye to either group, a create may be in flight
            // README, Guarantees: a create in flight when its process dies cannot be known to anyone, so its
            // incident alone may get a second room: the rooms the sandbox opened that are not in the ledger now
            Set<String> recorded = new LinkedHashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : testApp.kafka().readAll(testApp.setting("ledger.topic"))) {
                recorded.add(TestKafka.key(r));
            }
            Set<String> inFlight = new LinkedHashSet<>(s.roomsOpened().keySet());
            inFlight.removeAll(recorded);
            s.awaitTail();
            s.burst.stop();
            s.awaitAllHandled();
            s.stopAll();
            s.handledSomething(a, "the replica that survived");
            s.verify(inFlight);
        }
    }

    // ---- 4 --------------------------------------------------------------------------------------

    @Test
    void aRollingRestartMidBurstLosesNothingAndKeepsToTheWindows() throws Exception {
        try (Scenario s = new Scenario("ROLLING RESTART")) {
            Replica a = s.replica("a").start();
            Replica b = s.replica("b").start();
            a.awaitReady();
            b.awaitReady();
            s.burst.start();
            s.awaitCreates(UNDER_WAY);
            s.changed("b stopped");
            b.stop();
            Replica b2 = b.again("b2").start(); // a new process with b's settings
            b2.awaitReady();
            s.changed("a stopped");
            a.stop();
            Replica a2 = a.again("a2").start();
            a2.awaitReady();
            s.changed("a2 ready");
            s.awaitTail();
            s.burst.stop();
            s.awaitAllHandled();
            s.stopAll();
            s.handledSomething(b2, "b restarted");
            s.handledSomething(a2, "a restarted");
            s.verify(Set.of());
        }
    }

    // ---- the scenario ---------------------------------------------------------------------------

    /** One scenario's replicas, burst and checks, on the test's sandbox and topics. */
    static final class Scenario implements AutoCloseable {
        final String name;
        final long startedAt = System.nanoTime();
        final FlashdutySandbox sandbox = testApp.sandbox();
        final Map<String, String> settings = testApp.settings();
        final Burst burst = new Burst(settings.get("incident.topic"), settings.get("result.topic"));
        final List<Replica> replicas = new ArrayList<>();
        /** what happened when, with how much of the burst was sent and handled then */
        final List<String> changes = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        /** a replica was SIGKILLed: its ledger entry may have been written without its result */
        boolean killed;
        private int createsAtLastChange;

        Scenario(String name) {
            this.name = name;
        }

        Replica replica(String which) {
            Replica r = new Replica(this, which, new LinkedHashMap<>(settings));
            r.settings.put("management.port", String.valueOf(TestKafka.freePort()));
            return r;
        }

        /** Rooms the sandbox opened, per incident, from its call log (creates it answered 200). */
        Map<String, Integer> roomsOpened() {
            Map<String, Integer> rooms = new TreeMap<>();
            for (FlashdutySandbox.Call c : sandbox.calls(CREATE)) {
                if (c.status() == 200 && c.incidentId() != null) {
                    rooms.merge(c.incidentId(), 1, Integer::sum);
                }
            }
            return rooms;
        }

        int creates() {
            return roomsOpened().values().stream().mapToInt(Integer::intValue).sum();
        }

        void awaitCreates(int atLeast) {
            await(name + ": " + atLeast + " rooms opened").atMost(START).pollInterval(Duration.ofMillis(50))
                    .until(() -> creates() >= atLeast);
        }

        /** A membership change: noted with the burst's state, which must still be running with records unhandled. */
        void changed(String what) {
            int sent = burst.sent().size();
            int handled = handledIncidents().size();
            changes.add(String.format("%.1f s %s (%d sent, %d handled)", (System.nanoTime() - startedAt) / 1e9, what, sent, handled));
            assertTrue(burst.running() && handled < sent, name + ": '" + what + "' was not mid-burst: " + sent + " sent, " + handled
                    + " handled, burst running " + burst.running());
            createsAtLastChange = creates();
        }

        /** The stream goes on until TAIL more rooms were opened after the last change: records kept coming on every partition. */
        void awaitTail() {
            int target = createsAtLastChange + TAIL;
            await(name + ": " + TAIL + " rooms after the last change").atMost(DRAIN).pollInterval(Duration.ofMillis(50))
                    .until(() -> creates() >= target);
        }

        void awaitHandledSomething(Replica r) {
            await(name + ": " + r.name + " handled an event").atMost(START).pollInterval(Duration.ofMillis(100))
                    .until(() -> !r.handled().isEmpty());
        }

        void handledSomething(Replica r, String role) {
            assertTrue(!r.handled().isEmpty(), name + ": " + role + " (" + r.name + ") handled no event, so the change was not "
                    + "mid-burst; changes: " + changes);
        }

        Set<String> handledIncidents() {
            return testApp.topics().json(settings.get("result.topic")).stream().map(r -> r.path("incident_id").asText())
                    .collect(Collectors.toSet());
        }

        /** Every incident has a result and every record is committed; on time-out the checks below say what is missing. */
        void awaitAllHandled() {
            Set<String> sent = Set.copyOf(burst.sent());
            try {
                await(name + ": every incident handled").atMost(DRAIN).pollInterval(Duration.ofMillis(250))
                        .until(() -> handledIncidents().containsAll(sent)
                                && testApp.kafka().lag(settings.get("consumer.group"), settings.get("incident.topic")) == 0);
            } catch (ConditionTimeoutException e) {
                problems.add("not every incident was handled within " + DRAIN.toSeconds() + " s");
            }
        }

        /** SIGTERM to every replica still running, at once, then waits for each. */
        void stopAll() throws Exception {
            List<Replica> running = replicas.stream().filter(r -> r.process.isAlive()).toList();
            running.forEach(r -> r.process.destroy());
            for (Replica r : running) {
                r.stop();
            }
        }

        /**
         * The checks of the issue, one line per problem, deadline_exceeded first. {@code mayRepeat}: incidents
         * whose create was in flight when a process was killed (they alone may have two rooms).
         */
        void verify(Set<String> mayRepeat) {
            List<String> sent = burst.sent();
            Map<String, List<JsonNode>> results = new LinkedHashMap<>();
            for (JsonNode r : testApp.topics().json(settings.get("result.topic"))) {
                results.computeIfAbsent(r.path("incident_id").asText(), k -> new ArrayList<>()).add(r);
            }
            Map<String, Integer> rooms = roomsOpened();

            // no record failed, above all not for want of budget
            Map<String, List<String>> failedByReason = new TreeMap<>();
            for (List<JsonNode> rs : results.values()) {
                for (JsonNode r : rs) {
                    if ("failed".equals(r.path("status").asText())) {
                        failedByReason.computeIfAbsent(r.path("reason").asText(), k -> new ArrayList<>()).add(r.path("incident_id").asText()
                                + "@p" + burst.partitionOf(r.path("incident_id").asText()));
                    }
                }
            }
            List<String> deadline = failedByReason.remove("deadline_exceeded");
            if (deadline != null) {
                problems.add(0, deadline.size() + " results failed/deadline_exceeded (record deadline " + DEADLINE_MS
                        + " ms): " + deadline);
            }
            failedByReason.forEach((reason, ids) -> problems.add(ids.size() + " results failed/" + reason + ": " + ids));

            // every incident exactly one created result; already_exists only besides it (handled again after a move),
            // or alone for an incident whose ledger entry was written by a process killed before its result
            List<String> noResult = new ArrayList<>();
            List<String> notCreated = new ArrayList<>();
            for (String incident : sent) {
                List<JsonNode> rs = results.getOrDefault(incident, List.of());
                if (rs.isEmpty()) {
                    noResult.add(incident + "@p" + burst.partitionOf(incident));
                    continue;
                }
                List<String> statuses = rs.stream().map(r -> r.path("status").asText()).toList();
                long created = statuses.stream().filter("created"::equals).count();
                boolean onlyThese = statuses.stream().allMatch(st -> st.equals("created") || st.equals("already_exists"));
                boolean killedBeforeResult = created == 0 && onlyThese && killed && rooms.getOrDefault(incident, 0) == 1;
                if (!onlyThese || created > 1 || created == 0 && !killedBeforeResult) {
                    notCreated.add(incident + " " + statuses);
                }
            }
            if (!noResult.isEmpty()) {
                problems.add(noResult.size() + " incidents without any result: " + noResult);
            }
            if (!notCreated.isEmpty()) {
                problems.add(notCreated.size() + " incidents without exactly one created result (besides already_exists): " + notCreated);
            }

            // one room each, from the sandbox's call log
            List<String> noRoom = sent.stream().filter(i -> !rooms.containsKey(i)).toList();
            if (!noRoom.isEmpty()) {
                problems.add(noRoom.size() + " incidents without a room at the sandbox: " + noRoom);
            }
            Map<String, Integer> second = new TreeMap<>();
            rooms.forEach((incident, n) -> {
                if (n > 1 && !mayRepeat.contains(incident)) {
                    second.put(incident, n);
                }
            });
            if (!second.isEmpty()) {
                problems.add(second.size() + " incidents got a second room (their creates' arrivals, s into the scenario): "
                        + createTimes(second.keySet()));
            }
            Set<String> strangers = new LinkedHashSet<>(rooms.keySet());
            strangers.removeAll(sent);
            if (!strangers.isEmpty()) {
                problems.add("rooms opened for incidents never sent: " + strangers);
            }

            // both windows, as the sandbox saw the calls arrive
            int busiestShort = sandbox.maxInAnyWindow(SHORT_WINDOW);
            int busiestLong = sandbox.maxInAnyWindow(LONG_WINDOW);
            if (busiestShort > PER_SHORT) {
                problems.add("short window exceeded: " + busiestShort + " calls in one " + SHORT_WINDOW + " ms window (limit " + PER_SHORT + ")");
            }
            if (busiestLong > PER_LONG) {
                problems.add("long window exceeded: " + busiestLong + " calls in one " + LONG_WINDOW + " ms window (limit " + PER_LONG + ")");
            }
            if (sandbox.count429() != 0) {
                problems.add(sandbox.count429() + " calls answered 429 RequestTooFrequently");
            }
            problems.addAll(burst.failures);

            // what the replicas' own logs say went wrong under the change: the cause behind a second room or a lost record
            for (Replica r : replicas) {
                for (String line : r.lines()) {
                    if (line.contains("consumer poll timeout has expired")) {
                        problems.add(r.name + ": its incident consumer left the group in the middle of a record (more than "
                                + "max.poll.interval.ms = " + MAX_POLL_INTERVAL_MS + " ms between polls), so the record's partition "
                                + "moved while it was in hand (" + line.substring(0, Math.min(line.length(), 23)) + ")");
                    }
                    if (line.contains("Timeout occurred during graceful shutdown")) {
                        // said, not failed: the Kafka consumer's close can outlast the shutdown time-out while the group
                        // rebalances (issue 25, shutdown within the grace period); what a forced stop could cost, a lost
                        // record or a second room, is asserted above
                        System.out.println(r.name + ": its graceful stop (SIGTERM) timed out and was forced ("
                                + line.substring(0, Math.min(line.length(), 23)) + ")");
                    }
                }
            }

            long repeated = rooms.values().stream().filter(n -> n > 1).count();
            System.out.printf("%s: %d incidents (%d/%d/%d on p0/p1/p2), %.1f s; changes %s; busiest windows %d/%d ms, %d/%d ms; "
                            + "429s %d; deadline_exceeded %d; second rooms %d (%d creates in flight at a kill); %d problems%n",
                    name, sent.size(), burst.onPartition(0), burst.onPartition(1), burst.onPartition(2),
                    (System.nanoTime() - startedAt) / 1e9, changes, busiestShort, SHORT_WINDOW, busiestLong, LONG_WINDOW,
                    sandbox.count429(), deadline == null ? 0 : deadline.size(), repeated, mayRepeat.size(), problems.size());
            assertTrue(problems.isEmpty(), name + ": " + problems.size() + " problems (changes: " + changes + "; busiest windows "
                    + busiestShort + "/" + PER_SHORT + " in " + SHORT_WINDOW + " ms, " + busiestLong + "/" + PER_LONG + " in " + LONG_WINDOW
                    + " ms; " + sandbox.count429() + " 429s)\n"
                    + problems.stream().map(p -> p.length() > 2000 ? p.substring(0, 2000) + "..." : p).collect(Collectors.joining("\n")));
        }

        /** incident → the arrival of each create the sandbox answered, in seconds since the scenario started */
        Map<String, List<String>> createTimes(Set<String> incidents) {
            Map<String, List<String>> out = new TreeMap<>();
            for (FlashdutySandbox.Call c : sandbox.calls(CREATE)) {
                if (c.status() == 200 && incidents.contains(c.incidentId())) {
                    out.computeIfAbsent(c.incidentId(), k -> new ArrayList<>())
                            .add(String.format("%.2f", (c.arrivalNanos() - startedAt) / 1e9));
                }
            }
            return out;
        }

        @Override
        public void close() {
            burst.close();
            for (Replica r : replicas) {
                r.close();
            }
        }
    }

    // ---- one replica: a JVM of its own ------------------------------------------------------------

    static final class Replica implements AutoCloseable {
        /** the per-event line (logger war-room, routes/30-results.yaml) */
        private static final Pattern EVENT_LINE = Pattern.compile(" war-room - incident_id=([0-9a-f]{24}) ");

        final Scenario scenario;
        final String name;
        final Map<String, String> settings;
        final Path log;
        Process process;

        Replica(Scenario scenario, String name, Map<String, String> settings) {
            this.scenario = scenario;
            this.name = name;
            this.settings = settings;
            this.log = Path.of("target", "replicas-" + settings.get("consumer.group") + "-" + name + ".log");
            scenario.replicas.add(this);
        }

        Replica start() throws IOException {
            process = SeparateJvmApp.spawn(settings, log);
            return this;
        }

        /** A new process with the same settings (the same management port too, free again once this one has exited). */
        Replica again(String newName) {
            return new Replica(scenario, newName, new LinkedHashMap<>(settings));
        }

        /** Ready: its readiness page answers 200 (Kafka consumers running, IM catalog loaded, budget threads up). */
        void awaitReady() {
            await(scenario.name + ": " + name + " ready").atMost(START).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!process.isAlive()) {
                    fail(scenario.name + ": " + name + " exited with " + process.exitValue() + " before it was ready; see " + log);
                }
                try {
                    return TestKafka.get(Integer.parseInt(settings.get("management.port")), "/observe/health/ready").statusCode() == 200;
                } catch (IOException notListeningYet) {
                    return false;
                }
            });
        }

        /** SIGTERM, and the graceful stop it starts (Camel's shutdown time-out is 5 s). */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(scenario.name + ": " + name + " did not stop within 30 s of SIGTERM");
            }
        }

        /** SIGKILL. */
        void kill() throws InterruptedException {
            scenario.killed = true;
            process.destroyForcibly();
            process.waitFor();
        }

        /** The incidents this process logged a result for. */
        Set<String> handled() {
            Set<String> ids = new LinkedHashSet<>();
            for (String line : lines()) {
                Matcher m = EVENT_LINE.matcher(line);
                if (m.find()) {
                    ids.add(m.group(1));
                }
            }
            return ids;
        }

        List<String> lines() {
            try {
                return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.ISO_8859_1) : List.of();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            if (process != null && process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    // ---- the burst --------------------------------------------------------------------------------

    /**
     * Fresh incidents, each keyed by its incident_id (one incident, one partition), 7 of every 10 on
     * partition 0, 2 on partition 1, 1 on partition 2: a backlog at once, then every 100 ms as many tens as
     * bring the unhandled ones (sent, no result record yet) back to {@link #BACKLOG}, until stopped.
     */
    static final class Burst implements AutoCloseable {
        private final String topic;
        private final String resultTopic;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private final List<String> sent = new CopyOnWriteArrayList<>();
        private final Map<String, Integer> partitions = new ConcurrentHashMap<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        private volatile boolean running;

        Burst(String topic, String resultTopic) {
            this.topic = topic;
            this.resultTopic = resultTopic;
        }

        void start() {
            send(BACKLOG);
            running = true;
            timer.scheduleWithFixedDelay(() -> {
                try {
                    while (sent.size() - testApp.topics().records(resultTopic).size() < BACKLOG) {
                        send(10);
                    }
                } catch (RuntimeException e) {
                    failures.add("the burst could not send: " + e);
                    throw e;
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
        }

        private void send(int n) {
            for (int i = 0; i < n; i++) {
                int seq = sent.size() % 10;
                int partition = seq < 7 ? 0 : seq < 9 ? 1 : 2;
                ObjectNode e = Events.fresh();
                String incident = Events.incidentId(e);
                testApp.kafka().send(new ProducerRecord<>(topic, partition, TestKafka.utf8(incident), TestKafka.utf8(Events.json(e))));
                partitions.put(incident, partition);
                sent.add(incident);
            }
        }

        void stop() throws InterruptedException {
            running = false;
            timer.shutdown();
            if (!timer.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add("the burst's producer did not stop");
            }
        }

        boolean running() {
            return running && !timer.isShutdown();
        }

        List<String> sent() {
            return List.copyOf(sent);
        }

        int partitionOf(String incident) {
            return partitions.getOrDefault(incident, -1);
        }

        long onPartition(int p) {
            return partitions.values().stream().filter(v -> v == p).count();
        }

        @Override
        public void close() {
            running = false;
            timer.shutdownNow();
        }
    }
}
