/**
 * A node's own shares and what it knows of each secret: the in-memory state rebuilt from the node's log on
 * start and changed only by appending to that log first ({@link dev.shardvault.vault.store.ShardStore}),
 * and the binary format of the log's payloads ({@link dev.shardvault.vault.store.Journal}). Holds only this
 * node's shares; never sees plaintext and never talks to the network.
 */
package dev.shardvault.vault.store;
