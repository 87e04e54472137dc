package dev.shardvault.log;

import static dev.shardvault.log.Logs.SMALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TornTailAndCorruptionTest {

    private static final int RECORDS = 20;
    private static final int PAYLOAD_BYTES = 100;
    private static final int FRAME_BYTES = 9 + PAYLOAD_BYTES;

    @TempDir
    Path tmp;

    private Path writeLog(Path dir, LogOptions options, int records) throws IOException {
        try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
            for (int i = 0; i < records; i++) {
                log.appendDurably(Logs.numbered(i, PAYLOAD_BYTES));
            }
        }
        return dir;
    }

    @Test
    void truncatingTheLastRecordAtEveryOffsetLeavesExactlyTheRecordsBeforeIt() throws IOException {
        Path original = writeLog(tmp.resolve("original"), SMALL, RECORDS);
        Path segment = Logs.segments(original).getLast();
        long end = Files.size(segment);
        long lastRecordStart = end - FRAME_BYTES;
        for (long cut = lastRecordStart; cut < end; cut++) {
            Path dir = tmp.resolve("cut-" + cut);
            Logs.copyDirectory(original, dir);
            try (FileChannel channel = FileChannel.open(Logs.segments(dir).getLast(), StandardOpenOption.WRITE)) {
                channel.truncate(cut);
            }
            List<LogRecord> replayed = Logs.replay(dir, SMALL);
            assertEquals(RECORDS - 1, replayed.size(), "cut at " + cut);
            assertEquals(Logs.numbered(RECORDS - 2, PAYLOAD_BYTES), replayed.getLast(), "cut at " + cut);
            boolean bytesWereCut = cut > lastRecordStart;
            assertEquals(bytesWereCut, Files.exists(dir.resolve(segment.getFileName() + "." + lastRecordStart + ".broken")),
                         "broken copy at cut " + cut);
            // The log is usable after the cut and the next record lands where the torn one was.
            try (RecordLog log = RecordLog.open(dir, SMALL, r -> { })) {
                log.appendDurably(Logs.numbered(1000, PAYLOAD_BYTES));
            }
            List<LogRecord> after = Logs.replay(dir, SMALL);
            assertEquals(RECORDS, after.size());
            assertEquals(1000, Logs.idOf(after.getLast()));
        }
    }

    @Test
    void zeroedPagesInsideAPreallocatedTailAreATornTail() throws IOException {
        LogOptions options = SMALL.withSegmentBytes(1 << 20).withPreallocate(true);
        Path dir = writeLog(tmp.resolve("log"), options, RECORDS);
        Path segment = Logs.segments(dir).getLast();
        long lastRecordStart = Frame.SEGMENT_HEADER_BYTES + (long) (RECORDS - 1) * FRAME_BYTES;
        // The first half of the last frame never reached the disk; the second half did.
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(FRAME_BYTES / 2), lastRecordStart);
        }
        List<LogRecord> replayed = Logs.replay(dir, options);
        assertEquals(RECORDS - 1, replayed.size());
        // The stray second half is gone from the segment: a later record cannot be mistaken for it.
        try (RecordLog log = RecordLog.open(dir, options, r -> { })) {
            log.appendDurably(Logs.numbered(1000, 8));
        }
        assertEquals(RECORDS, Logs.replay(dir, options).size());
    }

    @Test
    void aFlippedByteInASealedSegmentStopsTheOpenNamingFileAndOffset() throws IOException {
        Path dir = writeLog(tmp.resolve("log"), SMALL, 2_000);
        List<Path> segments = Logs.segments(dir);
        assertTrue(segments.size() >= 3);
        Path victim = segments.get(1);
        long offset = Files.size(victim) / 2;
        flip(victim, offset);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> Logs.replay(dir, SMALL));
        assertEquals(victim, e.file());
        assertTrue(e.offset() <= offset && offset < e.offset() + FRAME_BYTES + 200,
                   "reported offset " + e.offset() + " is not the frame holding byte " + offset);
        assertTrue(e.getMessage().contains(victim.toString()) && e.getMessage().contains(Long.toString(e.offset())));
    }

    @Test
    void aFlippedByteFarFromTheEndOfTheLastSegmentIsCorruptionNotATornTail() throws IOException {
        LogOptions options = SMALL.withSegmentBytes(16 << 20).withMaxBatchBytes(4096).withMaxRecordBytes(1024);
        Path dir = writeLog(tmp.resolve("log"), options, 2_000);
        Path segment = Logs.segments(dir).getLast();
        assertEquals(1, Logs.segments(dir).size());
        long offset = Frame.SEGMENT_HEADER_BYTES + 10L * FRAME_BYTES + 20;
        flip(segment, offset);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> Logs.replay(dir, options));
        assertEquals(segment, e.file());
        assertEquals(Frame.SEGMENT_HEADER_BYTES + 10L * FRAME_BYTES, e.offset());
        assertEquals(List.of(), Logs.segments(dir).stream()
                .filter(p -> p.toString().endsWith(".broken")).toList(), "nothing may be cut on corruption");
    }

    @Test
    void aDamagedSegmentHeaderStopsTheOpen() throws IOException {
        Path dir = writeLog(tmp.resolve("log"), SMALL, 10);
        flip(Logs.segments(dir).getFirst(), 3);
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> Logs.replay(dir, SMALL));
        assertEquals(0, e.offset());
    }

    @Test
    void aMissingSegmentStopsTheOpen() throws IOException {
        Path dir = writeLog(tmp.resolve("log"), SMALL, 2_000);
        List<Path> segments = Logs.segments(dir);
        Files.delete(segments.get(1));
        LogCorruptedException e = assertThrows(LogCorruptedException.class, () -> Logs.replay(dir, SMALL));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void garbageAfterTheEndOfASealedSegmentStopsTheOpen() throws IOException {
        Path dir = writeLog(tmp.resolve("log"), SMALL, 2_000);
        Path sealed = Logs.segments(dir).getFirst();
        try (FileChannel channel = FileChannel.open(sealed, StandardOpenOption.APPEND)) {
            channel.write(ByteBuffer.allocate(9));
        }
        assertThrows(LogCorruptedException.class, () -> Logs.replay(dir, SMALL));
    }

    private static void flip(Path file, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x5A));
            one.rewind();
            channel.write(one, offset);
        }
    }
}
