package dev.shardvault.gateway.bench;

import dev.shardvault.gateway.forward.OriginClient;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives ShardVault's gateway or an etcd cluster with the same workloads and prints one figure a line as
 * {@code name value unit}. Not a test: scripts/bench.sh runs it. Virtual-thread clients, keep-alive HTTP/1.1,
 * a warm-up that is not measured, and a bounded duration per workload.
 *
 * <p>Arguments: {@code shardvault <gateway-url> <token-file> <seconds> <pids>} or
 * {@code etcd <url,url,...> - <seconds> <pids>}; {@code pids} (comma-separated, or "-") are the server
 * processes whose CPU time is charged to the operations.
 */
public final class LoadGenerator {

    private static final String VALUE = "v".repeat(48);
    private static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("bench.warmup-seconds", "240"));
    private static final double WARMUP_SLICE_SECONDS = 3;
    private static final double SETTLE_SECONDS = Double.parseDouble(System.getProperty("bench.settle-seconds", "2"));
    /** Comma-separated workload names to run (e.g. {@code create.1_client}); empty runs them all. */
    private static final List<String> ONLY = Arrays.stream(System.getProperty("bench.only", "").split(","))
            .filter(s -> !s.isBlank()).toList();

    private final String prefix;
    /**
     * One keep-alive client per target: the gateway's own HTTP/1.1 client, for both systems alike. It costs the
     * load generator (a JVM on the same two cores as the servers) about a third of the JDK's HttpClient's CPU
     * per request, so more of the machine is left to whichever system is measured.
     */
    private final List<OriginClient> targets;
    private final String token;
    private final double seconds;
    private final List<Long> pids;
    private final AtomicLong unique = new AtomicLong();
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36).toUpperCase(Locale.ROOT);

    private LoadGenerator(String prefix, List<URI> targets, String token, double seconds, List<Long> pids) {
        this.prefix = prefix;
        this.targets = targets.stream().map(uri -> new OriginClient(uri, 2_000, 30_000, 4 << 20, 256, 60_000)).toList();
        this.token = token;
        this.seconds = seconds;
        this.pids = pids;
    }

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        List<URI> targets = Arrays.stream(args[1].split(",")).map(URI::create).toList();
        String token = args[2].equals("-") ? null : Files.readString(Path.of(args[2])).strip();
        double seconds = Double.parseDouble(args[3]);
        List<Long> pids = args.length > 4 && !args[4].equals("-")
                ? Arrays.stream(args[4].split(",")).map(Long::parseLong).toList() : List.of();
        LoadGenerator generator = new LoadGenerator(kind.equals("etcd") ? "etcd." : "", targets, token, seconds, pids);
        if (kind.equals("etcd")) {
            generator.etcd();
        } else {
            generator.shardvault();
        }
        System.exit(0);
    }

    // ---- workloads ----

    /** One workload: a name, a client count, and its operation (made when the workload starts). */
    private record Workload(String name, int clients, java.util.function.Supplier<Operation> operation) {
    }

    private void shardvault() throws Exception {
        List<String> names = new ArrayList<>();
        java.util.function.IntFunction<String> existing = i -> {
            synchronized (names) {
                return names.get(Math.floorMod(i * 7919, names.size()));
            }
        };
        run(List.of(
                new Workload("create.1_client", 1, () -> i -> create(names)),
                new Workload("create.16_clients", 16, () -> i -> create(names)),
                new Workload("create.64_clients", 64, () -> i -> create(names)),
                new Workload("update.16_clients", 16, () -> i -> update(existing.apply((int) i))),
                new Workload("read_latest.16_clients", 16, () -> i -> read(existing.apply((int) i), "")),
                new Workload("read_latest.64_clients", 64, () -> i -> read(existing.apply((int) i), "")),
                new Workload("read_historical.16_clients", 16, () -> i -> read(existing.apply((int) i), "?version=1")),
                new Workload("env_expand_20_refs.16_clients", 16, () -> {
                    StringBuilder file = new StringBuilder("# 20 references\n");
                    for (int r = 0; r < 20; r++) {
                        file.append("VAR_").append(r).append("=secret(").append(existing.apply(r * 13)).append(")\n");
                    }
                    String env = file.toString();
                    return i -> expand(env);
                })));
    }

    private void etcd() throws Exception {
        List<String> keys = new ArrayList<>();
        java.util.function.IntFunction<String> existing = i -> {
            synchronized (keys) {
                return keys.get(Math.floorMod(i * 7919, keys.size()));
            }
        };
        run(List.of(
                new Workload("create.1_client", 1, () -> i -> put(keys)),
                new Workload("create.16_clients", 16, () -> i -> put(keys)),
                new Workload("create.64_clients", 64, () -> i -> put(keys)),
                new Workload("read_latest.16_clients", 16, () -> i -> range(existing.apply((int) i))),
                new Workload("read_latest.64_clients", 64, () -> i -> range(existing.apply((int) i)))));
    }

    /**
     * Warms up, then measures each selected workload. JIT-compiled servers (six JVMs sharing the cores here)
     * reach their steady state only after minutes of the same traffic, so the warm-up cycles through every
     * selected workload in short slices for {@code bench.warmup-seconds}; each workload then runs for
     * {@code bench.settle-seconds} unmeasured before its measured window. etcd gets the same schedule.
     */
    private void run(List<Workload> all) throws Exception {
        List<Workload> selected = all.stream().filter(w -> ONLY.isEmpty() || ONLY.contains(w.name())).toList();
        // The first slice creates, so that the reading workloads have names to read.
        Workload seed = all.getFirst();
        measure("warmup", 16, Math.min(WARMUP_SLICE_SECONDS, WARMUP_SECONDS), seed.operation().get(), false);
        long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
        for (int slice = 0; System.nanoTime() < warmupEnd; slice++) {
            Workload workload = selected.get(slice % selected.size());
            measure("warmup", workload.clients(), WARMUP_SLICE_SECONDS, workload.operation().get(), false);
        }
        for (Workload workload : selected) {
            Operation operation = workload.operation().get();
            measure("settle", workload.clients(), SETTLE_SECONDS, operation, false);
            measure(workload.name(), workload.clients(), seconds, operation, true);
        }
    }

    private interface Operation {
        void run(long i) throws Exception;
    }

    private void measure(String name, int clients, double duration, Operation operation, boolean print) throws Exception {
        long cpuBefore = cpuTicks();
        long started = System.nanoTime();
        long stopAt = started + (long) (duration * 1e9);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<long[]>> workers = new ArrayList<>();
            AtomicLong counter = new AtomicLong();
            for (int c = 0; c < clients; c++) {
                workers.add(pool.submit(() -> {
                    long[] latencies = new long[1024];
                    int count = 0;
                    while (System.nanoTime() < stopAt) {
                        long t0 = System.nanoTime();
                        operation.run(counter.getAndIncrement());
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = System.nanoTime() - t0;
                    }
                    return Arrays.copyOf(latencies, count);
                }));
            }
            List<long[]> all = new ArrayList<>();
            for (Future<long[]> worker : workers) {
                all.add(worker.get());
            }
            double elapsed = (System.nanoTime() - started) / 1e9;
            long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            if (print) {
                print(name + ".ops_per_s", merged.length / elapsed, "ops/s");
                print(name + ".p50", percentile(merged, 0.50) / 1e6, "ms");
                print(name + ".p99", percentile(merged, 0.99) / 1e6, "ms");
                if (!pids.isEmpty() && merged.length > 0) {
                    print(name + ".cpu_per_op", (cpuTicks() - cpuBefore) / 100.0 / merged.length * 1e3, "cpu_ms/op");
                }
            }
        }
    }

    // ---- ShardVault operations ----

    private void create(List<String> names) throws IOException {
        String name = "B" + run + "_" + unique.incrementAndGet();
        send("POST", "/v1/secrets", "{\"name\":\"" + name + "\",\"value\":\"" + VALUE + "\"}", "application/json", 201);
        synchronized (names) {
            names.add(name);
        }
    }

    private void update(String name) throws IOException {
        send("PUT", "/v1/secrets/" + name, "{\"value\":\"" + VALUE + "2\"}", "application/json", 200);
    }

    private void read(String name, String query) throws IOException {
        send("GET", "/v1/secrets/" + name + query, null, null, 200);
    }

    private void expand(String file) throws IOException {
        send("POST", "/v1/env", file, "text/plain", 200);
    }

    // ---- etcd operations (v3 JSON gateway; ranges are linearizable by default) ----

    private void put(List<String> keys) throws IOException {
        String key = "b" + run + "_" + unique.incrementAndGet();
        send("POST", "/v3/kv/put", "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(VALUE) + "\"}", "application/json", 200);
        synchronized (keys) {
            keys.add(key);
        }
    }

    private void range(String key) throws IOException {
        String body = send("POST", "/v3/kv/range", "{\"key\":\"" + b64(key) + "\"}", "application/json", 200);
        if (!body.contains("\"kvs\"")) {
            throw new IllegalStateException("etcd range found nothing for " + key + ": " + body);
        }
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private String send(String method, String path, String body, String contentType, int expected)
            throws IOException {
        OriginClient target = targets.get((int) Math.floorMod(unique.get() + Thread.currentThread().threadId(), targets.size()));
        Map<String, String> headers = new LinkedHashMap<>();
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        OriginClient.Response response = target.exchange(method, path, headers,
                                                         body == null ? null : body.getBytes(StandardCharsets.UTF_8));
        if (response.status() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + response.status() + ": " + response.text());
        }
        return response.text();
    }

    // ---- figures ----

    private long cpuTicks() {
        long ticks = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime, in clock ticks (1/100 s)
            } catch (IOException | RuntimeException e) {
                // the process is gone; its ticks are not counted
            }
        }
        return ticks;
    }

    private static long percentile(long[] sorted, double quantile) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
    }

    private void print(String name, double value, String unit) {
        System.out.printf(Locale.ROOT, "%s%s %.3f %s%n", prefix, name, value, unit);
    }
}
