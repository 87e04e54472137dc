package dev.shardvault.vault.config;

import java.net.URI;

/**
 * Where node {@code id} listens: {@code port} for the gateway, {@code peerPort} for the other vault nodes.
 */
public record NodeAddress(int id, String host, int port, int peerPort) {

    /** The gateway-facing socket (HTTPS, mutual TLS: only the gateway's identity is answered). */
    public URI uri() {
        return URI.create("https://" + host + ":" + port);
    }

    /** The peer socket (HTTPS, mutual TLS: only the other nodes' identities are answered; docs/internal-api.md). */
    public URI peerUri() {
        return URI.create("https://" + host + ":" + peerPort);
    }
}
