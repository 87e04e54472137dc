/**
 * Bringing a node's shares back to what its peers hold, after a replaced disk or missed writes, without any
 * node rebuilding a value: {@link dev.shardvault.vault.rebuild.Rebuilder} (the rebuilding node's passes over its
 * peers' catalogues) and {@link dev.shardvault.vault.rebuild.RecoveryHelper} (a helper's side of share recovery).
 * docs/model.md, "Rebuilding a lost disk", has the protocol and why it reveals nothing.
 */
package dev.shardvault.vault.rebuild;
