package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.store.Selector;
import org.junit.jupiter.api.Test;

/** What a 5-node cluster (k = 3, W = 3) does with nodes isolated, stopped and restarted. */
class FaultToleranceTest extends ClusterTestBase {

    private static final SecretId S = new SecretId("default", "S");


    @Test
    void withNMinusKNodesCutOffEveryReadAndWriteStillWorks() {
        cluster.client(1).create("S", "v1");
        cluster.link.isolate(4);
        cluster.link.isolate(5);
        Answer update = cluster.client(1).update("S", "v2");
        assertEquals(200, update.status(), update.body().toString());
        assertEquals(3, update.body().getInt("holders"));
        assertEquals(201, cluster.client(2).create("T", "t").status());
        assertEquals("v2", cluster.client(3).read("S").value());
        assertEquals("t", cluster.client(1).read("T").value());
    }

    @Test
    void withOneNodeMoreCutOffWritesFailInVotingAndChangeNothing() {
        cluster.client(1).create("S", "v1");
        cluster.link.isolate(3);
        cluster.link.isolate(4);
        cluster.link.isolate(5);
        Answer update = cluster.client(1).update("S", "v2");
        assertEquals(503, update.status());
        assertEquals("urn:shardvault:quorum-unavailable", update.type());
        assertEquals("voting", update.body().getString("phase"));
        assertEquals(3, update.body().getInt("required"));
        Answer read = cluster.client(1).read("S");
        assertEquals(503, read.status(), "a read that cannot reach a majority must not guess: " + read.body());
        cluster.link.healAll();
        assertEquals("v1", cluster.client(5).read("S").value());
        assertEquals(1, cluster.client(5).history("S").body().getJsonArray("versions").size());
    }

    @Test
    void aReadNeverFallsBackToAnOlderVersionWhenTheNewestLacksKShares() {
        cluster.client(1).create("S", "v1");
        // v2 reaches only nodes 1, 2, 3; then two of them go away: v2 has one reachable share.
        cluster.link.isolate(4);
        cluster.link.isolate(5);
        assertEquals(200, cluster.client(1).update("S", "v2").status());
        cluster.link.healAll();
        cluster.link.isolate(2);
        cluster.link.isolate(3);
        Answer read = cluster.client(1).read("S");
        assertEquals(503, read.status(), read.body().toString());
        assertEquals("urn:shardvault:insufficient-shards", read.type());
        assertEquals(1, read.body().getInt("available"));
        assertEquals(3, read.body().getInt("threshold"));
    }

    @Test
    void aSlowNetworkDelaysButDoesNotBreakWritesAndReads() {
        cluster.link.delay(40);
        assertEquals(201, cluster.client(1).create("S", "slow").status());
        assertEquals(200, cluster.client(2).update("S", "slower").status());
        assertEquals("slower", cluster.client(3).read("S").value());
    }

    @Test
    void droppedVotesFromTwoNodesStillCommitWithTheOtherThree() {
        cluster.link.add(send -> send.route().equals("/prepare") && (send.to() == 2 || send.to() == 3));
        Answer create = cluster.client(1).create("S", "v");
        assertEquals(201, create.status(), create.body().toString());
        cluster.link.healAll();
        assertEquals(0, cluster.node(2).store().read(S, Selector.LATEST).version(), "node 2 never got its share");
        assertEquals("v", cluster.client(2).read("S").value());
    }

    @Test
    void aStoppedNodeRestartsFromItsLogWithTheSameState() {
        cluster.client(1).create("S", "v1", null, "2026-01-01T00:00:00.000Z");
        cluster.client(2).update("S", "v2", -1, "2026-01-02T00:00:00.000Z");
        awaitLatest(S, 2, 3);
        var before = cluster.node(3).store().read(S, Selector.LATEST);
        var history = cluster.node(3).store().history(S);
        cluster.stop(3);
        cluster.restart(3);
        var after = cluster.node(3).store().read(S, Selector.LATEST);
        assertEquals(before.version(), after.version());
        assertEquals(before.view(), after.view());
        assertTrue(java.util.Arrays.equals(before.share(), after.share()));
        assertEquals(history, cluster.node(3).store().history(S));
        assertEquals("v2", cluster.client(3).read("S").value());
    }

    @Test
    void aWholeClusterRestartKeepsEveryAcknowledgedWrite() {
        for (int i = 0; i < 20; i++) {
            assertEquals(201, cluster.client(1 + i % 5).create("N" + i, "value-" + i).status());
        }
        for (int i = 0; i < 20; i += 2) {
            assertEquals(200, cluster.client(1 + i % 5).update("N" + i, "second-" + i).status());
        }
        for (int id = 1; id <= 5; id++) {
            cluster.stop(id);
        }
        for (int id = 1; id <= 5; id++) {
            cluster.restart(id);
        }
        for (int i = 0; i < 20; i++) {
            Answer read = cluster.client(5 - i % 5).read("N" + i);
            assertEquals(i % 2 == 0 ? "second-" + i : "value-" + i, read.value());
            assertEquals(i % 2 == 0 ? 2 : 1, read.version());
        }
    }

    @Test
    void aNodeThatMissedAWriteIsIgnoredForThatReadButServesLaterOnes() {
        cluster.client(1).create("S", "v1");
        // The create is acknowledged once W nodes hold it; node 5 gets its share as soon as its vote arrives.
        awaitLatest(S, 1, 5);
        cluster.stop(5);
        assertEquals(200, cluster.client(1).update("S", "v2").status());
        cluster.restart(5);
        // Node 5 still says v1; the read takes the newest version across a majority, never node 5's.
        assertEquals(1, cluster.node(5).store().read(S, Selector.LATEST).version());
        for (int i = 0; i < 5; i++) {
            assertEquals("v2", cluster.client(5).read("S").value());
        }
        assertEquals(200, cluster.client(5).update("S", "v3").status());
        assertEquals(3, cluster.node(5).store().read(S, Selector.LATEST).version());
    }
}
