package dev.shardvault.gateway.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.GatewayConfig;
import dev.shardvault.gateway.auth.Tokens;
import dev.shardvault.tls.ClusterTls;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway's client side of the nodes, against real mTLS Helidon servers. Its health probes, against a real mTLS Helidon server and a node that accepts connections but never
 * completes a handshake: probes reuse one connection across rounds (no TLS handshake per probe), and a silent
 * node is down after the probe timeout, not after the probe connection's much longer read timeout; a node whose
 * address answers with another node's certificate is never up. Its forwards survive Helidon's idle-monitor race.
 */
class VaultNodesTest {

    private static final long PROBE_INTERVAL_MILLIS = 1_000;
    private static final VaultNodes.Grant LIST = VaultNodes.Grant.meta("default", List.of(), VaultNodes.Grant.system("tests"));

    @Test
    void probesKeepTheirConnectionAndASilentNodeIsDownAtTheProbeTimeout() throws Exception {
        Set<Integer> probePorts = ConcurrentHashMap.newKeySet();
        CountDownLatch fiveProbes = new CountDownLatch(5);
        WebServer node = WebServer.builder().host("127.0.0.1").port(0)
                .tls(ClusterTls.server(TestTls.material(Identity.node(1)), TlsClientAuth.REQUIRED))
                .routing(routing -> routing.post("/internal/v1/release-keys", (req, res) -> {
                    req.content().consume();
                    probePorts.add(req.remotePeer().port());
                    fiveProbes.countDown();
                    res.send("{\"status\":\"UP\"}");
                }))
                .build().start();
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                while (!silent.isClosed()) {
                    try {
                        Socket accepted = silent.accept(); // held open, never answered
                        Thread.ofVirtual().start(() -> {
                            try (accepted) {
                                accepted.getInputStream().readAllBytes();
                            } catch (IOException ignored) {
                                // the test ended
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            // Node 3 is configured at node 1's address: node 1's certificate must not pass for node 3's.
            GatewayConfig config = new GatewayConfig("127.0.0.1", 0, "127.0.0.1", 0, 3, 2, 2, 2, 1,
                    List.of(new GatewayConfig.VaultNodeAddress(1, URI.create("https://127.0.0.1:" + node.port())),
                            new GatewayConfig.VaultNodeAddress(2, URI.create("https://127.0.0.1:" + silent.getLocalPort())),
                            new GatewayConfig.VaultNodeAddress(3, URI.create("https://127.0.0.1:" + node.port()))),
                    Tokens.of(List.of(), List.of()), 300, 15_000, PROBE_INTERVAL_MILLIS, 10_000, TestTls.material(Identity.gateway()));
            long started = System.nanoTime();
            try (VaultNodes nodes = new VaultNodes(config, ClusterTls.client(TestTls.material(Identity.gateway())))) {
                long tookMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
                assertTrue(tookMillis < 5_000, "the first probe round took " + tookMillis + " ms: it waited for the silent node");
                assertTrue(nodes.status().get(0).up());
                assertFalse(nodes.status().get(1).up());
                assertFalse(nodes.status().get(2).up(), "node 1 answered in node 3's place");

                assertTrue(fiveProbes.await(30, TimeUnit.SECONDS), "only " + (5 - fiveProbes.getCount()) + " probes arrived");
                assertEquals(1, probePorts.size(), "probes came on " + probePorts.size() + " connections: " + probePorts);
                assertTrue(nodes.status().get(0).up());
                assertFalse(nodes.status().get(1).up(), "the silent node never answered");
                assertFalse(nodes.status().get(2).up(), "node 1 answered in node 3's place");
            }
        } finally {
            node.stop();
        }
    }

    /**
     * A forward that takes a pooled connection in the last 101 ms of its idle monitor, from a node that answers
     * after 120 ms, fails in Helidon 4.5 although the node answered (helidon issue 10861; see
     * {@code IdleMonitorRace}). Idle ages are stepped across that window: every forward is answered by the node,
     * with no failure before it, so the node is never taken for down.
     */
    @Test
    void aForwardOnAConnectionIdleForAboutItsTimeoutIsAnswered() throws Exception {
        WebServer node = WebServer.builder().host("127.0.0.1").port(0)
                .tls(ClusterTls.server(TestTls.material(Identity.node(1)), TlsClientAuth.REQUIRED))
                .routing(routing -> routing
                        .post("/internal/v1/release-keys", (req, res) -> {
                            req.content().consume();
                            res.send("{\"status\":\"UP\"}");
                        })
                        .get("/internal/v1/secrets/default", (req, res) -> {
                            Thread.sleep(120);
                            res.header("Content-Type", "application/json").send("{\"secrets\":[]}");
                        }))
                .build().start();
        GatewayConfig config = new GatewayConfig("127.0.0.1", 0, "127.0.0.1", 0, 2, 2, 2, 2, 0,
                List.of(new GatewayConfig.VaultNodeAddress(1, URI.create("https://127.0.0.1:" + node.port())),
                        // node 2 is never up (node 1's certificate is not its), so every forward starts at node 1
                        new GatewayConfig.VaultNodeAddress(2, URI.create("https://127.0.0.1:" + node.port()))),
                Tokens.of(List.of(), List.of()), 300, 400, PROBE_INTERVAL_MILLIS, 10_000, TestTls.material(Identity.gateway()));
        try (VaultNodes nodes = new VaultNodes(config, ClusterTls.client(TestTls.material(Identity.gateway())))) {
            for (long idleMillis = 240; idleMillis <= 420; idleMillis += 30) {
                assertEquals(200, nodes.send(Method.GET, "/internal/v1/secrets/default", Map.of(), null, LIST).status());
                Thread.sleep(idleMillis); // the stimulus: how long the connection lies idle in the pool
                VaultNodes.Answer answer = nodes.send(Method.GET, "/internal/v1/secrets/default", Map.of(), null, LIST);
                assertEquals(200, answer.status(), "after " + idleMillis + " ms idle");
                assertFalse(answer.afterAmbiguousFailure(), "after " + idleMillis + " ms idle");
            }
        } finally {
            node.stop();
        }
    }

    /**
     * A write the first node may have received (it did not answer in time) is never answered with "nothing
     * changed" — neither when the next node says its own attempt did nothing (503 in the voting phase), nor when
     * no other node answers at all: both are 503 commit-unconfirmed with the key to retry with. A read in the
     * same situation is 503 quorum-unavailable, and a write that reached no node at all keeps that answer too.
     */
    @Test
    void aWriteANodeMayHaveReceivedIsNeverAnsweredNothingChanged() throws Exception {
        CountDownLatch received = new CountDownLatch(1);
        WebServer slow = WebServer.builder().host("127.0.0.1").port(0)
                .tls(ClusterTls.server(TestTls.material(Identity.node(1)), TlsClientAuth.REQUIRED))
                .routing(routing -> routing
                        .post("/internal/v1/release-keys", (req, res) -> {
                            req.content().consume();
                            res.send("{\"status\":\"UP\"}");
                        })
                        .post("/internal/v1/secrets/default", (req, res) -> {
                            req.content().consume();
                            received.countDown();
                            Thread.sleep(3_000); // past the gateway's request timeout: the outcome is unknown
                            res.status(201).send("{}");
                        }))
                .build().start();
        // Node 2 never takes its release key, so it is down and tried after node 1; it refuses the write in voting.
        WebServer voting = WebServer.builder().host("127.0.0.1").port(0)
                .tls(ClusterTls.server(TestTls.material(Identity.node(2)), TlsClientAuth.REQUIRED))
                .routing(routing -> routing
                        .post("/internal/v1/release-keys", (req, res) -> {
                            req.content().consume();
                            res.status(500).send();
                        })
                        .post("/internal/v1/secrets/default", (req, res) -> {
                            req.content().consume();
                            res.status(503).header("Content-Type", "application/problem+json")
                               .send("{\"type\":\"urn:shardvault:quorum-unavailable\",\"phase\":\"voting\",\"votes\":1,\"required\":3}");
                        }))
                .build().start();
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        VaultNodes.Grant write = new VaultNodes.Grant(dev.shardvault.tls.ReleaseGrant.Kind.WRITE, "default", List.of("S"),
                System.currentTimeMillis(), VaultNodes.Grant.system("tests"));
        jakarta.json.JsonObject body = jakarta.json.Json.createObjectBuilder().add("name", "S").add("value", "v").build();
        try {
            for (int secondPort : new int[] {voting.port(), closedPort}) {
                GatewayConfig config = new GatewayConfig("127.0.0.1", 0, "127.0.0.1", 0, 2, 2, 2, 2, 0,
                        List.of(new GatewayConfig.VaultNodeAddress(1, URI.create("https://127.0.0.1:" + slow.port())),
                                new GatewayConfig.VaultNodeAddress(2, URI.create("https://127.0.0.1:" + secondPort))),
                        Tokens.of(List.of(), List.of()), 300, 400, PROBE_INTERVAL_MILLIS, 10_000, TestTls.material(Identity.gateway()));
                try (VaultNodes nodes = new VaultNodes(config, ClusterTls.client(TestTls.material(Identity.gateway())))) {
                    assertTrue(nodes.status().get(0).up());
                    assertFalse(nodes.status().get(1).up());
                    dev.shardvault.gateway.problem.ProblemException unknown = org.junit.jupiter.api.Assertions.assertThrows(
                            dev.shardvault.gateway.problem.ProblemException.class,
                            () -> nodes.sendWrite(Method.POST, "/internal/v1/secrets/default", Map.of(), body, write, "key-1"));
                    assertTrue(received.await(0, TimeUnit.SECONDS), "node 1 received the write");
                    assertEquals(503, unknown.problem().status(), unknown.getMessage());
                    assertEquals("urn:shardvault:commit-unconfirmed", unknown.problem().type(), unknown.getMessage());
                    assertTrue(unknown.problem().toJson().toString().contains("\"idempotencyKey\":\"key-1\""), unknown.getMessage());
                }
            }
            // Nobody can have received it: node 1 refuses connections too. Then "nothing changed" is true.
            slow.stop();
            GatewayConfig config = new GatewayConfig("127.0.0.1", 0, "127.0.0.1", 0, 2, 2, 2, 2, 0,
                    List.of(new GatewayConfig.VaultNodeAddress(1, URI.create("https://127.0.0.1:" + closedPort)),
                            new GatewayConfig.VaultNodeAddress(2, URI.create("https://127.0.0.1:" + closedPort))),
                    Tokens.of(List.of(), List.of()), 300, 400, PROBE_INTERVAL_MILLIS, 10_000, TestTls.material(Identity.gateway()));
            try (VaultNodes nodes = new VaultNodes(config, ClusterTls.client(TestTls.material(Identity.gateway())))) {
                dev.shardvault.gateway.problem.ProblemException none = org.junit.jupiter.api.Assertions.assertThrows(
                        dev.shardvault.gateway.problem.ProblemException.class,
                        () -> nodes.sendWrite(Method.POST, "/internal/v1/secrets/default", Map.of(), body, write, "key-2"));
                assertEquals("urn:shardvault:quorum-unavailable", none.problem().type(), none.getMessage());
            }
        } finally {
            slow.stop();
            voting.stop();
        }
    }
}
