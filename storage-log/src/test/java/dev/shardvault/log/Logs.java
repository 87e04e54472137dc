package dev.shardvault.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Small helpers shared by the log tests. */
final class Logs {

    /** Tiny segments so that tests roll often; no pre-allocation unless a test asks. */
    static final LogOptions SMALL = new LogOptions(64 << 10, 16 << 10, 4096, 512, 32 << 10, false, 10);

    private Logs() {
    }

    static List<LogRecord> replay(Path dir, LogOptions options) throws IOException {
        List<LogRecord> records = new ArrayList<>();
        try (RecordLog log = RecordLog.open(dir, options, records::add)) {
            return records;
        }
    }

    static LogRecord record(RecordType type, String text) {
        return new LogRecord(type, text.getBytes(StandardCharsets.UTF_8));
    }

    static LogRecord numbered(long id, int payloadBytes) {
        ByteBuffer payload = ByteBuffer.allocate(Math.max(8, payloadBytes));
        payload.putLong(id);
        while (payload.hasRemaining()) {
            payload.put((byte) (id * 31 + payload.position()));
        }
        RecordType type = RecordType.values()[(int) (id % RecordType.values().length)];
        return new LogRecord(type, payload.array());
    }

    static long idOf(LogRecord record) {
        return record.payloadBuffer().getLong(0);
    }

    static List<Path> segments(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> allFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Index of {@code needle} in {@code haystack}, or -1. */
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

    static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path file : allFiles(from)) {
            Files.copy(file, to.resolve(from.relativize(file)));
        }
    }
}
