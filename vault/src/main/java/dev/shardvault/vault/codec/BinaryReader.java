package dev.shardvault.vault.codec;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads what {@link BinaryWriter} wrote, checking every length against the bytes left and a limit. */
public final class BinaryReader {

    private final ByteBuffer buffer;

    public BinaryReader(byte[] bytes) {
        this(ByteBuffer.wrap(bytes));
    }

    public BinaryReader(ByteBuffer bytes) {
        this.buffer = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public int u8() {
        try {
            return buffer.get() & 0xFF;
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    public int i32() {
        try {
            return buffer.getInt();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    public long i64() {
        try {
            return buffer.getLong();
        } catch (BufferUnderflowException e) {
            throw truncated();
        }
    }

    public boolean bool() {
        int value = u8();
        if (value > 1) {
            throw new MalformedException("boolean byte " + value);
        }
        return value == 1;
    }

    public byte[] bytes(int maxBytes) {
        return raw(length(maxBytes));
    }

    /** A length prefix, at most {@code maxBytes}. */
    private int length(int maxBytes) {
        int length = i32();
        if (length < 0 || length > maxBytes) {
            throw new MalformedException("length " + Integer.toUnsignedString(length) + " exceeds limit " + maxBytes);
        }
        return length;
    }

    public byte[] raw(int length) {
        if (buffer.remaining() < length) {
            throw truncated();
        }
        byte[] value = new byte[length];
        buffer.get(value);
        return value;
    }

    /**
     * A length-prefixed UTF-8 string; invalid UTF-8 (overlong forms, surrogates, truncated sequences) is refused.
     * Names and namespaces are ASCII, which is decoded without a decoder, its buffers or a copy of the bytes.
     */
    public String string(int maxBytes) {
        int length = length(maxBytes);
        if (buffer.remaining() < length) {
            throw truncated();
        }
        int start = buffer.position();
        if (buffer.hasArray() && isAscii(buffer.array(), buffer.arrayOffset() + start, length)) {
            buffer.position(start + length);
            return new String(buffer.array(), buffer.arrayOffset() + start, length, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw(length)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedException("invalid UTF-8");
        }
    }

    private static boolean isAscii(byte[] bytes, int from, int length) {
        for (int i = from; i < from + length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** A count of items that follow, each at least {@code minItemBytes} long; bounded by what is left. */
    public int count(int maxItems, int minItemBytes) {
        int count = i32();
        if (count < 0 || count > maxItems || (long) count * minItemBytes > buffer.remaining()) {
            throw new MalformedException("item count " + Integer.toUnsignedString(count) + " is not plausible");
        }
        return count;
    }

    /** Throws unless every byte was consumed: trailing bytes mean a different format. */
    public void end() {
        if (buffer.hasRemaining()) {
            throw new MalformedException(buffer.remaining() + " unexpected trailing bytes");
        }
    }

    private static MalformedException truncated() {
        return new MalformedException("truncated");
    }
}
