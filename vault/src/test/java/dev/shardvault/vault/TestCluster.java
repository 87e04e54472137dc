package dev.shardvault.vault;

import dev.shardvault.log.LogOptions;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.config.NodeAddress;
import dev.shardvault.vault.config.NodeConfig;
import dev.shardvault.vault.config.Timeouts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * n real vault nodes in this JVM: real Helidon servers on ephemeral ports with mutual TLS (certificates from
 * scripts/dev-tls.sh), real logs in a temp directory, real peer connections between them through a {@link FaultyLink}. A stopped node can be restarted from its log.
 */
final class TestCluster implements AutoCloseable {

    /** Short limits so that failure tests finish quickly. */
    static final Timeouts FAST = new Timeouts(200, 1_000, 1_000, 25, 1_000, 1_500, 1_000, 50, 300, 60_000);
    static final LogOptions SMALL_LOG = LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(2 << 20);

    final FaultyLink link = new FaultyLink();
    final List<IOException> logFailures = new CopyOnWriteArrayList<>();
    private final Path root;
    private final ClusterConfig cluster;
    private final VaultNode[] nodes;
    private final Timeouts timeouts;
    /** Rebuild settings of nodes started from now on. */
    private volatile dev.shardvault.vault.config.RebuildSettings rebuild = dev.shardvault.vault.config.RebuildSettings.DEFAULT;

    private TestCluster(Path root, int n, int k, Timeouts timeouts) {
        this.root = root;
        this.timeouts = timeouts;
        List<NodeAddress> addresses = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            addresses.add(new NodeAddress(id, "127.0.0.1", 0, 0));
        }
        this.cluster = new ClusterConfig(n, k, ClusterConfig.defaultWriteQuorum(n, k), ClusterConfig.defaultDeleteQuorum(n, k),
                                         1, addresses);
        this.nodes = new VaultNode[n + 1];
    }

    static TestCluster start(Path root, int n, int k) {
        return start(root, n, k, FAST);
    }

    static TestCluster start(Path root, int n, int k, Timeouts timeouts) {
        TestCluster cluster = new TestCluster(root, n, k, timeouts);
        for (int id = 1; id <= n; id++) {
            cluster.nodes[id] = cluster.open(id);
        }
        cluster.reconnect();
        // Nodes start empty: each joins the quorums once it compared itself with enough peers (Rebuilder#ready).
        for (int id = 1; id <= n; id++) {
            int node = id;
            ClusterTestBase.eventually("node " + node + " joins the quorums", () -> cluster.nodes[node].ready());
        }
        return cluster;
    }

    ClusterConfig config() {
        return cluster;
    }

    int n() {
        return cluster.n();
    }

    Path dataDir(int id) {
        return root.resolve("node-" + id);
    }

    Path root() {
        return root;
    }

    VaultNode node(int id) {
        VaultNode node = nodes[id];
        if (node == null) {
            throw new IllegalStateException("node " + id + " is stopped");
        }
        return node;
    }

    boolean running(int id) {
        return nodes[id] != null;
    }

    Client client(int id) {
        return new Client(node(id).uri(), id);
    }

    /** Stops a node (its servers and log); its data stays. */
    void stop(int id) {
        VaultNode node = nodes[id];
        nodes[id] = null;
        if (node != null) {
            node.close();
        }
    }

    /** Nodes (re)started after this call use {@code settings}. */
    void rebuildSettings(dev.shardvault.vault.config.RebuildSettings settings) {
        this.rebuild = settings;
    }

    /** Deletes a stopped node's data directory, as a replaced disk: it restarts empty. */
    void wipe(int id) {
        if (nodes[id] != null) {
            throw new IllegalStateException("node " + id + " is running");
        }
        try (var paths = java.nio.file.Files.walk(dataDir(id))) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a stopped node from its log (new ephemeral ports) and tells every node where it is. */
    void restart(int id) {
        if (nodes[id] != null) {
            throw new IllegalStateException("node " + id + " is running");
        }
        nodes[id] = open(id);
        reconnect();
    }

    private VaultNode open(int id) {
        NodeConfig config = new NodeConfig(id, cluster, dataDir(id), SMALL_LOG, timeouts, TestTls.material(Identity.node(id)),
                                           rebuild);
        try {
            VaultNode node = VaultNode.start(config, link, logFailures::add);
            TestGrants.register(node.uri(), id); // as the gateway's probe does for a node that (re)started
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every running node learns every running node's peer address; stopped nodes keep their last address. */
    private final Map<Integer, URI> lastKnown = new HashMap<>();

    private void reconnect() {
        for (int id = 1; id < nodes.length; id++) {
            if (nodes[id] != null) {
                lastKnown.put(id, nodes[id].peerUri());
            }
        }
        for (int id = 1; id < nodes.length; id++) {
            if (nodes[id] != null) {
                nodes[id].connect(lastKnown);
            }
        }
    }

    @Override
    public void close() {
        for (int id = 1; id < nodes.length; id++) {
            stop(id);
        }
    }
}
