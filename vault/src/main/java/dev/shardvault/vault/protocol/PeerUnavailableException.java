package dev.shardvault.vault.protocol;

import java.io.IOException;

/** The peer did not answer: refused, timed out, or broke the connection. Whether it acted is unknown. */
public final class PeerUnavailableException extends IOException {

    public PeerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
