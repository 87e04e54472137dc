package dev.shardvault.vault.peer;

import dev.shardvault.vault.protocol.PeerUnavailableException;

/**
 * Consulted before every peer request leaves a node, with the exact bytes that will be sent. Production
 * uses {@link #DIRECT}; tests inject delays, drops and partitions here and scan the bytes.
 */
public interface PeerLink {

    PeerLink DIRECT = (from, to, route, body) -> { };

    /** Throw to drop the request (the caller sees the peer as unavailable); sleep to delay it. */
    void beforeSend(int from, int to, String route, byte[] body) throws PeerUnavailableException;
}
