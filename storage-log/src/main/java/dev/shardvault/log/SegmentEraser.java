package dev.shardvault.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Rewrites one segment without the records a predicate matches, then scrubs them from the old file. */
final class SegmentEraser {

    /** Outcome for one segment: {@code end} is where its data ends after the rewrite. */
    record Result(ErasureReport report, long end) {
    }

    private record Range(long offset, long length) {
    }

    private SegmentEraser() {
    }

    /** Whether any record in [0, limit) of the file matches; read-only. */
    static boolean contains(Path file, long limit, SegmentReader reader, Predicate<LogRecord> matcher) throws IOException {
        boolean[] found = {false};
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SegmentReader.End end = reader.read(channel, file, limit, (offset, record) -> found[0] |= matcher.test(record));
            if (end instanceof SegmentReader.End.Bad bad) {
                throw new LogCorruptedException(file, bad.offset(), bad.reason() + " (found during erasure)");
            }
        }
        return found[0];
    }

    /** Rewrites a sealed segment without the matching records. */
    static Result erase(Path file, SegmentReader reader, Predicate<LogRecord> matcher) throws IOException {
        try (FileChannel old = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            List<Range> erased = new ArrayList<>();
            SegmentReader.End end = reader.read(old, file, (offset, record) -> {
                if (matcher.test(record)) {
                    erased.add(new Range(offset, record.frameBytes()));
                }
            });
            if (!(end instanceof SegmentReader.End.Clean(long dataEnd))) {
                SegmentReader.End.Bad bad = (SegmentReader.End.Bad) end;
                // Replay accepted this segment; an invalid frame now is damage, not a torn write.
                throw new LogCorruptedException(file, bad.offset(), bad.reason() + " (found during erasure)");
            }
            if (erased.isEmpty()) {
                return new Result(ErasureReport.NONE, dataEnd);
            }
            long erasedBytes = erased.stream().mapToLong(Range::length).sum();
            Path temp = SegmentFiles.temp(file);
            try (FileChannel copy = SegmentFiles.openPrivate(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                                                             StandardOpenOption.WRITE)) {
                long from = 0;
                for (Range range : erased) {
                    transfer(old, from, range.offset() - from, copy);
                    from = range.offset() + range.length();
                }
                transfer(old, from, dataEnd - from, copy);
                copy.force(true);
                if (copy.size() != dataEnd - erasedBytes) {
                    throw new IllegalStateException("erasure copy of " + file + " has " + copy.size()
                                                    + " bytes, expected " + (dataEnd - erasedBytes));
                }
            }
            SegmentFiles.replace(temp, file);
            // The segment name now points at the copy; overwrite the erased frames in the old inode too.
            for (Range range : erased) {
                ActiveSegment.zero(old, range.offset(), range.length());
            }
            old.force(true);
            return new Result(new ErasureReport(1, erased.size(), erasedBytes, 0), dataEnd - erasedBytes);
        }
    }

    /** Zeroes and deletes every {@code .broken} file; they may hold fragments of erased records. */
    static int scrubBrokenFiles(Path dir) throws IOException {
        List<Path> broken = SegmentFiles.withSuffix(dir, SegmentFiles.BROKEN_SUFFIX);
        for (Path file : broken) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ActiveSegment.zero(channel, 0, channel.size());
                channel.force(true);
            }
            Files.delete(file);
        }
        if (!broken.isEmpty()) {
            SegmentFiles.syncDirectory(dir);
        }
        return broken.size();
    }

    private static void transfer(FileChannel source, long from, long count, FileChannel target) throws IOException {
        long done = 0;
        while (done < count) {
            long moved = source.transferTo(from + done, count - done, target);
            if (moved <= 0) {
                throw new IOException("short transfer while copying a segment at offset " + (from + done));
            }
            done += moved;
        }
    }
}
