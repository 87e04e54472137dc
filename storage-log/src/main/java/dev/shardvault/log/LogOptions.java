package dev.shardvault.log;

/**
 * Limits and sizes of one log. Every quantity carries its unit in its name.
 *
 * @param segmentBytes        roll to a new segment before a record would cross this size
 * @param maxRecordBytes      largest payload accepted by {@link RecordLog#append}
 * @param queueCapacity       appends waiting for the writer; a full queue blocks the caller (push back)
 * @param maxBatchRecords     most records written and fsync'd together
 * @param maxBatchBytes       most frame bytes written and fsync'd together (a larger single record goes alone)
 * @param preallocate         create every segment at its full size filled with zeros (the next one is prepared
 *                            in the background), so that a batch's fsync never has to persist a size change
 * @param deferredForceMillis longest a record appended with {@link RecordLog#appendDeferred} may stay written but
 *                            not fsync'd when no waiting append comes to force it
 */
public record LogOptions(long segmentBytes,
                         int maxRecordBytes,
                         int queueCapacity,
                         int maxBatchRecords,
                         int maxBatchBytes,
                         boolean preallocate,
                         long deferredForceMillis) {

    public LogOptions {
        require(maxRecordBytes > 0, "maxRecordBytes must be > 0");
        require(segmentBytes >= Frame.SEGMENT_HEADER_BYTES + Frame.HEADER_BYTES + (long) maxRecordBytes,
                "segmentBytes must hold the segment header and one record of maxRecordBytes");
        require(queueCapacity > 0, "queueCapacity must be > 0");
        require(maxBatchRecords > 0, "maxBatchRecords must be > 0");
        require(maxBatchBytes >= Frame.HEADER_BYTES, "maxBatchBytes must hold at least one frame header");
        require(deferredForceMillis >= 0, "deferredForceMillis must be >= 0");
    }

    /**
     * 64 MiB pre-allocated segments, 16 MiB records, 4096 queued appends, batches of up to 512 records / 1 MiB,
     * deferred records forced within 10 ms.
     */
    public static LogOptions defaults() {
        return new LogOptions(64L << 20, 16 << 20, 4096, 512, 1 << 20, true, 10);
    }

    public LogOptions withSegmentBytes(long value) {
        return new LogOptions(value, maxRecordBytes, queueCapacity, maxBatchRecords, maxBatchBytes, preallocate, deferredForceMillis);
    }

    public LogOptions withMaxRecordBytes(int value) {
        return new LogOptions(segmentBytes, value, queueCapacity, maxBatchRecords, maxBatchBytes, preallocate, deferredForceMillis);
    }

    public LogOptions withQueueCapacity(int value) {
        return new LogOptions(segmentBytes, maxRecordBytes, value, maxBatchRecords, maxBatchBytes, preallocate, deferredForceMillis);
    }

    public LogOptions withMaxBatchRecords(int value) {
        return new LogOptions(segmentBytes, maxRecordBytes, queueCapacity, value, maxBatchBytes, preallocate, deferredForceMillis);
    }

    public LogOptions withMaxBatchBytes(int value) {
        return new LogOptions(segmentBytes, maxRecordBytes, queueCapacity, maxBatchRecords, value, preallocate, deferredForceMillis);
    }

    public LogOptions withDeferredForceMillis(long value) {
        return new LogOptions(segmentBytes, maxRecordBytes, queueCapacity, maxBatchRecords, maxBatchBytes, preallocate, value);
    }

    public LogOptions withPreallocate(boolean value) {
        return new LogOptions(segmentBytes, maxRecordBytes, queueCapacity, maxBatchRecords, maxBatchBytes, value, deferredForceMillis);
    }

    /**
     * The most bytes unsynced writes can leave at the tail: one batch (the writer forces before the unsynced
     * bytes, deferred records included, would exceed a batch), or one record bigger than a batch, rounded up to
     * a whole 4 KiB page either side because the kernel persists pages, not bytes.
     */
    long tornTailWindowBytes() {
        long oneWrite = Math.max(maxBatchBytes, Frame.HEADER_BYTES + (long) maxRecordBytes);
        return oneWrite + 2 * Frame.PAGE_BYTES;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
