package dev.shardvault.vault.config;

import io.helidon.config.Config;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The shape of the cluster, identical on every node.
 *
 * @param n                   vault nodes, and shares per secret version; node i holds x = i
 * @param k                   Shamir threshold
 * @param writeQuorum         W: yes-votes needed to commit a create or update
 * @param deleteQuorum        D: nodes that must erase before a delete succeeds
 * @param repairTriggerBuffer a latest read that found k .. k+this shares repairs the missing ones
 * @param nodes               every node's addresses, by id 1..n
 */
public record ClusterConfig(int n, int k, int writeQuorum, int deleteQuorum, int repairTriggerBuffer,
                            List<NodeAddress> nodes) {

    /** GF(256) has 255 non-zero points, one per node. */
    public static final int MAX_NODES = 255;

    public ClusterConfig {
        nodes = List.copyOf(nodes);
        check(n >= 2 && n <= MAX_NODES, "n must be between 2 and " + MAX_NODES + " (got " + n + ")");
        check(k >= 2 && k <= n, "k must satisfy 2 <= k <= n (got k=" + k + ", n=" + n + ")");
        check(writeQuorum >= k, "write-quorum must be >= k, or a committed version could have fewer than k shares (W="
                                + writeQuorum + ", k=" + k + ")");
        check(2 * writeQuorum > n, "write-quorum must be > n/2, so that two writes always share a node (W="
                                   + writeQuorum + ", n=" + n + ")");
        check(writeQuorum <= n, "write-quorum must be <= n (W=" + writeQuorum + ", n=" + n + ")");
        check(deleteQuorum >= n - k + 1, "delete-quorum must be >= n-k+1, so that fewer than k shares survive a delete (D="
                                         + deleteQuorum + ", n-k+1=" + (n - k + 1) + ")");
        check(2 * deleteQuorum > n, "delete-quorum must be > n/2 (D=" + deleteQuorum + ", n=" + n + ")");
        check(deleteQuorum <= n, "delete-quorum must be <= n (D=" + deleteQuorum + ", n=" + n + ")");
        check(repairTriggerBuffer >= 0, "repair-trigger-buffer must be >= 0 (got " + repairTriggerBuffer + ")");
        check(nodes.size() == n, "the cluster lists " + nodes.size() + " nodes but n=" + n);
        Set<Integer> ids = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (NodeAddress node : nodes) {
            check(node.id() >= 1 && node.id() <= n, "node ids must be 1..n (got " + node.id() + ")");
            check(ids.add(node.id()), "node id " + node.id() + " appears twice");
            check(node.port() == 0 || endpoints.add(node.host() + ":" + node.port()),
                  "address " + node.host() + ":" + node.port() + " is used twice");
            check(node.peerPort() == 0 || endpoints.add(node.host() + ":" + node.peerPort()),
                  "address " + node.host() + ":" + node.peerPort() + " is used twice");
        }
    }

    /** Default write quorum for n and k: max(k, floor(n/2)+1). */
    public static int defaultWriteQuorum(int n, int k) {
        return Math.max(k, n / 2 + 1);
    }

    /** Default delete quorum for n and k: max(n-k+1, floor(n/2)+1). */
    public static int defaultDeleteQuorum(int n, int k) {
        return Math.max(n - k + 1, n / 2 + 1);
    }

    /**
     * Reads the {@code cluster} node: n, k, quorums (defaults derived from n and k), and either an explicit
     * {@code nodes} list ({@code id, host, port, peer-port}) or addresses derived from {@code host},
     * {@code base-port} and {@code peer-base-port} (node i gets base-port + i).
     */
    public static ClusterConfig from(Config cluster) {
        int n = required(cluster, "n");
        int k = required(cluster, "k");
        int w = cluster.get("write-quorum").asInt().orElse(defaultWriteQuorum(n, k));
        int d = cluster.get("delete-quorum").asInt().orElse(defaultDeleteQuorum(n, k));
        int buffer = cluster.get("repair-trigger-buffer").asInt().orElse(1);
        List<NodeAddress> nodes = new ArrayList<>();
        Config listed = cluster.get("nodes");
        if (listed.exists()) {
            for (Config node : listed.asNodeList().orElse(List.of())) {
                nodes.add(new NodeAddress(required(node, "id"), node.get("host").asString().orElse("127.0.0.1"),
                                          required(node, "port"), required(node, "peer-port")));
            }
        } else {
            String host = cluster.get("host").asString().orElse("127.0.0.1");
            int basePort = cluster.get("base-port").asInt().orElse(9000);
            int peerBasePort = cluster.get("peer-base-port").asInt().orElse(9100);
            for (int id = 1; id <= n; id++) {
                nodes.add(new NodeAddress(id, host, basePort + id, peerBasePort + id));
            }
        }
        return new ClusterConfig(n, k, w, d, buffer, nodes);
    }

    public NodeAddress node(int id) {
        return nodes.stream().filter(node -> node.id() == id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id));
    }

    private static int required(Config config, String key) {
        return config.get(key).asInt().orElseThrow(
                () -> new InvalidConfigException("missing or non-integer config key " + config.get(key).key()));
    }

    private static void check(boolean rule, String message) {
        if (!rule) {
            throw new InvalidConfigException(message);
        }
    }
}
