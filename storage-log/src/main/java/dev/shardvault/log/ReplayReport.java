package dev.shardvault.log;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@link RecordLog#open} found.
 *
 * @param segments     segment files read
 * @param records      records handed to the replay consumer
 * @param bytes        frame bytes read
 * @param elapsedNanos time from the start of the scan to the end of the last record
 * @param tornTail     where a torn tail was cut, if one was
 */
public record ReplayReport(int segments, long records, long bytes, long elapsedNanos, Optional<TornTail> tornTail) {

    /** A cut made at open: the bytes from {@code offset} on in {@code segment} were moved to {@code brokenCopy}. */
    public record TornTail(Path segment, long offset, long bytesCut, String reason, Path brokenCopy) {
    }
}
