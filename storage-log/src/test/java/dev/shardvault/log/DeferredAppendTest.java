package dev.shardvault.log;

import static dev.shardvault.log.Logs.SMALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deferred appends: written in order, forced by the next waiting append, a deadline, a barrier or close. */
class DeferredAppendTest {

    /** Long enough that nothing in a test is forced by the deadline unless the test waits for it. */
    private static final LogOptions NO_DEADLINE = SMALL.withDeferredForceMillis(TimeUnit.MINUTES.toMillis(10));

    @TempDir
    Path dir;

    @Test
    void aDeferredRecordIsForcedTogetherWithTheNextWaitingAppend() throws Exception {
        try (RecordLog log = RecordLog.open(dir, NO_DEADLINE, r -> { })) {
            CompletableFuture<Void> deferred = log.appendDeferred(Logs.numbered(1, 100));
            // Time for the writer to write it; without a force it must not be reported durable.
            Thread.sleep(50);
            assertFalse(deferred.isDone(), "a deferred record was reported durable without a force");
            log.appendDurably(Logs.numbered(2, 100));
            assertTrue(deferred.isDone(), "the waiting append's force must cover the deferred record before it");
            assertFalse(deferred.isCompletedExceptionally());
            assertEquals(1, log.stats().batches(), "one force for both records");
        }
        assertEquals(List.of(1L, 2L), Logs.replay(dir, SMALL).stream().map(Logs::idOf).toList());
    }

    @Test
    void aDeferredRecordAloneIsForcedByTheDeadline() throws Exception {
        try (RecordLog log = RecordLog.open(dir, SMALL.withDeferredForceMillis(20), r -> { })) {
            CompletableFuture<Void> deferred = log.appendDeferred(Logs.numbered(7, 100));
            deferred.get(10, TimeUnit.SECONDS);
            assertEquals(1, log.stats().batches());
        }
        assertEquals(List.of(7L), Logs.replay(dir, SMALL).stream().map(Logs::idOf).toList());
    }

    @Test
    void closeForcesDeferredRecords() throws Exception {
        CompletableFuture<Void> deferred;
        try (RecordLog log = RecordLog.open(dir, NO_DEADLINE, r -> { })) {
            deferred = log.appendDeferred(Logs.numbered(3, 100));
        }
        assertTrue(deferred.isDone() && !deferred.isCompletedExceptionally(), "close must force deferred records");
        assertEquals(List.of(3L), Logs.replay(dir, SMALL).stream().map(Logs::idOf).toList());
    }

    @Test
    void erasureIsABarrierForDeferredRecords() throws Exception {
        try (RecordLog log = RecordLog.open(dir, NO_DEADLINE, r -> { })) {
            CompletableFuture<Void> deferred = log.appendDeferred(Logs.numbered(4, 100));
            log.erase(record -> false);
            assertTrue(deferred.isDone() && !deferred.isCompletedExceptionally(),
                       "every append queued before an erasure is durable when it runs");
        }
    }

    /** Replay tolerates garbage only within one batch at the tail: deferred bytes never exceed that unforced. */
    @Test
    void unforcedBytesStayWithinOneBatch() throws Exception {
        int recordBytes = 1_000;
        int count = 3 * SMALL.maxBatchBytes() / recordBytes;
        List<CompletableFuture<Void>> deferred = new ArrayList<>();
        try (RecordLog log = RecordLog.open(dir, NO_DEADLINE, r -> { })) {
            for (int i = 0; i < count; i++) {
                deferred.add(log.appendDeferred(Logs.numbered(i, recordBytes)));
            }
            // Without any waiting append or deadline, everything but the last batch's worth must get forced.
            long frameBytes = Logs.numbered(0, recordBytes).frameBytes();
            int mustBeForced = (int) (count - SMALL.maxBatchBytes() / frameBytes);
            deferred.get(mustBeForced - 1).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < mustBeForced; i++) {
                assertTrue(deferred.get(i).isDone(), "record " + i + " was forced in order");
            }
            assertTrue(log.stats().batches() >= 2, "forces: " + log.stats().batches());
        }
        assertEquals(count, Logs.replay(dir, SMALL).size());
    }
}
