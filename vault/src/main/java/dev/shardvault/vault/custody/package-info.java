/**
 * The custody timeline (docs/model.md, "Custody timeline"): every operation on a secret leaves an {@link
 * dev.shardvault.vault.custody.Event}, made durable in the coordinating node's log before the answer, shipped to
 * every other node in batches ({@link dev.shardvault.vault.custody.Shipper}), and read back merged from a majority
 * as a hash chain a client verifies alone ({@link dev.shardvault.vault.custody.Timeline}).
 */
package dev.shardvault.vault.custody;
