package dev.shardvault.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** Looks for a plaintext marker, raw, hex or base64 (aligned: 24 characters), in every file under a directory. */
final class PlaintextScan {

    private PlaintextScan() {
    }

    /** The files under {@code root} holding {@code marker} in any form (configuration YAML is skipped). */
    static List<Path> filesHolding(Path root, String marker) throws IOException {
        byte[] raw = marker.getBytes(StandardCharsets.UTF_8);
        List<byte[]> forms = List.of(raw, HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII),
                                     Base64.getEncoder().encode(raw));
        List<Path> leaks = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (file.getFileName().toString().endsWith(".yaml")) {
                    continue;
                }
                byte[] content = Files.readAllBytes(file);
                for (byte[] form : forms) {
                    if (indexOf(content, form) >= 0) {
                        leaks.add(file);
                        break;
                    }
                }
            }
        }
        return leaks;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
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
}
