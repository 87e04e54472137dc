package dev.shardvault.vault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** Byte searching for the plaintext-marker tests. */
public final class Bytes {

    private Bytes() {
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The marker as raw UTF-8, lowercase and uppercase hex of those bytes, and base64 of them. */
    static List<byte[]> encodingsOf(String marker) {
        byte[] raw = marker.getBytes(StandardCharsets.UTF_8);
        List<byte[]> forms = new ArrayList<>();
        forms.add(raw);
        forms.add(HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII));
        forms.add(HexFormat.of().withUpperCase().formatHex(raw).getBytes(StandardCharsets.US_ASCII));
        forms.add(Base64.getEncoder().encode(raw));
        return forms;
    }

    /** Every regular file under {@code root} that contains any of {@code needles}. */
    public static List<Path> filesContaining(Path root, List<byte[]> needles) {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] content = Files.readAllBytes(file);
                for (byte[] needle : needles) {
                    if (indexOf(content, needle) >= 0) {
                        found.add(file);
                        break;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }
}
