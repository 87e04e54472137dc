package dev.shardvault.gateway.bench;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * <p>Arguments: {@code shardvault <gateway-url> <token-file> <seconds> <pids>},
 * {@code etcd <url,url,...> - <seconds> <pids>}, or both side by side:
 * {@code paired <gateway-url> <token-file> <pids> <etcd-url,url,...> <etcd-pids> <seconds>}, or two ShardVault
 * clusters side by side (two builds compared; the second's figures are prefixed {@code b.}):
 * {@code versus <gateway-url> <token-file> <pids> <gateway-url-b> <token-file-b> <pids-b> <seconds>}; {@code pids}
 * (comma-separated, or "-") are the server processes whose CPU time is charged to the operations.
 *
 * <p>Side by side, both systems run throughout and take turns: warm-up slices alternate between them, and each
 * workload is measured in {@code bench.rounds} windows per system, alternating (ShardVault, etcd, ShardVault,
 * ...). A figure pools its system's windows (operations over time, percentiles over every latency, CPU over
 * operations), so a slow minute of the machine lands on both sides instead of deciding a ratio, and each
 * system's idle background (ShardVault's sweeps, etcd's heartbeats) is present while the other is measured.
 */
public final class LoadGenerator {

    private static final String VALUE = "v".repeat(48);
    private static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("bench.warmup-seconds", "240"));
    private static final double WARMUP_SLICE_SECONDS = 3;
    private static final double SETTLE_SECONDS = Double.parseDouble(System.getProperty("bench.settle-seconds", "2"));
    /** Comma-separated workload names to run (e.g. {@code create.1_client}); empty runs them all. */
    private static final List<String> ONLY = Arrays.stream(System.getProperty("bench.only", "").split(","))
            .filter(s -> !s.isBlank()).toList();
    /** Measured windows per workload and system; side by side, the systems alternate between windows. */
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 1);

    private final String prefix;
    /**
     * One keep-alive client per target: the gateway's own HTTP/1.1 client, for both systems alike. It costs the
     * load generator (a JVM on the same two cores as the servers) about a third of the JDK's HttpClient's CPU
     * per request, so more of the machine is left to whichever system is measured.
     */
    private final List<Http1Client> targets;
    /** The first target, to say which system an error came from. */
    private final String base;
    private final String token;
    private final double seconds;
    private final List<Long> pids;
    private final AtomicLong unique = new AtomicLong();
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36).toUpperCase(Locale.ROOT);

    private LoadGenerator(String prefix, List<URI> targets, String token, double seconds, List<Long> pids) {
        this.base = targets.getFirst().toString();
        this.prefix = prefix;
        this.targets = targets.stream().map(uri -> Http1Client.builder().baseUri(uri).connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(30)).shareConnectionCache(false).connectionCacheSize(256)
                .sendExpectContinue(false).build()).toList();
        this.token = token;
        this.seconds = seconds;
        this.pids = pids;
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "shardvault" -> run(List.of(shardvault("", args[1], args[2], args[4], Double.parseDouble(args[3]))));
            case "etcd" -> run(List.of(etcd(args[1], args[4], Double.parseDouble(args[3]))));
            case "paired" -> run(List.of(shardvault("", args[1], args[2], args[3], Double.parseDouble(args[6])),
                                         etcd(args[4], args[5], Double.parseDouble(args[6]))));
            case "versus" -> run(List.of(shardvault("", args[1], args[2], args[3], Double.parseDouble(args[7])),
                                         shardvault("b.", args[4], args[5], args[6], Double.parseDouble(args[7]))));
            default -> throw new IllegalArgumentException("unknown system " + args[0]);
        }
        System.exit(0);
    }

    private static List<URI> uris(String list) {
        return Arrays.stream(list.split(",")).map(URI::create).toList();
    }

    private static List<Long> pids(String list) {
        return list.equals("-") ? List.of() : Arrays.stream(list.split(",")).map(Long::parseLong).toList();
    }

    private static Side shardvault(String prefix, String url, String tokenFile, String pids, double seconds)
            throws IOException {
        LoadGenerator generator = new LoadGenerator(prefix, uris(url), Files.readString(Path.of(tokenFile)).strip(), seconds, pids(pids));
        return new Side(generator, generator.shardvaultWorkloads());
    }

    private static Side etcd(String urls, String pids, double seconds) {
        LoadGenerator generator = new LoadGenerator("etcd.", uris(urls), null, seconds, pids(pids));
        return new Side(generator, generator.etcdWorkloads());
    }

    // ---- workloads ----

    /** One workload: a name, a client count, and its operation (made when the workload starts). */
    private record Workload(String name, int clients, java.util.function.Supplier<Operation> operation) {
    }

    /** One system under load: its generator and its workloads (ShardVault's first one creates names). */
    private record Side(LoadGenerator generator, List<Workload> workloads) {
        List<Workload> selected() {
            return workloads.stream().filter(w -> ONLY.isEmpty() || ONLY.contains(w.name())).toList();
        }

        java.util.Optional<Workload> named(String name) {
            return workloads.stream().filter(w -> w.name().equals(name)).findFirst();
        }
    }

    /** Picks one of the names created so far, spread over all of them by operation number. */
    private static java.util.function.IntFunction<String> existing(List<String> names) {
        return i -> {
            synchronized (names) {
                return names.get(Math.floorMod(i * 7919, names.size()));
            }
        };
    }

    private List<Workload> shardvaultWorkloads() {
        List<String> names = new ArrayList<>();
        java.util.function.IntFunction<String> existing = existing(names);
        return List.of(
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
                }));
    }

    private List<Workload> etcdWorkloads() {
        List<String> keys = new ArrayList<>();
        java.util.function.IntFunction<String> existing = existing(keys);
        return List.of(
                new Workload("create.1_client", 1, () -> i -> put(keys)),
                new Workload("create.16_clients", 16, () -> i -> put(keys)),
                new Workload("create.64_clients", 64, () -> i -> put(keys)),
                new Workload("read_latest.16_clients", 16, () -> i -> range(existing.apply((int) i))),
                new Workload("read_latest.64_clients", 64, () -> i -> range(existing.apply((int) i))));
    }

    /**
     * Warms up, then measures each selected workload. JIT-compiled servers (six JVMs sharing the cores here)
     * reach their steady state only after minutes of the same traffic, so the warm-up cycles through every
     * selected workload in short slices for {@code bench.warmup-seconds} per system (alternating systems slice
     * by slice when there are two); each window is preceded by {@code bench.settle-seconds} of its workload,
     * unmeasured. A workload the baseline lacks (update, historical read, {@code .env}) runs on ShardVault alone.
     */
    private static void run(List<Side> sides) throws Exception {
        for (Side side : sides) { // the first slice of each system creates, so that reads have names to read
            Workload seed = side.workloads().getFirst();
            side.generator().measure(16, Math.min(WARMUP_SLICE_SECONDS, WARMUP_SECONDS), seed.operation().get(), null);
        }
        List<Side> warming = sides.stream().filter(side -> !side.selected().isEmpty()).toList();
        long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * warming.size() * 1e9);
        for (int slice = 0; System.nanoTime() < warmupEnd; slice++) {
            Side side = warming.get(slice % warming.size());
            List<Workload> selected = side.selected();
            Workload workload = selected.get(slice / warming.size() % selected.size());
            side.generator().measure(workload.clients(), WARMUP_SLICE_SECONDS, workload.operation().get(), null);
        }
        for (Workload workload : sides.getFirst().selected()) {
            List<Side> measured = sides.stream().filter(side -> side.named(workload.name()).isPresent()).toList();
            Map<Side, Window> windows = new LinkedHashMap<>();
            for (int round = 0; round < ROUNDS; round++) {
                for (Side side : measured) {
                    LoadGenerator generator = side.generator();
                    Workload own = side.named(workload.name()).orElseThrow();
                    Operation operation = own.operation().get();
                    generator.measure(own.clients(), SETTLE_SECONDS, operation, null);
                    generator.measure(own.clients(), generator.seconds, operation, windows.computeIfAbsent(side, s -> new Window()));
                }
            }
            windows.forEach((side, window) -> side.generator().print(workload.name(), window));
        }
    }

    private interface Operation {
        void run(long i) throws Exception;
    }

    /** What one system's measured windows of one workload add up to. */
    private static final class Window {
        private final List<long[]> latencies = new ArrayList<>();
        private long nanos;
        private long cpuTicks;
        private long errors;
    }

    /** Runs {@code operation} on {@code clients} clients for {@code duration} seconds; adds the figures to {@code into}. */
    private void measure(int clients, double duration, Operation operation, Window into) throws Exception {
        AtomicLong errors = new AtomicLong();
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
                        try {
                            operation.run(counter.getAndIncrement());
                        } catch (IOException | IllegalStateException e) {
                            // Counted and shown, not fatal: an overloaded cluster may shed a request (503).
                            if (errors.getAndIncrement() == 0 || into != null) {
                                System.err.println("bench: " + base + ": " + e.getMessage());
                            }
                            continue;
                        }
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = System.nanoTime() - t0;
                    }
                    return Arrays.copyOf(latencies, count);
                }));
            }
            for (Future<long[]> worker : workers) {
                long[] latencies = worker.get();
                if (into != null) {
                    into.latencies.add(latencies);
                }
            }
            if (into != null) {
                into.nanos += System.nanoTime() - started;
                into.cpuTicks += cpuTicks() - cpuBefore;
                into.errors += errors.get();
            } else if (errors.get() > 0) {
                System.err.println("bench: " + base + ": " + errors.get() + " failed operations while warming up");
            }
        }
    }

    private void print(String name, Window window) {
        long[] merged = window.latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        print(name + ".ops_per_s", merged.length / (window.nanos / 1e9), "ops/s");
        print(name + ".p50", percentile(merged, 0.50) / 1e6, "ms");
        print(name + ".p99", percentile(merged, 0.99) / 1e6, "ms");
        print(name + ".errors", window.errors, "ops");
        if (!pids.isEmpty() && merged.length > 0) {
            print(name + ".cpu_per_op", window.cpuTicks / 100.0 / merged.length * 1e3, "cpu_ms/op");
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
        Http1Client target = targets.get((int) Math.floorMod(unique.get() + Thread.currentThread().threadId(), targets.size()));
        Http1ClientRequest request = target.method(Method.create(method)).uri(path);
        if (contentType != null) {
            request.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, contentType));
        }
        if (token != null) {
            request.header(HeaderValues.create(HeaderNames.AUTHORIZATION, "Bearer " + token));
        }
        try (HttpClientResponse response = body == null ? request.request() : request.submit(body.getBytes(StandardCharsets.UTF_8))) {
            String text = response.as(String.class);
            if (response.status().code() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + response.status().code() + ": " + text);
            }
            return text;
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
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
