package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.store.Selector;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose disk was replaced must not count toward quorums before it caught up: it may have voted for
 * versions it no longer holds, and a majority that includes it could then miss every holder of the latest one.
 */
class RebuildQuorumTest {

    @TempDir
    Path dir;

    /** S at v1 everywhere, v2 on nodes 1-3 only (4 and 5 cut off), then node 3 stopped and its disk wiped. */
    private static SecretId v2OnNodesOneToThreeThenNodeThreeWiped(TestCluster cluster) {
        SecretId s = new SecretId("default", "S");
        assertEquals(201, cluster.client(1).create("S", "v1").status());
        awaitVersion(cluster, s, 1, 1, 2, 3, 4, 5);
        cluster.link.isolate(4);
        cluster.link.isolate(5);
        assertEquals(200, cluster.client(1).update("S", "v2").status());
        awaitVersion(cluster, s, 2, 1, 2, 3);
        cluster.link.healAll();
        cluster.stop(3);
        cluster.wipe(3);
        return s;
    }

    private static void awaitVersion(TestCluster cluster, SecretId id, long version, int... nodes) {
        for (int node : nodes) {
            ClusterTestBase.eventually("node " + node + " holds v" + version, () -> cluster.node(node).store()
                    .read(id, Selector.LATEST).version() == version);
        }
    }

    /**
     * n = 5, k = 2 (W = 3): v2 of S is on nodes 1-3 only (4 and 5 were cut off), then node 3's disk is replaced.
     * A read that reaches nodes 3, 4 and 5 only would find v1 on 4 and 5 and nothing on 3, and answer the
     * overwritten v1. Node 3 answers no read and votes on nothing until it compared itself with
     * n - min(W, D) + 1 = 3 peers and recovered what they hold (v2, from nodes 1 and 2).
     */
    @Test
    void aReplacedDiskTakesNoPartInQuorumsUntilItCaughtUp() {
        try (TestCluster cluster = TestCluster.start(dir, 5, 2)) {
            SecretId s = v2OnNodesOneToThreeThenNodeThreeWiped(cluster);
            cluster.link.isolate(1);
            cluster.link.isolate(2);
            cluster.restart(3);
            Answer read = cluster.client(3).read("S");
            assertEquals(503, read.status(), "a read from nodes 3, 4 and 5 answered: " + read.body());
            assertTrue(!cluster.node(3).ready(), "node 3 reached only two peers and cannot know what it held");
            Answer write = cluster.client(3).update("S", "v3");
            assertEquals(503, write.status(), "a write decided from nodes 3, 4 and 5: " + write.body());

            cluster.link.healAll();
            ClusterTestBase.eventually("node 3 joins the quorums", () -> cluster.node(3).ready());
            assertEquals(2, cluster.node(3).store().read(s, Selector.LATEST).version(), "node 3 recovered v2");
            read = cluster.client(3).read("S");
            assertEquals(200, read.status(), read.body().toString());
            assertEquals("v2", read.value());
        }
    }

    /**
     * n = 5, k = 3: v2 of S reached nodes 1-3 only, and node 3's disk is replaced: two shares of v2 are left, too
     * few to recover node 3's. Node 3 keeps v2 as a placeholder (the version without its share) and joins the
     * quorums: reads of S find too few shares of v2 and say so; none answers the overwritten v1, also from a
     * majority of nodes 3, 4 and 5.
     */
    @Test
    void aVersionTooFewNodesHoldIsKeptAsAPlaceholderSoNoReadAnswersAnOlderOne() {
        try (TestCluster cluster = TestCluster.start(dir, 5, 3)) {
            SecretId s = v2OnNodesOneToThreeThenNodeThreeWiped(cluster);
            cluster.restart(3);
            ClusterTestBase.eventually("node 3 joins the quorums", () -> cluster.node(3).ready());
            assertEquals(1, cluster.node(3).rebuildStatus().unrecoverable());
            assertEquals(2, cluster.node(3).store().view(s) instanceof dev.shardvault.vault.model.SecretView.Live live
                            ? live.latestVersion() : -1, "node 3 knows v2");
            assertEquals(null, cluster.node(3).store().read(s, Selector.LATEST).share(), "and holds no share of it");

            cluster.link.isolate(1);
            cluster.link.isolate(2);
            Answer read = cluster.client(3).read("S");
            assertEquals(503, read.status(), "a read from nodes 3, 4 and 5 answered: " + read.body());
            cluster.link.healAll();
            read = cluster.client(4).read("S");
            assertEquals(503, read.status(), "two shares of v2 cannot answer it: " + read.body());
            assertEquals(200, cluster.client(1).read("S", "version=1").status(), "v1 still reads by its number");
        }
    }
}
