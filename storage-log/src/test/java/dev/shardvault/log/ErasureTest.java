package dev.shardvault.log;

import static dev.shardvault.log.Logs.SMALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErasureTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    /** A record whose payload is an 8-byte id followed by a 32-byte marker. */
    private static LogRecord marked(long id, byte[] marker) {
        return new LogRecord(RecordType.PREPARE, ByteBuffer.allocate(40).putLong(id).put(marker).array());
    }

    private static byte[] marker() {
        byte[] marker = new byte[32];
        RANDOM.nextBytes(marker);
        return marker;
    }

    @Test
    void erasedMarkersAreGoneFromEveryByteOfEveryFileAndTheRestReplays() throws IOException {
        LogOptions options = SMALL.withMaxRecordBytes(1024).withSegmentBytes(8 << 10).withPreallocate(true);
        byte[] secret = marker();
        List<byte[]> others = new ArrayList<>();
        Set<Long> keptIds = new HashSet<>();
        try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
            for (long id = 0; id < 600; id++) {
                if (id % 7 == 3) {
                    log.appendDurably(marked(id, secret));
                } else {
                    byte[] other = marker();
                    others.add(other);
                    keptIds.add(id);
                    log.appendDurably(marked(id, other));
                }
            }
            assertTrue(Logs.segments(dir).size() > 3, "the marker must be spread over sealed and active segments");
            ErasureReport report = log.erase(r -> Logs.indexOf(r.payload(), secret) >= 0);
            assertEquals(600 / 7 + 1, report.recordsErased());
            assertEquals(report.recordsErased() * 49, report.bytesErased());
            // Appends continue after an erasure rewrote the active segment.
            log.appendDurably(marked(10_000, others.getFirst()));
            keptIds.add(10_000L);
        }
        for (Path file : Logs.allFiles(dir)) {
            assertEquals(-1, Logs.indexOf(Files.readAllBytes(file), secret), "marker survives in " + file);
        }
        Set<Long> replayed = new HashSet<>();
        for (LogRecord record : Logs.replay(dir, options)) {
            replayed.add(Logs.idOf(record));
        }
        assertEquals(keptIds, replayed);
    }

    @Test
    void erasureRunsWhileOtherAppendsContinue() throws Exception {
        LogOptions options = SMALL.withMaxRecordBytes(1024).withSegmentBytes(16 << 10);
        byte[] secret = marker();
        try (RecordLog log = RecordLog.open(dir, options, r -> { });
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long id = 0; id < 300; id++) {
                log.appendDurably(marked(id, id % 2 == 0 ? secret : marker()));
            }
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long base = 1_000 + t * 1_000L;
                writers.add(pool.submit(() -> {
                    for (long id = base; id < base + 200; id++) {
                        log.appendDurably(marked(id, marker()));
                    }
                    return null;
                }));
            }
            assertEquals(150, log.erase(r -> Logs.indexOf(r.payload(), secret) >= 0).recordsErased());
            for (Future<?> writer : writers) {
                writer.get();
            }
        }
        List<LogRecord> replayed = Logs.replay(dir, options);
        assertEquals(150 + 8 * 200, replayed.size());
        for (Path file : Logs.allFiles(dir)) {
            assertEquals(-1, Logs.indexOf(Files.readAllBytes(file), secret), "marker survives in " + file);
        }
    }

    @Test
    void anErasureThatRemovesSomethingAlsoScrubsBrokenTailCopies() throws IOException {
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            log.appendDurably(marked(1, marker()));
        }
        Path broken = dir.resolve("00000000000000000000.log.16.broken");
        byte[] secret = marker();
        Files.write(broken, secret);
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            log.appendDurably(marked(2, secret));
            ErasureReport report = log.erase(r -> Logs.indexOf(r.payload(), secret) >= 0);
            assertEquals(1, report.recordsErased());
            assertEquals(1, report.brokenFilesScrubbed());
        }
        assertTrue(Files.notExists(broken));
    }

    @Test
    void anErasureThatMatchesNothingRewritesNothing() throws IOException {
        try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
            for (long id = 0; id < 1_000; id++) {
                log.appendDurably(marked(id, marker()));
            }
            assertEquals(ErasureReport.NONE, log.erase(r -> false));
        }
        assertEquals(1_000, Logs.replay(dir, SMALL).size());
    }
}
