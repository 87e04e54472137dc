package dev.shardvault.vault;

import dev.shardvault.vault.config.ConfigFiles;
import dev.shardvault.vault.config.InvalidConfigException;
import dev.shardvault.vault.config.NodeConfig;
import io.helidon.logging.common.LogConfig;

/** Starts one vault node from {@code conf/vault.yaml} and {@code conf/cluster.yaml}. */
public final class VaultMain {

    private VaultMain() {
    }

    public static void main(String[] args) throws Exception {
        LogConfig.configureRuntime();
        NodeConfig config;
        try {
            config = NodeConfig.from(ConfigFiles.load("vault.yaml", "cluster.yaml"));
        } catch (InvalidConfigException e) {
            System.err.println("vault: refusing to start: " + e.getMessage());
            System.exit(2);
            return;
        }
        // Fault injection for crash tests only: stop dead between a delete's tombstone and its erasure.
        boolean haltAfterTombstone = Boolean.getBoolean("shardvault.fault.halt-after-tombstone");
        VaultNode node = VaultNode.start(config, id -> {
            if (haltAfterTombstone) {
                Runtime.getRuntime().halt(137);
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "vault-shutdown"));
        System.out.println("vault node " + config.nodeId() + " up: gateway-facing " + node.uri() + ", peers " + node.peerUri());
    }
}
