package dev.shardvault.log.bench;

import dev.shardvault.log.LogOptions;
import dev.shardvault.log.LogRecord;
import dev.shardvault.log.LogStats;
import dev.shardvault.log.RecordLog;
import dev.shardvault.log.RecordType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Prints append throughput and latency of the record log next to the raw fsync rate of the same disk,
 * one figure a line as {@code name value unit}. Not a test: run it with {@code scripts/bench-log.sh}.
 *
 * <p>Arguments: directory to write in (default a fresh temp directory), seconds per measurement.
 */
public final class LogBenchmark {

    private static final int[] APPENDERS = {1, 16, 64};
    private static final int[] PAYLOAD_BYTES = {64, 4096};
    private static final double WARMUP_FRACTION = 0.2;

    private LogBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("shardvault-log-bench");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3.0;
        Files.createDirectories(root);
        long durationNanos = (long) (seconds * 1e9);

        double rawPerSecond = rawFsyncRate(root.resolve("raw.dat"), durationNanos);
        print("raw.write64_force.ops_per_s", rawPerSecond, "ops/s");
        print("raw.write64_force.mean_latency", 1e3 / rawPerSecond, "ms");

        for (int payloadBytes : PAYLOAD_BYTES) {
            for (int appenders : APPENDERS) {
                Path dir = root.resolve("log-" + payloadBytes + "-" + appenders);
                Result result = appendRun(dir, appenders, payloadBytes, durationNanos);
                String name = "log.append." + payloadBytes + "B." + appenders + "_appenders";
                print(name + ".records_per_s", result.perSecond, "records/s");
                print(name + ".p50", result.p50Millis, "ms");
                print(name + ".p99", result.p99Millis, "ms");
                print(name + ".mean_batch", result.meanBatch, "records");
                print(name + ".vs_raw_fsync", result.perSecond / rawPerSecond, "x");
                delete(dir);
            }
        }
        Files.deleteIfExists(root.resolve("raw.dat"));
    }

    /** One 64-byte append + force per iteration on a growing file: what a naive log gets. */
    private static double rawFsyncRate(Path file, long durationNanos) throws IOException {
        ByteBuffer record = ByteBuffer.allocateDirect(64);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                                                    StandardOpenOption.WRITE)) {
            long operations = 0;
            long started = System.nanoTime();
            long position = 0;
            while (System.nanoTime() - started < durationNanos) {
                record.clear();
                position += channel.write(record, position);
                channel.force(false);
                operations++;
            }
            return operations / ((System.nanoTime() - started) / 1e9);
        }
    }

    private record Result(double perSecond, double p50Millis, double p99Millis, double meanBatch) {
    }

    private static Result appendRun(Path dir, int appenders, int payloadBytes, long durationNanos) throws Exception {
        byte[] payload = new byte[payloadBytes];
        Arrays.fill(payload, (byte) 0x42);
        LogRecord record = new LogRecord(RecordType.PREPARE, payload);
        long warmupNanos = (long) (durationNanos * WARMUP_FRACTION);
        try (RecordLog log = RecordLog.open(dir, LogOptions.defaults().withPreallocate(!Boolean.getBoolean("bench.noPreallocate")), r -> { });
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long started = System.nanoTime();
            long measureFrom = started + warmupNanos;
            long stopAt = measureFrom + durationNanos;
            LogStats[] atMeasureStart = new LogStats[1];
            List<Future<long[]>> workers = new ArrayList<>();
            for (int a = 0; a < appenders; a++) {
                workers.add(pool.submit(() -> {
                    long[] latencies = new long[1 << 16];
                    int count = 0;
                    while (true) {
                        long before = System.nanoTime();
                        if (before >= stopAt) {
                            return Arrays.copyOf(latencies, count);
                        }
                        log.appendDurably(record);
                        if (before >= measureFrom) {
                            if (count == latencies.length) {
                                latencies = Arrays.copyOf(latencies, count * 2);
                            }
                            latencies[count++] = System.nanoTime() - before;
                        }
                    }
                }));
            }
            Thread.sleep(Math.max(0, (measureFrom - System.nanoTime()) / 1_000_000));
            atMeasureStart[0] = log.stats();
            List<long[]> all = new ArrayList<>();
            for (Future<long[]> worker : workers) {
                all.add(worker.get());
            }
            LogStats end = log.stats();
            long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            double perSecond = merged.length / (durationNanos / 1e9);
            long batches = end.batches() - atMeasureStart[0].batches();
            long records = end.records() - atMeasureStart[0].records();
            return new Result(perSecond, percentile(merged, 0.50) / 1e6, percentile(merged, 0.99) / 1e6,
                              batches == 0 ? 0 : (double) records / batches);
        }
    }

    private static long percentile(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)];
    }

    private static void print(String name, double value, String unit) {
        System.out.printf("%s %.3f %s%n", name, value, unit);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
