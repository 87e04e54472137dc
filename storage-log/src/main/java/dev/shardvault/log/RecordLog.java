package dev.shardvault.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An open log directory: group-committed appends, physical erasure, and (at open) replay. See the package
 * comment for the on-disk format. Thread-safe; one instance per directory per machine (enforced by a file
 * lock).
 */
public final class RecordLog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RecordLog.class.getName());
    private static final long OFFER_POLL_MILLIS = 50;

    private final Path dir;
    private final LogOptions options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final long firstSegment;
    private final ReplayReport replayReport;
    private final ArrayBlockingQueue<Task> queue;
    private final ReentrantLock erasureLock = new ReentrantLock();
    private final SegmentReader erasureReader;
    private final SpareSegment spare;
    private final Thread writer;

    // Owned by the writer thread.
    private final ByteBuffer batchBuffer;
    private final List<Append> batch;
    private final List<Append> unforced = new ArrayList<>(); // written, not yet fsync'd
    private long unforcedBytes;
    private long unforcedDeadlineNanos;
    private ActiveSegment active;
    private boolean stopRequested;

    // Written by the writer thread, read by anyone.
    private volatile DurableTail durableTail;
    private volatile boolean writerDone;
    private volatile Throwable failure;
    private volatile boolean closed;
    private volatile long statRecords;
    private volatile long statBatches;
    private volatile long statBytes;
    private volatile long statForceNanos;
    private volatile long statMaxBatch;

    private sealed interface Task permits Append, WriterJob {
    }

    private record Append(LogRecord record, CompletableFuture<Void> done, boolean deferred) implements Task {
    }

    private record WriterJob(Callable<Object> job, CompletableFuture<Object> done) implements Task {
    }

    /** Where durable data ends: everything before it is fsync'd and changes only through erasure. */
    private record DurableTail(long segment, long end) {
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, hands every stored record to {@code replay} in write
     * order, and returns once the log accepts appends.
     *
     * @throws LogCorruptedException if a record other than a torn tail is damaged
     * @throws IOException           if the directory is in use by another process or cannot be read
     */
    public static RecordLog open(Path dir, LogOptions options, Consumer<LogRecord> replay) throws IOException {
        Objects.requireNonNull(replay, "replay");
        return new RecordLog(dir, options, replay);
    }

    private RecordLog(Path dir, LogOptions options, Consumer<LogRecord> replay) throws IOException {
        this.dir = dir;
        this.options = Objects.requireNonNull(options, "options");
        SegmentFiles.createPrivateDirectories(dir);
        this.lockChannel = SegmentFiles.openPrivate(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            this.lock = tryLock(lockChannel);
            if (lock == null) {
                throw new IOException("log directory " + dir + " is in use by another process");
            }
            this.erasureReader = new SegmentReader(options.maxRecordBytes());
            removeTempFiles();
            List<Long> indexes = SegmentFiles.indexes(dir);
            if (indexes.isEmpty()) {
                SegmentFiles.createEmpty(dir, 0);
                indexes = List.of(0L);
            }
            checkContiguous(indexes);
            this.firstSegment = indexes.getFirst();
            Replay result = replay(indexes, replay);
            this.replayReport = result.report;
            this.active = ActiveSegment.open(dir, indexes.getLast(), result.activeEnd, options);
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
        this.durableTail = new DurableTail(active.index(), active.end());
        this.spare = options.preallocate() ? new SpareSegment(dir, options.segmentBytes()) : null;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.batch = new ArrayList<>(options.maxBatchRecords());
        int batchCapacity = Math.max(options.maxBatchBytes(), Frame.HEADER_BYTES + options.maxRecordBytes());
        this.batchBuffer = ByteBuffer.allocateDirect(batchCapacity).order(ByteOrder.LITTLE_ENDIAN);
        this.writer = Thread.ofPlatform().name("record-log-writer " + dir.getFileName()).daemon(true)
                            .unstarted(this::runWriter);
        writer.start();
    }

    /** What the open found and how long replay took. */
    public ReplayReport replayReport() {
        return replayReport;
    }

    /**
     * Queues a record; the future completes once its bytes are durable (fsync'd), or exceptionally with
     * {@link LogFailedException} if the log failed or closed first. Blocks while the queue is full.
     *
     * @throws IllegalArgumentException if the payload is larger than {@link LogOptions#maxRecordBytes()}
     */
    public CompletableFuture<Void> append(LogRecord record) {
        return enqueueAppend(record, false);
    }

    /**
     * As {@link #append}, for a caller that does not wait: the record is written in order with the next batch,
     * but the writer forces it only together with a later waiting append, or {@link LogOptions#deferredForceMillis}
     * after writing it, whichever comes first (and before any erasure or close). Records appended after it are
     * never durable without it.
     */
    public CompletableFuture<Void> appendDeferred(LogRecord record) {
        return enqueueAppend(record, true);
    }

    private CompletableFuture<Void> enqueueAppend(LogRecord record, boolean deferred) {
        if (record.payloadLength() > options.maxRecordBytes()) {
            throw new IllegalArgumentException("payload of " + record.payloadLength() + " bytes exceeds maxRecordBytes "
                                               + options.maxRecordBytes());
        }
        Append append = new Append(record, new CompletableFuture<>(), deferred);
        enqueue(append, append.done);
        return append.done;
    }

    /** {@link #append} and wait until durable. */
    public void appendDurably(LogRecord record) throws IOException {
        await(append(record));
    }

    /**
     * Physically removes every record {@code matcher} accepts from every segment (see the package comment).
     * Runs on the calling thread while appends continue: sealed segments are rewritten in place; if the
     * active segment holds a match, the writer first rolls (cheap: the next segment is ready), so that it
     * is rewritten as a sealed one. Every record whose {@code append} was called before this call is
     * examined (queued ones are made durable first); records appended concurrently may or may not be.
     * Erasures run one at a time.
     */
    public ErasureReport erase(Predicate<LogRecord> matcher) throws IOException {
        Objects.requireNonNull(matcher, "matcher");
        erasureLock.lock();
        try {
            runOnWriter(() -> null); // a barrier: the queue is FIFO, so every earlier append is durable after it
            ErasureReport report = ErasureReport.NONE;
            long next = firstSegment;
            while (true) {
                DurableTail tail = durableTail;
                for (; next < tail.segment(); next++) {
                    checkUsable();
                    report = report.plus(SegmentEraser.erase(SegmentFiles.segment(dir, next), erasureReader, matcher).report());
                }
                if (!SegmentEraser.contains(SegmentFiles.segment(dir, tail.segment()), tail.end(), erasureReader, matcher)) {
                    break;
                }
                long toSeal = tail.segment();
                runOnWriter(() -> {
                    if (active.index() == toSeal) {
                        roll();
                    }
                    return null;
                });
            }
            if (report.recordsErased() > 0) {
                report = report.plus(new ErasureReport(0, 0, 0, SegmentEraser.scrubBrokenFiles(dir)));
            }
            return report;
        } finally {
            erasureLock.unlock();
        }
    }

    public LogStats stats() {
        return new LogStats(statRecords, statBatches, statBytes, statForceNanos, statMaxBatch);
    }

    public Path directory() {
        return dir;
    }

    /** Completes everything already queued, then stops the writer and releases the directory. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (!writerDone) {
            WriterJob stop = new WriterJob(() -> stopRequested = true, new CompletableFuture<>());
            try {
                queue.put(stop);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued(new LogFailedException("log closed", null));
        if (spare != null) {
            spare.close();
        }
        try {
            if (active != null) {
                active.close();
            }
        } finally {
            lock.release();
            lockChannel.close();
        }
    }

    // ---- open and replay ----

    /** The directory lock, or null if another process (or another open in this one) holds it. */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return null;
        }
    }

    private record Replay(ReplayReport report, long activeEnd) {
    }

    private Replay replay(List<Long> indexes, Consumer<LogRecord> consumer) throws IOException {
        long started = System.nanoTime();
        SegmentReader reader = new SegmentReader(options.maxRecordBytes());
        long[] records = {0};
        long[] bytes = {0};
        Optional<ReplayReport.TornTail> torn = Optional.empty();
        long activeEnd = Frame.SEGMENT_HEADER_BYTES;
        for (long index : indexes) {
            boolean last = index == indexes.getLast();
            Path file = SegmentFiles.segment(dir, index);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                SegmentReader.End end = reader.read(channel, file, (offset, record) -> {
                    consumer.accept(record);
                    records[0]++;
                    bytes[0] += record.frameBytes();
                });
                switch (end) {
                    case SegmentReader.End.Clean(long offset) when !last && offset != channel.size() ->
                            throw new LogCorruptedException(file, offset, "sealed segment has bytes after its last record");
                    case SegmentReader.End.Clean(long offset) -> activeEnd = offset;
                    case SegmentReader.End.Bad bad when !last ->
                            throw new LogCorruptedException(file, bad.offset(), bad.reason());
                    case SegmentReader.End.Bad bad when bad.nonZeroEnd() - bad.offset() > options.tornTailWindowBytes() ->
                            throw new LogCorruptedException(file, bad.offset(), bad.reason() + "; " + (bad.nonZeroEnd() - bad.offset())
                                    + " bytes follow, more than one unsynced write could leave");
                    case SegmentReader.End.Bad bad -> {
                        torn = Optional.of(cutTornTail(channel, file, bad));
                        activeEnd = bad.offset();
                    }
                }
            }
        }
        long elapsed = System.nanoTime() - started;
        return new Replay(new ReplayReport(indexes.size(), records[0], bytes[0], elapsed, torn), activeEnd);
    }

    /** Keeps a copy of the torn bytes, cuts them off the segment, and makes both durable. */
    private ReplayReport.TornTail cutTornTail(FileChannel channel, Path file, SegmentReader.End.Bad bad) throws IOException {
        Path broken = file.resolveSibling(file.getFileName() + "." + bad.offset() + SegmentFiles.BROKEN_SUFFIX);
        long length = bad.nonZeroEnd() - bad.offset();
        try (FileChannel copy = SegmentFiles.openPrivate(broken, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                                                         StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < length) {
                done += channel.transferTo(bad.offset() + done, length - done, copy);
            }
            copy.force(true);
        }
        channel.truncate(bad.offset());
        channel.force(true);
        SegmentFiles.syncDirectory(dir);
        LOG.log(System.Logger.Level.WARNING, "cut torn tail of {0} at offset {1} ({2}; {3} bytes moved to {4})",
                file, bad.offset(), bad.reason(), length, broken.getFileName());
        return new ReplayReport.TornTail(file, bad.offset(), length, bad.reason(), broken);
    }

    private void removeTempFiles() throws IOException {
        for (Path temp : SegmentFiles.withSuffix(dir, SegmentFiles.TEMP_SUFFIX)) {
            LOG.log(System.Logger.Level.INFO, "removing {0} left by an interrupted roll or erasure", temp);
            Files.delete(temp);
        }
    }

    private void checkContiguous(List<Long> indexes) throws IOException {
        for (int i = 1; i < indexes.size(); i++) {
            if (indexes.get(i) != indexes.get(i - 1) + 1) {
                throw new LogCorruptedException(SegmentFiles.segment(dir, indexes.get(i - 1) + 1), 0,
                                                "segment missing between " + indexes.get(i - 1) + " and " + indexes.get(i));
            }
        }
    }

    // ---- the writer ----

    private void runWriter() {
        try {
            while (!stopRequested) {
                Task task;
                if (unforced.isEmpty()) {
                    task = queue.take();
                } else {
                    task = queue.poll(unforcedDeadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
                    if (task == null) {
                        forceUnforced();
                        continue;
                    }
                }
                switch (task) {
                    case WriterJob job -> {
                        forceUnforced(); // jobs are barriers: every earlier append is durable before one runs
                        runJob(job);
                    }
                    case Append first -> {
                        collectBatch(first);
                        writeBatch();
                        batch.clear();
                    }
                }
            }
            forceUnforced();
        } catch (Throwable t) {
            failure = t;
            LOG.log(System.Logger.Level.ERROR, "record log " + dir + " failed; appends are no longer durable", t);
            LogFailedException failed = new LogFailedException("log writer failed: " + t, t);
            for (Append append : batch) {
                append.done.completeExceptionally(failed);
            }
            for (Append append : unforced) {
                append.done.completeExceptionally(failed);
            }
            batch.clear();
            unforced.clear();
        } finally {
            writerDone = true;
            failQueued(new LogFailedException("log " + (failure == null ? "closed" : "failed"), failure));
        }
    }

    private void runJob(WriterJob job) {
        try {
            job.done.complete(job.job.call());
        } catch (Exception e) {
            job.done.completeExceptionally(e);
            if (e instanceof IOException) {
                // The active segment may be half-replaced: stop appending rather than guess.
                throw new CompletionException(e);
            }
        }
    }

    private void collectBatch(Append first) {
        batch.add(first);
        long bytes = first.record.frameBytes();
        while (batch.size() < options.maxBatchRecords()) {
            if (!(queue.peek() instanceof Append next) || bytes + next.record.frameBytes() > options.maxBatchBytes()) {
                break;
            }
            queue.poll();
            batch.add(next);
            bytes += next.record.frameBytes();
        }
    }

    /**
     * Writes the batch, then forces unless every record in it is deferred, the deferred deadline has not passed
     * and the unforced bytes stay within one batch (the torn-tail window replay allows).
     */
    private void writeBatch() throws IOException {
        long bytes = 0;
        boolean anyWaiting = false;
        for (Append append : batch) {
            bytes += append.record.frameBytes();
            anyWaiting |= !append.deferred;
        }
        if (!unforced.isEmpty() && unforcedBytes + bytes > options.maxBatchBytes()) {
            forceUnforced();
        }
        batchBuffer.clear();
        for (Append append : batch) {
            int frameBytes = append.record.frameBytes();
            if (!active.fits(batchBuffer.position() + (long) frameBytes)) {
                active.write(batchBuffer.flip());
                batchBuffer.clear();
                roll();
            }
            Frame.encode(batchBuffer, append.record);
        }
        active.write(batchBuffer.flip());
        statRecords += batch.size();
        statBytes += bytes;
        statMaxBatch = Math.max(statMaxBatch, batch.size());
        if (unforced.isEmpty()) {
            unforcedDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.deferredForceMillis());
        }
        unforced.addAll(batch);
        unforcedBytes += bytes;
        if (anyWaiting || unforcedBytes > options.maxBatchBytes() || System.nanoTime() - unforcedDeadlineNanos >= 0) {
            forceUnforced();
        }
    }

    /** Forces what was written since the last force and completes those appends. */
    private void forceUnforced() throws IOException {
        if (unforced.isEmpty()) {
            return;
        }
        long forceStarted = System.nanoTime();
        active.force();
        durableTail = new DurableTail(active.index(), active.end());
        statForceNanos += System.nanoTime() - forceStarted;
        statBatches++;
        for (Append append : unforced) {
            append.done.complete(null);
        }
        unforced.clear();
        unforcedBytes = 0;
    }

    /** Seals the active segment and continues in the next one (the prepared spare, when pre-allocating). */
    private void roll() throws IOException {
        Path next = spare == null ? null : spare.take();
        active = active.roll(next, options);
        if (spare != null) {
            spare.prepare();
        }
        durableTail = new DurableTail(active.index(), active.end());
    }

    // ---- queue plumbing ----

    private Object runOnWriter(Callable<Object> job) throws IOException {
        WriterJob task = new WriterJob(job, new CompletableFuture<>());
        enqueue(task, task.done);
        return await(task.done);
    }

    private void enqueue(Task task, CompletableFuture<?> done) {
        try {
            while (!queue.offer(task, OFFER_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                if (writerDone || closed) {
                    done.completeExceptionally(unusable());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.completeExceptionally(new LogFailedException("interrupted while waiting for queue space", e));
            return;
        }
        // The writer may have drained the queue for the last time just before our offer.
        if (writerDone && queue.remove(task)) {
            done.completeExceptionally(unusable());
        }
    }

    private void failQueued(LogFailedException cause) {
        Task task;
        while ((task = queue.poll()) != null) {
            switch (task) {
                case Append append -> append.done.completeExceptionally(cause);
                case WriterJob job -> job.done.completeExceptionally(cause);
            }
        }
    }

    private void checkUsable() throws LogFailedException {
        if (writerDone || closed) {
            throw unusable();
        }
    }

    private LogFailedException unusable() {
        Throwable cause = failure;
        return new LogFailedException(cause != null ? "log failed: " + cause : "log closed", cause);
    }

    private static <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LogFailedException("interrupted while waiting for the log", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new LogFailedException("log operation failed", cause);
        }
    }
}
