package dev.shardvault.vault.config;

import java.net.URI;

/**
 * Where node {@code id} listens: {@code port} for the gateway, {@code peerPort} for the other vault nodes.
 */
public record NodeAddress(int id, String host, int port, int peerPort) {

    public URI uri() {
        return URI.create("http://" + host + ":" + port);
    }

    /** The peer socket: framed binary requests over TCP, not HTTP (docs/internal-api.md). */
    public URI peerUri() {
        return URI.create("tcp://" + host + ":" + peerPort);
    }
}
