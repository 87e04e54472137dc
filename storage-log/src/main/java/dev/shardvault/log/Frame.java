package dev.shardvault.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/** The byte layout of segment headers and record frames (see the package comment). */
final class Frame {

    static final int HEADER_BYTES = 9;
    static final int SEGMENT_HEADER_BYTES = 16;
    static final int PAGE_BYTES = 4096;
    static final int FORMAT_VERSION = 1;

    private static final byte[] MAGIC = {0x53, 0x56, 0x4C, 0x4F, 0x47, 0x0D, 0x0A, 0x1A};

    private Frame() {
    }

    /** Appends one frame (header + payload) at the buffer's position. */
    static void encode(ByteBuffer target, LogRecord record) {
        int start = target.position();
        target.putInt(record.payloadLength());
        target.putInt(0); // CRC, filled in below
        target.put(record.type().code());
        record.putPayload(target);
        target.putInt(start + 4, crc(target, start, record.payloadLength()));
    }

    /** CRC32C of a frame starting at {@code start} in {@code buffer}: length, type and payload. */
    static int crc(ByteBuffer buffer, int start, int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.slice(start, 4));
        crc.update(buffer.slice(start + 8, 1 + payloadLength));
        return (int) crc.getValue();
    }

    static ByteBuffer segmentHeader() {
        ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(FORMAT_VERSION);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 12);
        header.putInt((int) crc.getValue());
        return header.flip();
    }

    /** Throws unless the first 16 bytes of the file are a valid header of a format this code reads. */
    static void checkSegmentHeader(FileChannel channel, Path file) throws IOException {
        if (channel.size() < SEGMENT_HEADER_BYTES) {
            throw new LogCorruptedException(file, 0, "file is shorter than the segment header");
        }
        ByteBuffer actual = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, actual, 0);
        ByteBuffer expected = segmentHeader();
        if (!actual.slice(0, 8).equals(expected.slice(0, 8))) {
            throw new LogCorruptedException(file, 0, "bad segment magic");
        }
        CRC32C crc = new CRC32C();
        crc.update(actual.array(), 0, 12);
        if (actual.getInt(12) != (int) crc.getValue()) {
            throw new LogCorruptedException(file, 12, "segment header CRC mismatch");
        }
        int version = actual.getInt(8);
        if (version != FORMAT_VERSION) {
            throw new LogCorruptedException(file, 8, "unsupported segment format version " + version);
        }
    }

    static void readFully(FileChannel channel, ByteBuffer target, long position) throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int read = channel.read(target, at);
            if (read < 0) {
                throw new IOException("unexpected end of file at offset " + at);
            }
            at += read;
        }
        target.flip();
    }

    static void writeFully(FileChannel channel, ByteBuffer source, long position) throws IOException {
        long at = position;
        while (source.hasRemaining()) {
            at += channel.write(source, at);
        }
    }
}
