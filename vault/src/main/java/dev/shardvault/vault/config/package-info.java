/**
 * The node's configuration: the cluster shape shared by every node ({@link dev.shardvault.vault.config.ClusterConfig})
 * and this node's own settings ({@link dev.shardvault.vault.config.NodeConfig}), read from Helidon config and
 * validated once at start. Owns no state and does no I/O beyond reading the config tree.
 */
package dev.shardvault.vault.config;
