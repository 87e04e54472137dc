/**
 * Two-phase commit with a write quorum: the {@link dev.shardvault.vault.txn.Coordinator} that splits values
 * and drives a transaction, the {@link dev.shardvault.vault.txn.LocalParticipant} that votes and applies
 * decisions on this node, and the {@link dev.shardvault.vault.txn.Resolver} that ends in-doubt transactions
 * by asking the coordinator, then the other participants. Plaintext exists here only in the coordinator's
 * memory between the request and the split.
 */
package dev.shardvault.vault.txn;
