package dev.shardvault.vault.config;

import dev.shardvault.log.LogOptions;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TlsMaterial;
import io.helidon.config.Config;
import java.nio.file.Path;

/**
 * One vault node's settings.
 *
 * @param nodeId  this node's id (1..n); it holds the share at x = nodeId
 * @param cluster the cluster shape
 * @param dataDir where this node's log lives
 * @param log     log sizes and limits
 * @param timeouts every time limit
 * @param tls      this node's key and certificate and the cluster CA, for both of its sockets and its peer clients
 * @param rebuild  how it catches up with its peers' shares (after a lost disk, or writes it missed)
 */
public record NodeConfig(int nodeId, ClusterConfig cluster, Path dataDir, LogOptions log, Timeouts timeouts, TlsMaterial tls,
                         RebuildSettings rebuild) {

    /** With the default rebuild settings. */
    public NodeConfig(int nodeId, ClusterConfig cluster, Path dataDir, LogOptions log, Timeouts timeouts, TlsMaterial tls) {
        this(nodeId, cluster, dataDir, log, timeouts, tls, RebuildSettings.DEFAULT);
    }

    public NodeConfig {
        if (nodeId < 1 || nodeId > cluster.n()) {
            throw new InvalidConfigException("vault.node-id must be 1..n (got " + nodeId + ", n=" + cluster.n() + ")");
        }
    }

    public NodeAddress address() {
        return cluster.node(nodeId);
    }

    /** Reads {@code vault} and {@code cluster} from the root config. */
    public static NodeConfig from(Config root) {
        Config vault = root.get("vault");
        int nodeId = vault.get("node-id").asInt().orElseThrow(
                () -> new InvalidConfigException("vault.node-id is not set (pass -Dvault.node-id=N)"));
        ClusterConfig cluster = ClusterConfig.from(root.get("cluster"));
        String dataDir = vault.get("data-dir").asString().orElse("var/data/node-{id}").replace("{id}", Integer.toString(nodeId));
        LogOptions defaults = LogOptions.defaults();
        Config log = vault.get("log");
        LogOptions options;
        try {
            options = new LogOptions(log.get("segment-bytes").asLong().orElse(defaults.segmentBytes()),
                                     log.get("max-record-bytes").asInt().orElse(defaults.maxRecordBytes()),
                                     log.get("queue-capacity").asInt().orElse(defaults.queueCapacity()),
                                     log.get("max-batch-records").asInt().orElse(defaults.maxBatchRecords()),
                                     log.get("max-batch-bytes").asInt().orElse(defaults.maxBatchBytes()),
                                     log.get("preallocate").asBoolean().orElse(defaults.preallocate()),
                                     log.get("deferred-force-millis").asLong().orElse(defaults.deferredForceMillis()));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("vault.log: " + e.getMessage());
        }
        return new NodeConfig(nodeId, cluster, Path.of(dataDir), options, Timeouts.from(vault.get("timeouts")),
                              tls(vault.get("tls"), nodeId), RebuildSettings.from(vault.get("rebuild")));
    }

    private static TlsMaterial tls(Config tls, int nodeId) {
        try {
            return TlsMaterial.from(tls, Identity.node(nodeId));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("vault." + e.getMessage());
        }
    }
}
