package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.Messages;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShareState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attacker holding node 5's certificate and key (and so its place on every peer socket) asks the other nodes
 * for shares of a secret: without an authorization, with one the gateway issued for another node's read of the
 * same secret (as node 5 sees them when it serves that read), with one for another secret, and with a tampered
 * one. Every node refuses and counts it; no share reaches the test. The same captured authorization, presented
 * by the node it was issued to, does get a share: the refusals are the rule, not a broken route.
 */
class NodeCompromiseTest {

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static Api api;

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
        api = new Api(cluster.gateway(), LocalCluster.FULL);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    /** Node 5's view of reads it serves: per secret name, the first authorization and who sent it. */
    private record Captured(int coordinator, byte[] authorization) {
    }

    private static Map<String, Captured> captureReadsServedByNodeFive(String... names) {
        Map<String, Captured> captured = new ConcurrentHashMap<>();
        cluster.tap = (from, to, route, body) -> {
            if (to == 5 && route.equals("/read")) {
                WireCodec.ReadRequest read = WireCodec.readRequest(body);
                captured.putIfAbsent(read.id().name(), new Captured(from, read.authorization()));
            }
        };
        try {
            for (String name : names) {
                // Round robin spreads reads over the nodes: read until one coordinated elsewhere reached node 5.
                for (int i = 0; i < 10 && !captured.containsKey(name); i++) {
                    assertEquals(200, api.read(name).status());
                }
                assertNotNull(captured.get(name), "no read of " + name + " reached node 5");
            }
        } finally {
            cluster.tap = PeerLink.DIRECT;
        }
        return captured;
    }

    private static HttpPeer as(int caller, int target) {
        return new HttpPeer(caller, target, cluster.config().node(target).peerUri(), TestTls.client(Identity.node(caller)),
                            Duration.ofSeconds(1), Duration.ofSeconds(5), PeerLink.DIRECT);
    }

    @Test
    void holdingOneNodesIdentityGetsNoShareOfAnySecret() throws Exception {
        String value = "crown-jewel-value-" + System.nanoTime();
        assertEquals(201, api.create("CROWN_JEWEL", value).status());
        assertEquals(201, api.create("OTHER_SECRET", "other").status());
        Map<String, Captured> captured = captureReadsServedByNodeFive("CROWN_JEWEL", "OTHER_SECRET");
        Captured jewel = captured.get("CROWN_JEWEL");
        assertTrue(jewel.coordinator() != 5);
        SecretId id = new SecretId("default", "CROWN_JEWEL");
        byte[] tampered = jewel.authorization().clone();
        tampered[10] = 5; // the coordinator byte (after version, key id and kind): "issued to node 5"

        long refusedBefore = refusedEverywhere();
        Map<byte[], String> attempts = Map.of(new byte[0], "no authorization",
                                              jewel.authorization(), "issued to node " + jewel.coordinator(),
                                              captured.get("OTHER_SECRET").authorization(), "issued to node",
                                              tampered, "does not verify");
        int tried = 0;
        for (int target = 1; target <= 4; target++) {
            try (HttpPeer attacker = as(5, target)) {
                for (Map.Entry<byte[], String> attempt : attempts.entrySet()) {
                    PeerUnavailableException refused = assertThrows(PeerUnavailableException.class,
                            () -> attacker.read(id, Selector.LATEST, attempt.getKey()));
                    assertTrue(refused.getMessage().contains("refused") && refused.getMessage().contains(attempt.getValue()),
                               refused.getMessage());
                    assertFalse(refused.getMessage().contains(value));
                    tried++;
                }
                // A forged repair (it would plant a share) is refused the same way.
                PeerUnavailableException repair = assertThrows(PeerUnavailableException.class, () -> attacker.repair(
                        new Messages.RepairRequest(id, 1, 2, System.currentTimeMillis(), new byte[] {1, 2, 3}, jewel.authorization())));
                assertTrue(repair.getMessage().contains("refused"), repair.getMessage());
                tried++;
            }
        }
        assertEquals(refusedBefore + tried, refusedEverywhere(), "every refusal is counted");
        assertEquals(value, api.read("CROWN_JEWEL").json().getString("value"), "the forged repairs planted nothing");

        // The control: the node the gateway sent that read to gets the share under the same authorization...
        int other = jewel.coordinator() == 1 ? 2 : 1;
        try (HttpPeer coordinator = as(jewel.coordinator(), other)) {
            ShareState state = coordinator.read(id, Selector.LATEST, jewel.authorization());
            assertNotNull(state.share());
            assertFalse(new String(state.share(), StandardCharsets.ISO_8859_1).contains(value), "a share is not the value");
        }
        // ... and no node gets one under an authorization for another secret, not even the node it was issued to.
        Captured otherSecret = captured.get("OTHER_SECRET");
        int target = otherSecret.coordinator() == 1 ? 2 : 1;
        try (HttpPeer coordinator = as(otherSecret.coordinator(), target)) {
            PeerUnavailableException refused = assertThrows(PeerUnavailableException.class,
                    () -> coordinator.read(id, Selector.LATEST, otherSecret.authorization()));
            assertTrue(refused.getMessage().contains("does not name"), refused.getMessage());
        }
    }

    private static long refusedEverywhere() {
        long refused = 0;
        for (int node = 1; node <= 5; node++) {
            refused += cluster.node(node).sharesRefused();
        }
        return refused;
    }
}
