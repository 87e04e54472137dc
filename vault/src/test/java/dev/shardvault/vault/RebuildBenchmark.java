package dev.shardvault.vault;

import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.config.Timeouts;
import dev.shardvault.vault.rebuild.Rebuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Not a test: a 5-node in-process cluster holding {@code secrets} secrets with 3 versions each; node 3's disk is
 * replaced (stopped, data directory deleted, started empty) and the benchmark times how long until it reports
 * its rebuild in sync, while a steady foreground load (latest reads and some updates at a fixed number of
 * clients) runs. The load's p99 is measured before, during and after the rebuild in the same run, so the ratio
 * is side by side. Run with {@code scripts/bench-rebuild.sh [secrets] [clients]}; prints {@code name value unit}.
 */
public final class RebuildBenchmark {

    private static final int VERSIONS = 3;

    private RebuildBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int secrets = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        Path root = Files.createTempDirectory("shardvault-rebuild-bench");
        try (TestCluster cluster = TestCluster.start(root, 5, 3, Timeouts.DEFAULT)) {
            long started = System.nanoTime();
            populate(cluster, secrets);
            print("populate.versions", (double) secrets * VERSIONS, "versions");
            print("populate.time", (System.nanoTime() - started) / 1e9, "s");
            // Commits reach the nodes beyond W in the background; a node that missed one gets it from its rebuild.
            long settleDeadline = System.nanoTime() + 30_000_000_000L;
            while (!everyNodeHoldsAll(cluster, secrets) && System.nanoTime() < settleDeadline) {
                Thread.sleep(100);
            }
            for (int id = 1; id <= 5; id++) {
                print("populate.node" + id + ".versions_held", held(cluster, id), "versions");
            }

            long[] before = load(cluster, secrets, clients, () -> false, 10);
            cluster.stop(3);
            cluster.wipe(3);
            long wiped = System.nanoTime();
            cluster.restart(3);
            // The foreground load runs until node 3 reports in sync; the first client to see it notes the time.
            AtomicLong syncedAt = new AtomicLong();
            long[] during = load(cluster, secrets, clients, () -> {
                Rebuilder.Status status = cluster.node(3).rebuildStatus();
                if (status.state().equals("in-sync") && status.missing() == 0) {
                    syncedAt.compareAndSet(0, System.nanoTime());
                    return true;
                }
                return false;
            }, 600);
            long[] after = load(cluster, secrets, clients, () -> false, 10);

            double rebuildSeconds = (syncedAt.get() - wiped) / 1e9;
            print("rebuild.versions", cluster.node(3).rebuildStatus().rebuilt(), "versions");
            print("rebuild.time_to_in_sync", rebuildSeconds, "s");
            print("rebuild.versions_per_s", cluster.node(3).rebuildStatus().rebuilt() / rebuildSeconds, "versions/s");
            double p99Before = percentile(before, 0.99) / 1e6;
            double p99During = percentile(during, 0.99) / 1e6;
            double p99After = percentile(after, 0.99) / 1e6;
            print("foreground.before.ops", before.length, "ops");
            print("foreground.before.p99", p99Before, "ms");
            print("foreground.during.ops", during.length, "ops");
            print("foreground.during.p99", p99During, "ms");
            print("foreground.after.ops", after.length, "ops");
            print("foreground.after.p99", p99After, "ms");
            print("foreground.p99_ratio_during_vs_without", p99During / ((p99Before + p99After) / 2), "x");
        }
    }

    private static boolean everyNodeHoldsAll(TestCluster cluster, int secrets) {
        for (int id = 1; id <= 5; id++) {
            if (held(cluster, id) < (long) secrets * VERSIONS) {
                return false;
            }
        }
        return true;
    }

    private static long held(TestCluster cluster, int id) {
        long held = 0;
        for (var entry : cluster.node(id).store().catalogue(null, Integer.MAX_VALUE)) {
            held += entry.versions().size();
        }
        return held;
    }

    private static void populate(TestCluster cluster, int secrets) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> writers = new ArrayList<>();
            int threads = 16;
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    Client client = cluster.client(1 + thread % 5);
                    for (int i = thread; i < secrets; i += threads) {
                        expect(client.create("R" + i, "value-1-" + i), 201);
                        for (int v = 2; v <= VERSIONS; v++) {
                            expect(client.update("R" + i, "value-" + v + "-" + i), 200);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        }
    }

    /**
     * {@code clients} clients, each reading the latest version of a random secret (one in ten updates one),
     * through every node in turn, until {@code stop} says so or {@code maxSeconds} passed; returns the latencies.
     */
    private static long[] load(TestCluster cluster, int secrets, int clients, BooleanSupplier stop, double maxSeconds)
            throws Exception {
        long stopAt = System.nanoTime() + (long) (maxSeconds * 1e9);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<long[]>> workers = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                workers.add(pool.submit(() -> {
                    long[] latencies = new long[1 << 12];
                    int count = 0;
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    Client[] targets = new Client[5]; // one client (kept-alive connections) per node
                    for (int id = 1; id <= 5; id++) {
                        targets[id - 1] = cluster.client(id);
                    }
                    while (System.nanoTime() < stopAt && !stop.getAsBoolean()) {
                        Client target = targets[(client + count) % 5];
                        String name = "R" + random.nextInt(secrets);
                        long started = System.nanoTime();
                        if (random.nextInt(10) == 0) {
                            expect(target.update(name, "load-" + count), 200);
                        } else {
                            expect(target.read(name), 200);
                        }
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = System.nanoTime() - started;
                    }
                    return Arrays.copyOf(latencies, count);
                }));
            }
            List<long[]> all = new ArrayList<>();
            for (Future<long[]> worker : workers) {
                all.add(worker.get());
            }
            return all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        }
    }

    private static void expect(Answer answer, int status) {
        if (answer.status() != status) {
            throw new IllegalStateException("expected " + status + ": " + answer);
        }
    }

    private static long percentile(long[] sorted, double quantile) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
    }

    private static void print(String name, double value, String unit) {
        System.out.printf("%s %.3f %s%n", name, value, unit);
    }
}
