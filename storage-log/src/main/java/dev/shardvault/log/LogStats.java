package dev.shardvault.log;

/**
 * Counters since open, for metrics. {@code forceNanos} is the total time spent in {@code force}.
 *
 * @param records     records made durable
 * @param batches     write+force rounds (records / batches = mean group-commit size)
 * @param bytes       frame bytes written
 * @param forceNanos  total time in fsync
 * @param maxBatchRecordsSeen largest batch so far
 */
public record LogStats(long records, long batches, long bytes, long forceNanos, long maxBatchRecordsSeen) {
}
