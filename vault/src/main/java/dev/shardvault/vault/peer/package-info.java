/**
 * The peer protocol: framed binary requests over one long-lived TCP connection per peer (docs/internal-api.md).
 * {@link dev.shardvault.vault.peer.SocketPeer} is the client side of one remote node,
 * {@link dev.shardvault.vault.peer.PeerServer} the server side, both carrying
 * {@link dev.shardvault.vault.protocol.WireCodec} bodies in {@link dev.shardvault.vault.peer.FrameChannel} frames.
 * {@link dev.shardvault.vault.peer.PeerLink} is the one seam where tests delay, drop, partition or inspect
 * traffic; production passes it through.
 */
package dev.shardvault.vault.peer;
