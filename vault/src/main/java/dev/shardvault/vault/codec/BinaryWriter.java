package dev.shardvault.vault.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Appends little-endian values to a growing buffer. Not thread-safe. */
public final class BinaryWriter {

    private ByteBuffer buffer;

    public BinaryWriter(int initialBytes) {
        buffer = ByteBuffer.allocate(Math.max(16, initialBytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    public BinaryWriter u8(int value) {
        ensure(1).put((byte) value);
        return this;
    }

    public BinaryWriter i32(int value) {
        ensure(4).putInt(value);
        return this;
    }

    public BinaryWriter i64(long value) {
        ensure(8).putLong(value);
        return this;
    }

    public BinaryWriter bool(boolean value) {
        return u8(value ? 1 : 0);
    }

    /** u32 length, then the bytes. */
    public BinaryWriter bytes(byte[] value) {
        ensure(4 + value.length).putInt(value.length).put(value);
        return this;
    }

    /** Fixed-length bytes with no length prefix. */
    public BinaryWriter raw(byte[] value) {
        ensure(value.length).put(value);
        return this;
    }

    public BinaryWriter string(String value) {
        return bytes(value.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** Zeroes the internal buffer; call after encoding anything that held a share. */
    public void wipe() {
        Arrays.fill(buffer.array(), (byte) 0);
    }

    private ByteBuffer ensure(int bytes) {
        if (buffer.remaining() < bytes) {
            int capacity = Math.max(buffer.capacity() * 2, buffer.position() + bytes);
            ByteBuffer bigger = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(buffer.array(), 0, buffer.position());
            Arrays.fill(buffer.array(), (byte) 0);
            buffer = bigger;
        }
        return buffer;
    }
}
