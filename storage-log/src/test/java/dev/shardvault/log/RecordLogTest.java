package dev.shardvault.log;

import static dev.shardvault.log.Logs.SMALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordLogTest {

    @TempDir
    Path dir;

    @Test
    void everyRecordTypeRoundTripsThroughReopen() throws IOException {
        List<LogRecord> written = new ArrayList<>();
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            for (RecordType type : RecordType.values()) {
                LogRecord record = Logs.record(type, "payload of " + type);
                log.appendDurably(record);
                written.add(record);
            }
            LogRecord empty = new LogRecord(RecordType.ABORT, new byte[0]);
            log.appendDurably(empty);
            written.add(empty);
        }
        assertEquals(written, Logs.replay(dir, SMALL));
    }

    @Test
    void appendsAfterReopenFollowTheReplayedRecords() throws IOException {
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            log.appendDurably(Logs.numbered(1, 100));
        }
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            log.appendDurably(Logs.numbered(2, 100));
        }
        assertEquals(List.of(1L, 2L), Logs.replay(dir, SMALL).stream().map(Logs::idOf).toList());
    }

    @Test
    void segmentsRollAtTheConfiguredSizeAndReplayInOrder() throws IOException {
        int count = 2_000;
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            for (long id = 0; id < count; id++) {
                log.appendDurably(Logs.numbered(id, 200));
            }
        }
        List<Path> segments = Logs.segments(dir);
        assertTrue(segments.size() > 5, "expected several segments, got " + segments.size());
        for (Path segment : segments.subList(0, segments.size() - 1)) {
            assertTrue(Files.size(segment) <= SMALL.segmentBytes(), segment + " is larger than a segment");
        }
        List<LogRecord> replayed = Logs.replay(dir, SMALL);
        assertEquals(count, replayed.size());
        for (int i = 0; i < count; i++) {
            assertEquals(Logs.numbered(i, 200), replayed.get(i));
        }
    }

    @Test
    void concurrentAppendersAreGroupCommittedAndAllDurable() throws Exception {
        int threads = 32;
        int perThread = 200;
        LogOptions options = SMALL.withSegmentBytes(1 << 20).withPreallocate(true);
        LogStats stats;
        try (RecordLog log = RecordLog.open(dir, options, r -> { });
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * perThread;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        log.appendDurably(Logs.numbered(base + i, 64));
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
            stats = log.stats();
        }
        assertEquals((long) threads * perThread, stats.records());
        assertTrue(stats.batches() < stats.records(), "no batching happened: " + stats);
        long[] ids = Logs.replay(dir, options).stream().mapToLong(Logs::idOf).sorted().toArray();
        long[] expected = new long[threads * perThread];
        Arrays.setAll(expected, i -> i);
        assertTrue(Arrays.equals(expected, ids), "replayed ids differ from appended ids");
    }

    @Test
    void aFullQueuePushesBackInsteadOfFailing() throws Exception {
        LogOptions options = SMALL.withQueueCapacity(2).withMaxBatchRecords(1);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
            for (int i = 0; i < 50; i++) {
                pending.add(log.append(Logs.numbered(i, 32)));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get();
        }
        assertEquals(50, Logs.replay(dir, options).size());
    }

    @Test
    void oversizedPayloadIsRejectedBeforeItIsQueued() throws IOException {
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            LogRecord huge = new LogRecord(RecordType.PREPARE, new byte[SMALL.maxRecordBytes() + 1]);
            assertThrows(IllegalArgumentException.class, () -> log.append(huge));
        }
        assertEquals(List.of(), Logs.replay(dir, SMALL));
    }

    @Test
    void appendAfterCloseFailsWithLogFailed() throws IOException {
        RecordLog log = RecordLog.open(dir, SMALL, r -> { });
        log.close();
        ExecutionException failure = assertThrows(ExecutionException.class,
                                                   () -> log.append(Logs.numbered(1, 8)).get());
        assertTrue(failure.getCause() instanceof LogFailedException, failure.getCause().toString());
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() throws IOException {
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            IOException refused = assertThrows(IOException.class, () -> RecordLog.open(dir, SMALL, r -> { }));
            assertTrue(refused.getMessage().contains("in use"), refused.getMessage());
        }
    }

    @Test
    void preallocatedSegmentsReplayExactlyAndKeepZerosAfterTheData() throws IOException {
        LogOptions options = SMALL.withSegmentBytes(1 << 20).withPreallocate(true);
        try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
            for (int i = 0; i < 100; i++) {
                log.appendDurably(Logs.numbered(i, 100));
            }
        }
        Path segment = Logs.segments(dir).getFirst();
        assertEquals(options.segmentBytes(), Files.size(segment), "segment was not pre-allocated");
        assertEquals(100, Logs.replay(dir, options).size());
        try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
            log.appendDurably(Logs.numbered(100, 100));
        }
        assertEquals(101, Logs.replay(dir, options).size());
    }

    @Test
    void leftoverTempFilesFromAnInterruptedRollAreRemoved() throws IOException {
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            log.appendDurably(Logs.numbered(1, 10));
        }
        Path temp = dir.resolve("00000000000000000001.log.tmp");
        Files.write(temp, new byte[] {1, 2, 3});
        assertEquals(1, Logs.replay(dir, SMALL).size());
        assertTrue(Files.notExists(temp));
    }

    @Test
    void optionsThatCannotHoldARecordAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LogOptions(1024, 4096, 16, 16, 4096, false, 10));
        assertThrows(IllegalArgumentException.class, () -> SMALL.withQueueCapacity(0));
    }
}
