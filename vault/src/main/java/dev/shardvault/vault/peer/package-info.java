/**
 * The peer API over Helidon (docs/internal-api.md): {@link dev.shardvault.vault.peer.PeerApi} serves
 * {@code POST /peer/v1/<route>} on the node's mutual-TLS peer socket, {@link dev.shardvault.vault.peer.HttpPeer}
 * calls it on another node with Helidon's HTTP/1.1 client, both carrying
 * {@link dev.shardvault.vault.protocol.WireCodec} bodies as {@code application/octet-stream}.
 * {@link dev.shardvault.vault.peer.PeerLink} is the one seam where tests delay, drop, partition or inspect
 * traffic; production passes it through.
 */
package dev.shardvault.vault.peer;
