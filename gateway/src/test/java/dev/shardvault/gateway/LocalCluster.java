package dev.shardvault.gateway;

import dev.shardvault.gateway.auth.Action;
import dev.shardvault.gateway.auth.Principal;
import dev.shardvault.gateway.auth.Tokens;
import dev.shardvault.log.LogOptions;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.VaultNode;
import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.config.NodeAddress;
import dev.shardvault.vault.config.NodeConfig;
import dev.shardvault.vault.config.Timeouts;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Five real vault nodes on fixed loopback ports (so that a stopped node restarts where the gateway expects
 * it) and a real gateway in front, all in this JVM, every hop mutual TLS with the certificates of {@link TestTls}. The peer link can drop commit messages on demand.
 */
public final class LocalCluster implements AutoCloseable {

    private final Ports ports = new Ports();

    /** Short, so the slow-body tests finish quickly; production default is 10 s. */
    static final long BODY_TIMEOUT_MILLIS = 2_000;
    public static final String FULL = "full-token";
    public static final String READ_ONLY = "read-only-token";
    static final String OTHER_NAMESPACE = "other-namespace-token";
    static final String NO_ENV = "no-env-token";

    /** Locks left by a vanished coordinator outlive a whole write budget here, to make write conflicts visible. */
    static final Timeouts TIMEOUTS = new Timeouts(300, 2_000, 1_500, 25, 1_500, 1_500, 1_500, 100, 60_000, 60_000);

    private final Path root;
    private final ClusterConfig cluster;
    private final VaultNode[] nodes = new VaultNode[6];
    private final Gateway gateway;
    volatile boolean dropCommits;
    /** Sees every peer call as it leaves (from, to, route, body), as a node on the receiving end would. */
    volatile PeerLink tap = PeerLink.DIRECT;

    public LocalCluster(Path root) {
        this.root = root;
        List<NodeAddress> addresses = new ArrayList<>();
        for (int id = 1; id <= 5; id++) {
            addresses.add(new NodeAddress(id, "127.0.0.1", ports.next(), ports.next()));
        }
        this.cluster = new ClusterConfig(5, 3, 3, 3, 1, addresses);
        for (int id = 1; id <= 5; id++) {
            start(id);
        }
        awaitReady();
        this.gateway = startGateway();
    }

    /**
     * Another gateway in front of the same nodes, with the same configured tokens and a knowledge of minted ones
     * of its own (it learns them from the cluster). The caller closes it.
     */
    Gateway startGateway() {
        List<GatewayConfig.VaultNodeAddress> vaultNodes = new ArrayList<>();
        for (NodeAddress address : cluster.nodes()) {
            vaultNodes.add(new GatewayConfig.VaultNodeAddress(address.id(), address.uri()));
        }
        Set<Action> all = EnumSet.allOf(Action.class);
        Tokens tokens = Tokens.of(List.of(new Principal("default", all), new Principal("default", Set.of(Action.READ, Action.LIST)),
                                          new Principal("other", all),
                                          new Principal("default", EnumSet.of(Action.READ, Action.WRITE, Action.LIST))),
                                  List.of(FULL, READ_ONLY, OTHER_NAMESPACE, NO_ENV));
        return Gateway.start(new GatewayConfig("127.0.0.1", 0, "127.0.0.1", 0, 5, 3, 3, 3, 1, vaultNodes, tokens, 300,
                                               15_000, 200, BODY_TIMEOUT_MILLIS, TestTls.material(Identity.gateway())));
    }

    /** The plain HTTP (loopback) address. */
    URI gateway() {
        return gateway.uri();
    }

    public URI gatewayHttps() {
        return gateway.httpsUri();
    }

    ClusterConfig config() {
        return cluster;
    }

    VaultNode node(int id) {
        return nodes[id];
    }

    /** Node {@code id}'s data directory. */
    Path dataDir(int id) {
        return root.resolve("node-" + id);
    }

    public void start(int id) {
        NodeConfig config = new NodeConfig(id, cluster, dataDir(id),
                                           LogOptions.defaults().withMaxRecordBytes(2 << 20).withSegmentBytes(4 << 20), TIMEOUTS,
                                           TestTls.material(Identity.node(id)));
        try {
            nodes[id] = VaultNode.start(config, this::link, failure -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<Integer, URI> peers = new HashMap<>();
        cluster.nodes().forEach(address -> peers.put(address.id(), address.peerUri()));
        nodes[id].connect(peers);
    }

    /** Waits until every running node takes part in quorums (a node started empty compares itself with its peers first). */
    void awaitReady() {
        for (int id = 1; id <= 5; id++) {
            VaultNode node = nodes[id];
            if (node != null) {
                ApiUnderFailureTest.eventually("node " + id + " joins the quorums", node::ready);
            }
        }
    }

    public void stop(int id) {
        if (nodes[id] != null) {
            nodes[id].close();
            nodes[id] = null;
        }
    }

    private void link(int from, int to, String route, byte[] body) throws PeerUnavailableException {
        tap.beforeSend(from, to, route, body);
        if (dropCommits && route.equals("/decide")) {
            throw new PeerUnavailableException("test: commit dropped", null);
        }
    }

    @Override
    public void close() {
        gateway.close();
        for (int id = 1; id <= 5; id++) {
            stop(id);
        }
    }
}
