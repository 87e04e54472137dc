/**
 * The peer protocol over HTTP on the node's peer socket: {@link dev.shardvault.vault.peer.HttpPeer} is the
 * client side of one remote node, {@link dev.shardvault.vault.peer.PeerService} the server side, both
 * carrying {@link dev.shardvault.vault.protocol.WireCodec} bodies. {@link dev.shardvault.vault.peer.PeerLink}
 * is the one seam where tests delay, drop, partition or inspect traffic; production passes it through.
 */
package dev.shardvault.vault.peer;
