package dev.shardvault.gateway;

import dev.shardvault.gateway.Api.Reply;
import dev.shardvault.gateway.history.Checker;
import dev.shardvault.gateway.history.Operation;
import dev.shardvault.gateway.history.SecretModel;
import dev.shardvault.gateway.history.SecretModel.Answer;
import dev.shardvault.gateway.history.SecretModel.Call;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A seeded fault run, Jepsen style: two gateways and five nodes as real processes, every link through a
 * {@link FaultProxy}; clients run random creates, updates, {@code If-Match} updates, reads and deletes over a few
 * names (so they collide) through either gateway while a schedule drawn from the seed injects one fault at a
 * time. Every client operation is recorded with its invocation, completion and answer; at the end everything is
 * healed, in-doubt transactions are awaited, every name is read once more, and each name's history is checked
 * for linearizability against {@link SecretModel}.
 *
 * <p>A write whose answer was lost or unconfirmed is resent with its Idempotency-Key, as a client should, until
 * its outcome is known: docs/api.md promises such a retry applies the write at most once and answers with the
 * first outcome, so the original and its retries are one operation from the first invocation to the last
 * answer. Only writes still unresolved at the end are indeterminate.
 */
final class FaultRun {

    /** What one run did and found. */
    record Summary(long seed, int operations, int faults, int indeterminate, int retried, long checkerMillis,
                   Map<String, Checker.Result> results, List<String> faultLog, List<String> unexpected,
                   Map<String, List<String>> attempts, Map<String, Long> answers) {

        boolean linearizable() {
            return results.values().stream().allMatch(Checker.Result::linearizable);
        }

        String describe() {
            StringBuilder out = new StringBuilder();
            out.append("fault-run: seed ").append(seed).append('\n');
            out.append("fault-run: operations ").append(operations).append('\n');
            out.append("fault-run: faults ").append(faults).append('\n');
            out.append("fault-run: indeterminate ").append(indeterminate).append(" (resent with their key: ").append(retried)
               .append(")\n");
            out.append("fault-run: checker ").append(checkerMillis).append(" ms\n");
            out.append("fault-run: answers");
            new java.util.TreeMap<>(answers).forEach((kind, count) -> out.append(" | ").append(kind).append(' ').append(count));
            out.append('\n');
            out.append("fault-run: verdict ").append(linearizable() ? "linearizable" : "not-linearizable").append('\n');
            results.forEach((name, result) -> {
                out.append("fault-run: ").append(name).append(' ').append(result.operations()).append(" operations ")
                   .append(result.linearizable() ? "linearizable" : "NOT linearizable").append('\n');
                if (!result.linearizable()) {
                    out.append(result.report());
                    out.append("  every attempt on ").append(name).append(" (invoked, answered):\n");
                    attempts.getOrDefault(name, List.of()).forEach(line -> out.append("    ").append(line).append('\n'));
                }
            });
            unexpected.forEach(line -> out.append("fault-run: unexpected answer: ").append(line).append('\n'));
            return out.toString();
        }
    }

    private static final String[] NAMES = {"K0", "K1", "K2", "K3", "K4"};

    private final Path dir;
    private final long seed;
    private final int seconds;
    private final int clients;
    private final String marker;
    private final Map<String, List<Operation<Call, Answer>>> histories = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> sent = new ConcurrentHashMap<>();
    /** Every attempt's raw answer, per name, for the report of a violation. */
    private final Map<String, List<String>> attempts = new ConcurrentHashMap<>();
    private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    private final List<String> faultLog = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger faults = new AtomicInteger();
    private final AtomicInteger indeterminate = new AtomicInteger();
    private final AtomicInteger retried = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final long origin = System.nanoTime();

    FaultRun(Path dir, long seed, int seconds, int clients, String marker) {
        this.dir = dir;
        this.seed = seed;
        this.seconds = seconds;
        this.clients = clients;
        this.marker = marker;
    }

    Summary run() throws Exception {
        Random schedule = new Random(seed);
        long skew = (schedule.nextInt(4001) - 2000); // the second gateway's clock, up to 2 s off
        faultLog.add("g2 clock offset " + skew + " ms");
        try (ProcessCluster cluster = new ProcessCluster(dir, new ProcessCluster.Options(2, true, new long[] {0, skew}))) {
            cluster.startAll();
            log("cluster started");
            List<Api> gateways = cluster.gatewayIds().stream()
                    .map(id -> new Api(cluster.gateway(id), ProcessCluster.TOKEN, Duration.ofSeconds(10))).toList();
            awaitWritable(gateways);
            log("writable through both gateways; clients start");
            try (ExecutorService load = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int client = c;
                    running.add(load.submit(() -> client(client, gateways, new Random(seed * 31 + client))));
                }
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                try {
                    while (System.nanoTime() < end) {
                        inject(cluster, schedule);
                    }
                    heal(cluster);
                    log("healed");
                } finally {
                    // A fault that cannot be undone (a node that will not start again) fails the run: the clients
                    // must stop, or closing their executor waits for them forever and hides the failure.
                    this.running.set(false);
                }
                for (Future<?> client : running) {
                    client.get();
                }
            }
            log("clients stopped");
            awaitNoInDoubt(cluster);
            log("no transaction in doubt");
            finalReads(gateways);
            assertStoredVersionsWereSent(gateways);
            if (Boolean.getBoolean("faults.dump")) {
                for (int id : cluster.ids()) {
                    List<String> lines = cluster.output(id).lines().toList();
                    System.out.println("---- " + ProcessCluster.name(id) + " (last 40 lines) ----");
                    lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
                }
            }
        }
        long checking = System.nanoTime();
        Map<String, Checker.Result> results = Checker.checkPerKey(new SecretModel(), new java.util.TreeMap<>(histories));
        long checkerMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checking);
        int operations = histories.values().stream().mapToInt(List::size).sum();
        return new Summary(seed, operations, faults.get(), indeterminate.get(), retried.get(), checkerMillis, results,
                           List.copyOf(faultLog), List.copyOf(unexpected), Map.copyOf(attempts), answerCounts());
    }

    private long now() {
        return System.nanoTime() - origin;
    }

    // ---- faults ----

    /** One fault from the schedule: injected, held for a while, healed; then a pause before the next. */
    private void inject(ProcessCluster cluster, Random schedule) throws InterruptedException {
        int node = 1 + schedule.nextInt(ProcessCluster.N);
        int gateway = cluster.gatewayIds().get(schedule.nextInt(2));
        long hold = 500 + schedule.nextInt(2500);
        FaultProxy proxy = cluster.proxy();
        String fault;
        switch (schedule.nextInt(9)) {
            case 0 -> {
                fault = "SIGKILL " + ProcessCluster.name(node) + ", restarted after " + hold + " ms";
                fault(fault);
                cluster.kill(node);
                Thread.sleep(hold);
                cluster.start(node);
            }
            case 1 -> {
                fault = "SIGKILL " + ProcessCluster.name(gateway) + ", restarted after " + hold + " ms";
                fault(fault);
                cluster.kill(gateway);
                Thread.sleep(hold);
                cluster.start(gateway);
            }
            case 2 -> {
                int victim = schedule.nextBoolean() ? node : gateway;
                fault = "SIGSTOP " + ProcessCluster.name(victim) + " for " + hold + " ms";
                fault(fault);
                cluster.pause(victim);
                Thread.sleep(hold);
                cluster.resume(victim);
            }
            case 3 -> {
                Set<String> side = new TreeSet<>();
                side.add(ProcessCluster.name(node));
                if (schedule.nextBoolean()) {
                    side.add(ProcessCluster.name(1 + (node % ProcessCluster.N)));
                }
                if (schedule.nextBoolean()) {
                    side.add(ProcessCluster.name(gateway));
                }
                boolean bothWays = schedule.nextInt(3) > 0;
                fault = "partition " + side + (bothWays ? " from the rest" : " calling out") + " for " + hold + " ms";
                fault(fault);
                proxy.partition(side, bothWays);
                Thread.sleep(hold);
                proxy.healAll();
            }
            case 4 -> {
                int delay = 20 + schedule.nextInt(300);
                fault = "delay " + delay + " ms on every link into " + ProcessCluster.name(node) + " for " + hold + " ms";
                fault(fault);
                into(proxy, node).forEach(link -> link.delay(delay));
                Thread.sleep(hold);
                proxy.healAll();
            }
            case 5 -> {
                fault = "cut every open connection into " + ProcessCluster.name(node);
                fault(fault);
                into(proxy, node).forEach(FaultProxy.Link::cut);
            }
            case 6 -> hold(proxy, node, FaultProxy.Mode.REFUSE, "refuse new connections on", hold);
            case 7 -> hold(proxy, node, FaultProxy.Mode.BLACKHOLE, "blackhole", hold);
            default -> {
                int other = 1 + (node % ProcessCluster.N);
                fault = "SIGKILL " + ProcessCluster.name(node) + " and " + ProcessCluster.name(other) + ", restarted after " + hold + " ms";
                fault(fault);
                cluster.kill(node);
                cluster.kill(other);
                Thread.sleep(hold);
                cluster.startNodes(node, other);
            }
        }
        Thread.sleep(300 + schedule.nextInt(1200));
    }

    /** Every link into {@code node} in {@code mode} for {@code hold} ms, then every link healed. */
    private void hold(FaultProxy proxy, int node, FaultProxy.Mode mode, String what, long hold) throws InterruptedException {
        fault(what + " every link into " + ProcessCluster.name(node) + " for " + hold + " ms");
        into(proxy, node).forEach(link -> link.set(mode));
        Thread.sleep(hold);
        proxy.healAll();
    }

    private static List<FaultProxy.Link> into(FaultProxy proxy, int node) {
        return proxy.links().stream().filter(link -> link.to.equals(ProcessCluster.name(node))).toList();
    }

    private void fault(String fault) {
        faults.incrementAndGet();
        log(fault);
    }

    private void log(String event) {
        faultLog.add(String.format("%7.3f s %s", now() / 1e9, event));
    }

    private void heal(ProcessCluster cluster) throws InterruptedException {
        cluster.proxy().healAll();
        for (int id : cluster.ids()) {
            if (!cluster.alive(id)) {
                cluster.start(id);
            }
        }
    }

    // ---- clients ----

    private sealed interface Outcome {
    }

    /** An answer the model checks. */
    private record Done(Answer answer) implements Outcome {
    }

    /** Definitely not applied (refused before anything was prepared, or a read that got no answer). */
    private record Dropped() implements Outcome {
    }

    /** May have been applied: resend with the same key. */
    private record Unknown(String why) implements Outcome {
    }

    private void client(int client, List<Api> gateways, Random random) {
        Map<String, Long> lastSeen = new HashMap<>();
        int counter = 0;
        while (running.get()) {
            String name = NAMES[random.nextInt(NAMES.length)];
            String value = marker + "-c" + client + "-" + counter++;
            int dice = random.nextInt(100);
            Call call = dice < 15 ? new SecretModel.Create(value)
                    : dice < 37 ? new SecretModel.Update(value)
                    : dice < 52 ? new SecretModel.UpdateIfMatch(lastSeen.getOrDefault(name, 1L), value)
                    : dice < 92 ? new SecretModel.Read()
                    : new SecretModel.Delete();
            if (!(call instanceof SecretModel.Read) && !(call instanceof SecretModel.Delete)) {
                sent.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(value);
            }
            String key = UUID.randomUUID().toString();
            long invoked = now();
            Outcome outcome = attempt(gateways.get(random.nextInt(gateways.size())), name, call, key);
            // Once an attempt may have reached a node, only a final answer settles the write: a resend that is
            // refused (connection refused, or a voting failure of the resend itself) says nothing of the first.
            boolean uncertain = outcome instanceof Unknown && !(call instanceof SecretModel.Read);
            int attempts = 0;
            while (uncertain && !(outcome instanceof Done) && !(outcome instanceof Unknown u && u.why().startsWith("key reused"))
                   && attempts < 40 && (running.get() || attempts < 20)) {
                pause(200);
                attempts++;
                outcome = attempt(gateways.get(random.nextInt(gateways.size())), name, call, key);
            }
            if (uncertain && !(outcome instanceof Done)) {
                outcome = new Unknown("unresolved after " + attempts + " resends");
            }
            if (attempts > 0) {
                retried.incrementAndGet();
            }
            long completed = now();
            switch (outcome) {
                case Done done -> {
                    record(name, Operation.completed(client, call, invoked, completed, done.answer()));
                    if (done.answer() instanceof SecretModel.Value v) {
                        lastSeen.put(name, v.version());
                    } else if (done.answer() instanceof SecretModel.Written w) {
                        lastSeen.put(name, w.version());
                    }
                }
                case Unknown unknown -> {
                    if (!(call instanceof SecretModel.Read)) {
                        indeterminate.incrementAndGet();
                        record(name, Operation.indeterminate(client, call, invoked));
                    }
                }
                case Dropped dropped -> pause(50);
            }
        }
    }

    /** Every attempt's answer, by status and problem type (or the client's exception), counted. */
    private final Map<String, java.util.concurrent.atomic.LongAdder> answers = new ConcurrentHashMap<>();

    private Map<String, Long> answerCounts() {
        Map<String, Long> counts = new java.util.HashMap<>();
        answers.forEach((kind, count) -> counts.put(kind, count.sum()));
        return counts;
    }

    private void count(String kind) {
        answers.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    private void record(String name, Operation<Call, Answer> operation) {
        histories.computeIfAbsent(name, n -> Collections.synchronizedList(new ArrayList<>())).add(operation);
    }

    private Outcome attempt(Api api, String name, Call call, String key) {
        long started = now();
        Reply reply;
        try {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Idempotency-Key", key);
            reply = switch (call) {
                case SecretModel.Create create -> api.send("POST", "/v1/secrets", Api.json(Map.of("name", name, "value", create.value())),
                                                           "application/json", headers);
                case SecretModel.Update update -> api.send("PUT", "/v1/secrets/" + name, Api.json(Map.of("value", update.value())),
                                                           "application/json", headers);
                case SecretModel.UpdateIfMatch update -> {
                    headers.put("If-Match", "\"" + update.expected() + "\"");
                    yield api.send("PUT", "/v1/secrets/" + name, Api.json(Map.of("value", update.value())), "application/json", headers);
                }
                case SecretModel.Read read -> api.send("GET", "/v1/secrets/" + name, null, null, Map.of());
                case SecretModel.Delete delete -> api.send("DELETE", "/v1/secrets/" + name, null, null, headers);
            };
        } catch (RuntimeException e) {
            Outcome outcome = refusedConnection(e) ? new Dropped() : new Unknown(e.toString());
            count(refusedConnection(e) ? "refused-connection" : e.getClass().getSimpleName());
            attempt(name, call, key, started, e.toString(), outcome);
            return outcome;
        }
        Outcome outcome = classify(name, call, reply);
        count(reply.status() + (reply.status() < 300 ? "" : " " + reply.type().replace("urn:shardvault:", "")));
        attempt(name, call, key, started, reply.status() + " " + (reply.status() < 300 ? "" : reply.text()), outcome);
        return outcome;
    }

    private void attempt(String name, Call call, String key, long started, String answer, Outcome outcome) {
        attempts.computeIfAbsent(name, n -> Collections.synchronizedList(new ArrayList<>()))
                .add(String.format("[%d, %d] %s key %s: %s => %s", started, now(), call, key.substring(0, 8), answer,
                                   outcome.getClass().getSimpleName()));
    }

    /** A connection the gateway never accepted: the request cannot have reached it. */
    private static boolean refusedConnection(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    private Outcome classify(String name, Call call, Reply reply) {
        int status = reply.status();
        String type = reply.type();
        if (status == 200 || status == 201) {
            return new Done(switch (call) {
                case SecretModel.Read read -> new SecretModel.Value(reply.version(), reply.json().getString("value"));
                case SecretModel.Delete delete -> new SecretModel.Deleted();
                default -> new SecretModel.Written(reply.version());
            });
        }
        if (status == 404 && type.equals("urn:shardvault:secret-not-found")) {
            return new Done(new SecretModel.NotFound());
        }
        if (status == 409 && type.equals("urn:shardvault:secret-exists") && call instanceof SecretModel.Create) {
            return new Done(new SecretModel.Exists());
        }
        if (status == 412 && type.equals("urn:shardvault:version-mismatch") && call instanceof SecretModel.UpdateIfMatch) {
            return new Done(new SecretModel.Mismatch());
        }
        boolean voting = "voting".equals(reply.json().getString("phase", ""));
        if ((status == 503 || status == 409) && voting) {
            return new Dropped(); // quorum-unavailable or write-conflict: refused before anything was prepared
        }
        if (status == 503 && (type.equals("urn:shardvault:insufficient-shards") || type.equals("urn:shardvault:unavailable"))) {
            return new Dropped();
        }
        if (status == 409 && type.equals("urn:shardvault:idempotency-key-reused")) {
            return new Unknown("key reused: " + reply.text()); // its secret was deleted since: the outcome is lost for good
        }
        if (status >= 500) {
            return new Unknown(status + " " + type);
        }
        unexpected.add(name + " " + call + ": " + status + " " + reply.text());
        return new Dropped();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the end ----

    private static void awaitWritable(List<Api> gateways) throws InterruptedException {
        for (Api api : gateways) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (api.read("K0").status() == 503 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }
    }

    /** Waits (boundedly) until no node holds an in-doubt transaction, so that the final reads see settled state. */
    private void awaitNoInDoubt(ProcessCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            boolean settled = true;
            for (int node = 1; node <= ProcessCluster.N; node++) {
                settled &= cluster.inDoubt(node) == 0;
            }
            if (settled) {
                return;
            }
            Thread.sleep(100);
        }
        faultLog.add("(in-doubt transactions still open 30 s after healing)");
    }

    /** Every name read once more through each gateway, after everything healed: part of the checked history. */
    private void finalReads(List<Api> gateways) {
        for (String name : NAMES) {
            for (Api api : gateways) {
                for (int attempt = 0; attempt < 50; attempt++) {
                    long invoked = now();
                    Outcome outcome = attempt(api, name, new SecretModel.Read(), UUID.randomUUID().toString());
                    if (outcome instanceof Done done) {
                        record(name, Operation.completed(-1, new SecretModel.Read(), invoked, now(), done.answer()));
                        break;
                    }
                    pause(200);
                }
            }
        }
    }

    /**
     * What the latest reads cannot show, from each name's stored versions: they run 1..N without a gap, each holds a
     * value some client sent for that name (none invented or mixed), and a value whose write was acknowledged as
     * version v is at version v.
     */
    private void assertStoredVersionsWereSent(List<Api> gateways) {
        Api api = gateways.get(0);
        Map<String, Long> acknowledgedAt = new HashMap<>();
        histories.values().forEach(history -> {
            synchronized (history) {
                for (Operation<Call, Answer> op : history) {
                    String value = switch (op.input()) {
                        case SecretModel.Create create -> create.value();
                        case SecretModel.Update update -> update.value();
                        case SecretModel.UpdateIfMatch update -> update.value();
                        default -> null;
                    };
                    if (value != null && op.output() instanceof SecretModel.Written written) {
                        acknowledgedAt.put(value, written.version());
                    }
                }
            }
        });
        for (String name : NAMES) {
            Reply history = api.read(name + "/versions");
            if (history.status() != 200) {
                continue;
            }
            long expected = 1;
            for (var version : history.json().getJsonArray("versions")) {
                long v = version.asJsonObject().getJsonNumber("version").longValue();
                if (v != expected) {
                    unexpected.add(name + " has version " + v + " where " + expected + " was due: " + history.text());
                }
                expected = v + 1;
                Reply read = api.read(name + "?version=" + v);
                if (read.status() != 200) {
                    continue;
                }
                String value = read.json().getString("value");
                if (!sent.getOrDefault(name, Set.of()).contains(value)) {
                    unexpected.add(name + " v" + v + " holds a value no client sent for it");
                } else if (acknowledgedAt.containsKey(value) && acknowledgedAt.get(value) != v) {
                    unexpected.add(name + " v" + v + " holds the value acknowledged as v" + acknowledgedAt.get(value));
                }
            }
        }
    }
}
