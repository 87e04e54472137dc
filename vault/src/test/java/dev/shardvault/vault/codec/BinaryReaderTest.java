package dev.shardvault.vault.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class BinaryReaderTest {

    /** The JDK's strict decoder: what every string must decode to, or be refused by. */
    private static Optional<String> strict(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** {@code bytes} length-prefixed, then a trailing marker, inside a larger array read through a slice. */
    private static BinaryReader reader(byte[] bytes, int offset) {
        ByteBuffer whole = ByteBuffer.allocate(offset + 4 + bytes.length + 1).order(ByteOrder.LITTLE_ENDIAN);
        whole.position(offset);
        whole.putInt(bytes.length).put(bytes).put((byte) 7);
        whole.position(offset);
        return new BinaryReader(whole.slice());
    }

    @Property(tries = 2_000)
    void stringsDecodeExactlyAsTheStrictDecoderDoes(@ForAll @Size(max = 40) byte[] bytes,
                                                     @ForAll @IntRange(max = 9) int offset) {
        BinaryReader in = reader(bytes, offset);
        Optional<String> expected = strict(bytes);
        if (expected.isPresent()) {
            assertEquals(expected.get(), in.string(100));
            assertEquals(7, in.u8(), "the string's bytes, and only those, were consumed");
        } else {
            assertThrows(MalformedException.class, () -> in.string(100));
        }
    }

    @Property(tries = 500)
    void asciiAndUnicodeTextRoundTrip(@ForAll @Size(max = 40) String text, @ForAll @IntRange(max = 9) int offset) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (strict(utf8).isEmpty()) {
            return; // lone surrogates do not encode; getBytes replaced them
        }
        BinaryReader in = reader(utf8, offset);
        assertEquals(new String(utf8, StandardCharsets.UTF_8), in.string(1_000));
        assertEquals(7, in.u8());
    }

    @Test
    void invalidOrOversizedStringsAreRefused() {
        assertThrows(MalformedException.class, () -> reader(new byte[] {'A', (byte) 0xC0, (byte) 0x80}, 0).string(10),
                     "an overlong NUL");
        assertThrows(MalformedException.class, () -> reader(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 3).string(10),
                     "a surrogate");
        assertThrows(MalformedException.class, () -> reader("ABCDEF".getBytes(StandardCharsets.US_ASCII), 0).string(5),
                     "longer than the limit");
        ByteBuffer truncated = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putInt(5).put((byte) 'A').put((byte) 'B');
        assertThrows(MalformedException.class, () -> new BinaryReader(truncated.flip()).string(10), "fewer bytes than the length");
    }
}
