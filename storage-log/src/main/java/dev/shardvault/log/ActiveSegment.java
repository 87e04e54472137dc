package dev.shardvault.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The segment appends go to. Owned by the writer thread alone. Invariant: every byte in
 * [{@link #end()}, file size) is zero, so the end marker after the last frame is always there.
 */
final class ActiveSegment implements AutoCloseable {

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10);

    private final Path dir;
    private final long index;
    private final long preallocateBytes;
    private final long segmentBytes;
    private final FileChannel channel;
    private long end;
    private long allocatedEnd;

    private ActiveSegment(Path dir, long index, long end, LogOptions options) throws IOException {
        this.dir = dir;
        this.index = index;
        this.preallocateBytes = options.preallocateBytes();
        this.segmentBytes = options.segmentBytes();
        this.channel = FileChannel.open(SegmentFiles.segment(dir, index), StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.end = end;
        this.allocatedEnd = channel.size();
        if (allocatedEnd < end) {
            throw new IllegalStateException("segment " + index + " is shorter than its data end " + end);
        }
    }

    /** Opens an existing segment whose valid data ends at {@code end} (zeros or end of file after it). */
    static ActiveSegment open(Path dir, long index, long end, LogOptions options) throws IOException {
        return new ActiveSegment(dir, index, end, options);
    }

    long index() {
        return index;
    }

    long end() {
        return end;
    }

    Path file() {
        return SegmentFiles.segment(dir, index);
    }

    boolean fits(long frameBytes) {
        return end + frameBytes <= segmentBytes;
    }

    /** Writes the buffer's remaining bytes at the end. Not durable until {@link #force()}. */
    void write(ByteBuffer frames) throws IOException {
        long newEnd = end + frames.remaining();
        if (newEnd > allocatedEnd) {
            preallocate(newEnd);
        }
        Frame.writeFully(channel, frames, end);
        end = newEnd;
    }

    void force() throws IOException {
        // Data only: with the tail pre-allocated the file size does not change between batches.
        channel.force(false);
    }

    /**
     * Seals this segment (data forced, file cut to its last frame, metadata forced) and returns a fresh
     * active segment after it.
     */
    ActiveSegment roll(LogOptions options) throws IOException {
        channel.force(false);
        channel.truncate(end);
        channel.force(true);
        channel.close();
        SegmentFiles.createEmpty(dir, index + 1);
        return open(dir, index + 1, Frame.SEGMENT_HEADER_BYTES, options);
    }

    /** Extends the file with real zero blocks up to at least {@code needed}, and makes the size durable. */
    private void preallocate(long needed) throws IOException {
        long target = Math.min(Math.max(needed, end + preallocateBytes), Math.max(needed, segmentBytes));
        long at = allocatedEnd;
        while (at < target) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), target - at));
            at += channel.write(zeros, at);
        }
        channel.force(true);
        allocatedEnd = target;
    }

    /** Overwrites [from, from+length) with zeros; used to scrub erased records from a replaced file. */
    static void zero(FileChannel channel, long from, long length) throws IOException {
        long at = from;
        long stop = from + length;
        while (at < stop) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), stop - at));
            at += channel.write(zeros, at);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
