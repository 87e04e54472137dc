/**
 * What vault nodes say to each other: the messages of two-phase commit, in-doubt resolution and reads, the
 * {@link dev.shardvault.vault.protocol.Peer} interface a coordinator talks through (to remote nodes over HTTP
 * and to itself in-process, alike), and their binary encoding. A message carries only the recipient's own
 * shares; plaintext never appears in one.
 */
package dev.shardvault.vault.protocol;
