package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.config.RebuildSettings;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.Messages.RecoverSplit;
import dev.shardvault.vault.protocol.Messages.VersionRef;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShareState;
import dev.shardvault.vault.store.VersionMeta;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node whose disk was replaced starts empty and gets every share back by itself, from k helpers that each send
 * it sums of random pieces: byte for byte the shares it had, no node combining shares on the way, and nothing
 * deleted coming back.
 */
class RebuildTest extends ClusterTestBase {

    private static final int SECRETS = 8;

    /** SECRETS secrets with three versions each (one deleted); returns the values by name and version. */
    private Map<String, List<String>> populate() {
        Map<String, List<String>> values = new HashMap<>();
        for (int i = 0; i < SECRETS; i++) {
            String name = "REBUILD_" + i;
            List<String> versions = List.of("v1-" + i, "v2-" + i + "-" + "x".repeat(i * 7), "v3-" + i);
            assertEquals(201, cluster.client(1 + i % 5).create(name, versions.get(0)).status());
            assertEquals(200, cluster.client(1 + (i + 1) % 5).update(name, versions.get(1)).status());
            assertEquals(200, cluster.client(1 + (i + 2) % 5).update(name, versions.get(2)).status());
            values.put(name, versions);
        }
        Answer deleted = cluster.client(2).send("POST", "/internal/v1/deletions/default/REBUILD_0",
                                                "{\"requestTime\":\"" + Client.now() + "\"}");
        assertEquals(200, deleted.status(), deleted.toString());
        values.remove("REBUILD_0");
        for (int i = 1; i < SECRETS; i++) {
            awaitLatest(new SecretId("default", "REBUILD_" + i), 3);
        }
        eventually("every node holds the tombstone", () -> java.util.stream.IntStream.rangeClosed(1, 5).allMatch(
                node -> cluster.node(node).store().view(new SecretId("default", "REBUILD_0")) instanceof SecretView.Deleted));
        return values;
    }

    /** Every share node {@code id} holds of the populated secrets, by "name/version". */
    private Map<String, byte[]> sharesOf(int id, Map<String, List<String>> values) {
        Map<String, byte[]> shares = new HashMap<>();
        for (String name : values.keySet()) {
            SecretId secret = new SecretId("default", name);
            for (VersionMeta meta : cluster.node(id).store().history(secret)) {
                ShareState state = cluster.node(id).store().read(secret, new Selector.ByVersion(meta.version()));
                shares.put(name + "/" + meta.version() + "@" + meta.validFromMillis(), state.share());
            }
        }
        return shares;
    }

    private long sum(java.util.function.ToLongFunction<VaultNode> counter) {
        long total = 0;
        for (int id = 1; id <= 5; id++) {
            if (cluster.running(id)) {
                total += counter.applyAsLong(cluster.node(id));
            }
        }
        return total;
    }

    private void awaitInSync(int id) {
        eventually("node " + id + " reports its rebuild in sync", () -> cluster.node(id).rebuildStatus().state().equals("in-sync")
                                                                         && cluster.node(id).rebuildStatus().missing() == 0);
    }

    private void assertEveryVersionReads(Map<String, List<String>> values, int via) {
        for (Map.Entry<String, List<String>> secret : values.entrySet()) {
            for (int v = 1; v <= 3; v++) {
                Answer read = cluster.client(via).read(secret.getKey(), "version=" + v);
                assertEquals(200, read.status(), secret.getKey() + " v" + v + ": " + read);
                assertEquals(secret.getValue().get(v - 1), read.value());
            }
        }
        assertEquals(404, cluster.client(via).read("REBUILD_0").status(), "the deleted secret came back");
    }

    @Test
    void aWipedNodeGetsEveryShareBackByteForByteWithoutAnyNodeCombiningShares() {
        Map<String, List<String>> values = populate();
        Map<String, byte[]> before = sharesOf(3, values);
        assertEquals(3 * (SECRETS - 1), before.size());

        cluster.stop(3);
        cluster.wipe(3);
        long reconstructions = sum(VaultNode::reconstructions);
        long sharesReceived = sum(VaultNode::sharesReceived);
        cluster.restart(3);
        awaitInSync(3);

        assertEquals(reconstructions, sum(VaultNode::reconstructions), "a node combined shares during the rebuild");
        assertEquals(sharesReceived, sum(VaultNode::sharesReceived), "a node received a share during the rebuild");
        Map<String, byte[]> after = sharesOf(3, values);
        assertEquals(before.keySet(), after.keySet(), "versions and validity intervals");
        before.forEach((version, share) -> assertArrayEquals(share, after.get(version), version));
        assertInstanceOf(SecretView.Deleted.class, cluster.node(3).store().view(new SecretId("default", "REBUILD_0")),
                         "the tombstone was learned");
        assertEquals(3L * (SECRETS - 1), cluster.node(3).rebuildStatus().rebuilt());

        // The disk-loss scenario: with two more nodes gone, the rebuilt node's shares are what make k.
        cluster.stop(1);
        cluster.stop(2);
        assertEveryVersionReads(values, 4);
    }

    @Test
    void twoNodesRebuildingAtOnceAndAHelperStoppedMidRebuildBothConverge() {
        Map<String, List<String>> values = populate();
        Map<String, byte[]> twoBefore = sharesOf(2, values);
        Map<String, byte[]> threeBefore = sharesOf(3, values);
        cluster.rebuildSettings(new RebuildSettings(50, 4, 300_000, 200));
        cluster.stop(2);
        cluster.stop(3);
        cluster.wipe(2);
        cluster.wipe(3);
        cluster.restart(2);
        cluster.restart(3);
        awaitInSync(2);
        awaitInSync(3);
        Map<String, byte[]> twoAfter = sharesOf(2, values);
        twoBefore.forEach((version, share) -> assertArrayEquals(share, twoAfter.get(version), "node 2 " + version));
        Map<String, byte[]> threeAfter = sharesOf(3, values);
        threeBefore.forEach((version, share) -> assertArrayEquals(share, threeAfter.get(version), "node 3 " + version));

        // Now one wiped node whose helper (node 5) stops part-way: the other helper sets finish the work.
        Map<String, byte[]> fourBefore = sharesOf(4, values);
        cluster.rebuildSettings(new RebuildSettings(20, 4, 300_000, 200)); // still running when the helper stops
        cluster.stop(4);
        cluster.wipe(4);
        cluster.restart(4);
        assertTrue(!cluster.node(4).ready(), "a node that started empty joined the quorums before it caught up");
        eventually("node 4 recovered some versions", () -> cluster.node(4).rebuildStatus().rebuilt() >= 8);
        assertTrue(cluster.node(4).rebuildStatus().rebuilt() < 3L * (SECRETS - 1), "the rebuild ended before the helper stopped");
        cluster.stop(5);
        eventually("node 4 recovered every version from the helpers left", () -> cluster.node(4).rebuildStatus().rebuilt()
                                                                                 == 3L * (SECRETS - 1));
        cluster.restart(5);
        awaitInSync(4);
        Map<String, byte[]> fourAfter = sharesOf(4, values);
        fourBefore.forEach((version, share) -> assertArrayEquals(share, fourAfter.get(version), "node 4 " + version));
        cluster.stop(1);
        assertEveryVersionReads(values, 3);
    }

    @Test
    void aNodeAskingForAnotherNodesShareIsRefused() throws Exception {
        Map<String, List<String>> values = populate();
        String name = values.keySet().iterator().next();
        SecretId id = new SecretId("default", name);
        long incarnation = cluster.node(1).store().view(id).incarnation();
        List<VersionRef> refs = List.of(new VersionRef(id, incarnation, 1));
        // Node 4's certificate, asking helpers 1, 2, 3 for node 5's share.
        try (HttpPeer asNodeFour = new HttpPeer(4, 1, cluster.node(1).peerUri(), TestTls.client(Identity.node(4)),
                                                Duration.ofSeconds(1), Duration.ofSeconds(5), PeerLink.DIRECT)) {
            PeerUnavailableException refused = assertThrows(PeerUnavailableException.class, () -> asNodeFour.recoverSplit(
                    new RecoverSplit(new byte[16], 5, new int[] {1, 2, 3}, refs)));
            assertTrue(refused.getMessage().contains("403"), refused.getMessage());
            // Its own x, but with itself among the helpers, or too few helpers: refused too.
            assertThrows(PeerUnavailableException.class, () -> asNodeFour.recoverSplit(
                    new RecoverSplit(new byte[16], 4, new int[] {1, 2, 4}, refs)));
            assertThrows(PeerUnavailableException.class, () -> asNodeFour.recoverSplit(
                    new RecoverSplit(new byte[16], 4, new int[] {1, 2}, refs)));
            assertEquals(3, cluster.node(1).recoveryRefused());
            // Its own share, asked properly, is served.
            boolean[] held = asNodeFour.recoverSplit(new RecoverSplit(new byte[16], 4, new int[] {1, 2, 3}, refs));
            assertArrayEquals(new boolean[] {true}, held);
        }
    }
}
