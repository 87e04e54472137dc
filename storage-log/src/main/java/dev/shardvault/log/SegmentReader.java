package dev.shardvault.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads one segment front to back, verifying every frame, and says how the data ends. Reuses one buffer
 * across segments; not thread-safe.
 */
final class SegmentReader {

    /** Receives each valid record and where its frame starts. */
    interface Visitor {
        void record(long offset, LogRecord record) throws IOException;
    }

    /** How a segment's data ends. */
    sealed interface End {
        /** Valid frames up to {@code offset}; after it only zeros (the end marker) or end of file. */
        record Clean(long offset) implements End {
        }

        /**
         * An invalid frame at {@code offset}. {@code nonZeroEnd} is one past the last non-zero byte of the
         * file, so {@code nonZeroEnd - offset} bounds what a torn write could have left there.
         */
        record Bad(long offset, String reason, long nonZeroEnd) implements End {
        }
    }

    private final int maxRecordBytes;
    private final ByteBuffer buffer;
    private FileChannel channel;
    private long bufferStart;

    SegmentReader(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
        int capacity = Math.max(1 << 20, Frame.HEADER_BYTES + maxRecordBytes);
        this.buffer = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    End read(FileChannel segment, Path file, Visitor visitor) throws IOException {
        return read(segment, file, segment.size(), visitor);
    }

    /** Reads only [0, limit): for the active segment, whose bytes past the durable end are still changing. */
    End read(FileChannel segment, Path file, long limit, Visitor visitor) throws IOException {
        Frame.checkSegmentHeader(segment, file);
        this.channel = segment;
        this.bufferStart = 0;
        buffer.clear().limit(0);
        long size = Math.min(limit, segment.size());
        long offset = Frame.SEGMENT_HEADER_BYTES;
        while (true) {
            long remaining = size - offset;
            if (remaining == 0) {
                return new End.Clean(offset);
            }
            if (remaining < Frame.HEADER_BYTES) {
                long nonZeroEnd = nonZeroEnd(offset, size);
                return nonZeroEnd == offset
                        ? new End.Clean(offset)
                        : new End.Bad(offset, "truncated frame header", nonZeroEnd);
            }
            int at = fill(offset, Frame.HEADER_BYTES);
            long length = Integer.toUnsignedLong(buffer.getInt(at));
            int storedCrc = buffer.getInt(at + 4);
            byte code = buffer.get(at + 8);
            if (length == 0 && storedCrc == 0 && code == 0) {
                long nonZeroEnd = nonZeroEnd(offset, size);
                return nonZeroEnd == offset
                        ? new End.Clean(offset)
                        : new End.Bad(offset, "non-zero bytes after the end marker", nonZeroEnd);
            }
            if (length > maxRecordBytes) {
                return new End.Bad(offset, "frame length " + length + " exceeds maxRecordBytes " + maxRecordBytes,
                                   nonZeroEnd(offset, size));
            }
            int payloadLength = (int) length;
            if (offset + Frame.HEADER_BYTES + payloadLength > size) {
                return new End.Bad(offset, "frame of " + payloadLength + " payload bytes runs past end of file",
                                   nonZeroEnd(offset, size));
            }
            at = fill(offset, Frame.HEADER_BYTES + payloadLength);
            if (Frame.crc(buffer, at, payloadLength) != storedCrc) {
                return new End.Bad(offset, "CRC mismatch", nonZeroEnd(offset, size));
            }
            RecordType type = RecordType.ofCode(code);
            if (type == null) {
                // The CRC is good, so this is no torn write: a newer version wrote a type we do not know.
                throw new LogCorruptedException(file, offset, "unknown record type code " + code);
            }
            byte[] payload = new byte[payloadLength];
            buffer.get(at + Frame.HEADER_BYTES, payload);
            visitor.record(offset, new LogRecord(type, payload));
            offset += Frame.HEADER_BYTES + payloadLength;
        }
    }

    /** Makes bytes [offset, offset+count) available in the buffer and returns the index of offset in it. */
    private int fill(long offset, int count) throws IOException {
        if (offset >= bufferStart && offset + count <= bufferStart + buffer.limit()) {
            return (int) (offset - bufferStart);
        }
        buffer.clear();
        bufferStart = offset;
        while (buffer.position() < count) {
            int read = channel.read(buffer, offset + buffer.position());
            if (read < 0) {
                throw new IOException("unexpected end of file at offset " + (offset + buffer.position()));
            }
        }
        buffer.flip();
        return 0;
    }

    /** One past the last non-zero byte in [from, size), or {@code from} if they are all zero. */
    private long nonZeroEnd(long from, long size) throws IOException {
        long end = from;
        long at = from;
        while (at < size) {
            buffer.clear();
            bufferStart = -1; // the buffer no longer caches frames
            int read = channel.read(buffer, at);
            if (read < 0) {
                break;
            }
            for (int i = 0; i < read; i++) {
                if (buffer.get(i) != 0) {
                    end = at + i + 1;
                }
            }
            at += read;
        }
        buffer.clear().limit(0);
        return end;
    }
}
