/**
 * The vault's domain values: secret identity, transaction ids, per-node views of a secret, the operations a
 * transaction carries and the outcomes a commit decides. Immutable records; no I/O, no state.
 */
package dev.shardvault.vault.model;
