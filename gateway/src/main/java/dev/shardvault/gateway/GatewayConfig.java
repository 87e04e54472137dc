package dev.shardvault.gateway;

import dev.shardvault.gateway.auth.Tokens;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TlsMaterial;
import io.helidon.config.Config;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the gateway needs to know: where it listens, the vault nodes (from the shared {@code cluster} node),
 * the cluster shape it reports, its tokens, its TLS material and its time limits.
 *
 * @param host                HTTPS socket address ({@code server.host})
 * @param port                HTTPS port ({@code server.port}; 0: ephemeral), always on
 * @param plainHost           plain HTTP address ({@code gateway.plain-http.host}); must be a loopback address
 * @param plainPort           plain HTTP port ({@code gateway.plain-http.port}; 0: ephemeral, -1: off)
 * @param nodes               vault nodes' gateway-facing URIs, by id 1..n
 * @param connectTimeoutMillis connecting to a vault node
 * @param requestTimeoutMillis waiting for a vault node's answer (longer than the node's write budget)
 * @param probeIntervalMillis  how often node health is probed for routing, /v1/status and health
 * @param bodyTimeoutMillis    a request body must arrive whole this soon after the gateway starts reading it (408)
 * @param tls                 the gateway's key and certificate (its HTTPS socket, and its client certificate
 *                            towards the nodes) and the cluster CA
 */
public record GatewayConfig(String host, int port, String plainHost, int plainPort, int n, int k, int writeQuorum,
                            int deleteQuorum, int repairTriggerBuffer, List<VaultNodeAddress> nodes, Tokens tokens,
                            long connectTimeoutMillis, long requestTimeoutMillis, long probeIntervalMillis,
                            long bodyTimeoutMillis, TlsMaterial tls) {

    /** A vault node as the gateway reaches it. */
    public record VaultNodeAddress(int id, URI uri) {
    }

    public GatewayConfig {
        nodes = List.copyOf(nodes);
        if (bodyTimeoutMillis < 1) {
            throw new IllegalArgumentException("gateway.body-timeout-millis must be at least 1 (is " + bodyTimeoutMillis + ")");
        }
        if (nodes.size() != n || n < 2 || k < 2 || k > n) {
            throw new IllegalArgumentException("cluster: need 2 <= k <= n and n nodes (n=" + n + ", k=" + k + ", nodes=" + nodes.size() + ")");
        }
        if (plainPort >= 0 && !loopback(plainHost)) {
            throw new IllegalArgumentException("gateway.plain-http.host is " + plainHost + ", not a loopback address: plain HTTP "
                    + "carries bearer tokens and secret values in clear. Serve other hosts over HTTPS (server.host, "
                    + "server.port) or turn plain HTTP off with gateway.plain-http.port: -1");
        }
    }

    /** True when every address {@code host} resolves to is a loopback address (127.0.0.0/8, ::1). */
    static boolean loopback(String host) {
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress address : all) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public static GatewayConfig from(Config root) {
        Config cluster = root.get("cluster");
        int n = cluster.get("n").asInt().get();
        int k = cluster.get("k").asInt().get();
        int w = cluster.get("write-quorum").asInt().orElse(Math.max(k, n / 2 + 1));
        int d = cluster.get("delete-quorum").asInt().orElse(Math.max(n - k + 1, n / 2 + 1));
        int buffer = cluster.get("repair-trigger-buffer").asInt().orElse(1);
        List<VaultNodeAddress> nodes = new ArrayList<>();
        if (cluster.get("nodes").exists()) {
            for (Config node : cluster.get("nodes").asNodeList().orElse(List.of())) {
                nodes.add(new VaultNodeAddress(node.get("id").asInt().get(), URI.create(
                        "https://" + node.get("host").asString().orElse("127.0.0.1") + ":" + node.get("port").asInt().get())));
            }
        } else {
            String host = cluster.get("host").asString().orElse("127.0.0.1");
            int basePort = cluster.get("base-port").asInt().orElse(9000);
            for (int id = 1; id <= n; id++) {
                nodes.add(new VaultNodeAddress(id, URI.create("https://" + host + ":" + (basePort + id))));
            }
        }
        Config gateway = root.get("gateway");
        return new GatewayConfig(root.get("server.host").asString().orElse("127.0.0.1"),
                                 root.get("server.port").asInt().orElse(8443),
                                 gateway.get("plain-http.host").asString().orElse("127.0.0.1"),
                                 gateway.get("plain-http.port").asInt().orElse(8080),
                                 n, k, w, d, buffer, nodes, Tokens.from(gateway),
                                 gateway.get("connect-timeout-millis").asLong().orElse(500L),
                                 gateway.get("request-timeout-millis").asLong().orElse(15_000L),
                                 gateway.get("probe-interval-millis").asLong().orElse(1_000L),
                                 gateway.get("body-timeout-millis").asLong().orElse(10_000L),
                                 TlsMaterial.from(gateway.get("tls"), Identity.gateway()));
    }
}
