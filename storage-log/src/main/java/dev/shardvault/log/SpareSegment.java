package dev.shardvault.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Prepares the next segment off the writer's path: a temp file holding a header and zeros up to the segment
 * size, fsync'd, ready to be renamed into place at the next roll. Its name ends in {@code .tmp}, so a
 * spare left by a crash is removed on open.
 */
final class SpareSegment implements AutoCloseable {

    private final Path file;
    private final long segmentBytes;
    private final ExecutorService executor;
    private CompletableFuture<Path> ready;

    SpareSegment(Path dir, long segmentBytes) {
        this.file = dir.resolve("spare" + SegmentFiles.SEGMENT_SUFFIX + SegmentFiles.TEMP_SUFFIX);
        this.segmentBytes = segmentBytes;
        this.executor = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("record-log-spare").daemon(true).factory());
        prepare();
    }

    /** The prepared file, waiting for it if needed. Rename it away, then call {@link #prepare()}. */
    Path take() throws IOException {
        try {
            return ready.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the spare segment", e);
        } catch (ExecutionException e) {
            throw new IOException("could not prepare the next segment", e.getCause());
        }
    }

    /** Starts preparing a new spare; call after the previous one was renamed into place. */
    void prepare() {
        ready = CompletableFuture.supplyAsync(() -> {
            try {
                Files.deleteIfExists(file);
                try (FileChannel channel = SegmentFiles.openPrivate(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    Frame.writeFully(channel, Frame.segmentHeader(), 0);
                    ActiveSegment.zero(channel, Frame.SEGMENT_HEADER_BYTES, segmentBytes - Frame.SEGMENT_HEADER_BYTES);
                    channel.force(true);
                }
                return file;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, executor);
    }

    /** Stops preparing and removes the spare; the next open prepares a fresh one. */
    @Override
    public void close() throws IOException {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IOException("spare segment preparation did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(file);
    }
}
