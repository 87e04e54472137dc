package dev.shardvault.vault;

import dev.shardvault.log.LogOptions;
import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.store.Journal;
import dev.shardvault.vault.store.ShardStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: prints create/read latency and throughput of a 5-node in-process cluster at 1 and 16 clients
 * (through the nodes' HTTP API, real peer sockets, real fsync'd logs), and the replay time of a node log of
 * 100,000 records. Run with {@code scripts/bench-vault.sh [seconds]}; prints {@code name value unit}.
 */
public final class InProcessBenchmark {

    private InProcessBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        Path root = Files.createTempDirectory("shardvault-bench");
        try (TestCluster cluster = TestCluster.start(root.resolve("cluster"), 5, 3,
                                                           dev.shardvault.vault.config.Timeouts.DEFAULT)) {
            AtomicLong names = new AtomicLong();
            run("warmup", cluster, 8, 2, names, true, false);
            for (int clients : new int[] {1, 16}) {
                run("create." + clients + "_clients", cluster, clients, seconds, names, true, true);
            }
            for (int clients : new int[] {1, 16}) {
                run("read_latest." + clients + "_clients", cluster, clients, seconds, names, false, true);
            }
        }
        replay(root.resolve("replay"), 100_000);
    }

    private static void run(String label, TestCluster cluster, int clients, double seconds, AtomicLong names,
                            boolean create, boolean print) throws Exception {
        long stopAt = System.nanoTime() + (long) (seconds * 1e9);
        long existing = names.get();
        String value = "v".repeat(48);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<long[]>> workers = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                workers.add(pool.submit(() -> {
                    Client target = cluster.client(1 + client % 5);
                    long[] latencies = new long[1 << 14];
                    int count = 0;
                    long i = client;
                    while (System.nanoTime() < stopAt) {
                        long started = System.nanoTime();
                        Answer answer = create ? target.create("B" + names.incrementAndGet(), value)
                                               : target.read("B" + (1 + (i++ * 7919) % existing));
                        if (answer.status() != (create ? 201 : 200)) {
                            throw new IllegalStateException(label + ": " + answer);
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
            long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            if (print) {
                print(label + ".ops_per_s", merged.length / seconds, "ops/s");
                print(label + ".p50", percentile(merged, 0.5) / 1e6, "ms");
                print(label + ".p99", percentile(merged, 0.99) / 1e6, "ms");
            }
        }
    }

    /** Fills one node's log with {@code records} records (prepare + commit pairs), then times a reopen. */
    private static void replay(Path dir, int records) throws Exception {
        LogOptions options = LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(16 << 20);
        try (ShardStore store = ShardStore.open(1, dir, options, e -> { });
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> writers = new ArrayList<>();
            int txns = records / 2;
            int threads = 64;
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    for (int i = thread; i < txns; i += threads) {
                        SecretId id = new SecretId("default", "R" + i);
                        TxnId txn = TxnId.newAttempt(RequestId.random());
                        store.prepare(txn, 1, List.of(new Op.Put(id, Op.Put.Kind.CREATE, -1, new byte[80])));
                        store.commit(new Journal.Committed(txn, List.of(new Outcome.Applied(id, 1, 1, i))));
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        }
        long started = System.nanoTime();
        try (ShardStore store = ShardStore.open(1, dir, options, e -> { })) {
            double millis = (System.nanoTime() - started) / 1e6;
            long replayed = store.replayReport().records();
            print("replay.records", replayed, "records");
            print("replay.open_time", millis, "ms");
            print("replay.records_per_s", replayed / (millis / 1e3), "records/s");
        }
    }

    private static long percentile(long[] sorted, double quantile) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
    }

    private static void print(String name, double value, String unit) {
        System.out.printf("%s %.3f %s%n", name, value, unit);
    }
}
