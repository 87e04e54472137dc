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
    private final long segmentBytes;
    private final FileChannel channel;
    private long end;

    private ActiveSegment(Path dir, long index, long end, long segmentBytes) throws IOException {
        this.dir = dir;
        this.index = index;
        this.segmentBytes = segmentBytes;
        this.channel = FileChannel.open(SegmentFiles.segment(dir, index), StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.end = end;
        if (channel.size() < end) {
            channel.close();
            throw new IllegalStateException("segment " + index + " is shorter than its data end " + end);
        }
    }

    /**
     * Opens an existing segment whose valid data ends at {@code end} (zeros or end of file after it). With
     * pre-allocation on, a segment that is not yet full size (the first one, or one cut after a torn tail)
     * is extended now, once.
     */
    static ActiveSegment open(Path dir, long index, long end, LogOptions options) throws IOException {
        ActiveSegment segment = new ActiveSegment(dir, index, end, options.segmentBytes());
        if (options.preallocate() && segment.channel.size() < options.segmentBytes()) {
            zero(segment.channel, segment.channel.size(), options.segmentBytes() - segment.channel.size());
            segment.channel.force(true);
        }
        return segment;
    }

    long index() {
        return index;
    }

    long end() {
        return end;
    }

    /** Whether {@code frameBytes} more bytes fit before the roll size. */
    boolean fits(long frameBytes) {
        return end + frameBytes <= segmentBytes;
    }

    /** Writes the buffer's remaining bytes at the end. Not durable until {@link #force()}. */
    void write(ByteBuffer frames) throws IOException {
        long newEnd = end + frames.remaining();
        Frame.writeFully(channel, frames, end);
        end = newEnd;
    }

    void force() throws IOException {
        // fdatasync: with a pre-allocated segment no size change needs persisting; without one, Linux
        // fdatasync still persists the new size because reading the data back needs it.
        channel.force(false);
    }

    /**
     * Seals this segment (data forced, file cut to its last frame, metadata forced) and makes {@code next}
     * (a header-only or pre-allocated segment file, or null to create one) the segment after it.
     */
    ActiveSegment roll(Path next, LogOptions options) throws IOException {
        channel.force(false);
        channel.truncate(end);
        channel.force(true);
        channel.close();
        if (next == null) {
            SegmentFiles.createEmpty(dir, index + 1);
        } else {
            SegmentFiles.replace(next, SegmentFiles.segment(dir, index + 1));
        }
        return open(dir, index + 1, Frame.SEGMENT_HEADER_BYTES, options);
    }

    /** Overwrites [from, from+length) with zeros (not forced). */
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
