package dev.shardvault.log;

import java.io.IOException;

/**
 * The log can no longer make appends durable (a write or fsync failed, or it was closed). Permanent:
 * after a failed fsync the kernel may have dropped dirty pages, so the only safe move is to stop and
 * replay from disk.
 */
public final class LogFailedException extends IOException {

    LogFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
