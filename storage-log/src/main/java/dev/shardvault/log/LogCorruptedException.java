package dev.shardvault.log;

import java.io.IOException;
import java.nio.file.Path;

/** The log on disk is damaged where a torn write cannot explain it; the node must not start on it. */
public final class LogCorruptedException extends IOException {

    private final Path file;
    private final long offset;

    LogCorruptedException(Path file, long offset, String reason) {
        super("corrupt log: " + file + " at offset " + offset + ": " + reason);
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
