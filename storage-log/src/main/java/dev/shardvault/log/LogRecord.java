package dev.shardvault.log;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record: a type and an opaque payload. The payload array is copied in and out, so a record is
 * immutable; {@link #payloadBuffer()} gives a read-only view without a copy.
 */
public record LogRecord(RecordType type, byte[] payload) {

    public LogRecord {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
        payload = payload.clone();
    }

    /** A copy of the payload. */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** A read-only view of the payload. */
    public ByteBuffer payloadBuffer() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    public int payloadLength() {
        return payload.length;
    }

    /** Frame size on disk: header plus payload. */
    int frameBytes() {
        return Frame.HEADER_BYTES + payload.length;
    }

    void putPayload(ByteBuffer target) {
        target.put(payload);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LogRecord that && type == that.type && Arrays.equals(payload, that.payload);
    }

    @Override
    public int hashCode() {
        return 31 * type.hashCode() + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        // Payloads hold shares: never print them.
        return "LogRecord[type=" + type + ", payloadBytes=" + payload.length + "]";
    }
}
