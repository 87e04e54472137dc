package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.config.Timeouts;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.store.PrepareResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A refused write (409 exists, 404 missing, 412 version mismatch) is an answer a client builds on, so it is
 * decided like a commit: found by the fault run (seed 2, docs/model.md "What the runs found").
 */
class RefusalTest {

    private static final SecretId S = new SecretId("default", "S");
    /** A write budget long enough for a refused attempt and an update to happen while the first attempt retries. */
    private static final Timeouts LONG_BUDGET = new Timeouts(200, 1_000, 1_000, 25, 1_000, 20_000, 1_000, 50, 300, 60_000);

    @TempDir
    Path dir;

    private static String update(String value, long expectedVersion, String key) {
        return "{\"value\":\"" + value + "\",\"expectedVersion\":" + expectedVersion + ",\"requestTime\":\"" + Client.now()
               + "\",\"idempotencyKey\":\"" + key + "\"}";
    }

    /**
     * The first attempt of a request keeps retrying on node 1 (a lock held by an in-doubt transaction) while the
     * client, its answer lost, resends the request to node 2, which refuses it (412). The client builds on that
     * answer; the first attempt must then never commit, although its precondition holds by the time it gets
     * through. Before refusals were decided, it did.
     */
    @Test
    void anAttemptStillRetryingElsewhereNeverCommitsARequestThatWasRefused() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, 5, 3, LONG_BUDGET)) {
            assertEquals(201, cluster.client(1).create("S", "v1").status());
            // Nodes 3 and 4 hold a prepare whose coordinator (node 5) is asked by nobody: they stay locked.
            cluster.link.add(send -> send.route().equals("/txn-status"));
            TxnId stuck = TxnId.newAttempt(RequestId.random());
            for (int node = 3; node <= 4; node++) {
                try (HttpPeer peer = new HttpPeer(0, node, cluster.node(node).peerUri(), TestTls.client(Identity.node(5)),
                                                  Duration.ofSeconds(1), Duration.ofSeconds(5), PeerLink.DIRECT)) {
                    PrepareResult vote = peer.prepare(new PrepareRequest(stuck, 5,
                            List.of(new Op.Put(S, Op.Put.Kind.UPDATE, -1, new byte[] {1, 2, 3}))));
                    assertEquals(PrepareResult.Voted.class, vote.getClass());
                }
            }
            // Node 1 cannot reach nodes 2 and 5 with its prepares: its attempts meet only locks, and retry.
            cluster.link.add(send -> send.from() == 1 && send.route().equals("/prepare") && (send.to() == 2 || send.to() == 5));
            String key = "resent-request";
            CompletableFuture<Answer> first = CompletableFuture.supplyAsync(
                    () -> cluster.client(1).send("PUT", "/internal/v1/secrets/default/S", update("ghost", 2, key)));

            Answer resent = cluster.client(2).send("PUT", "/internal/v1/secrets/default/S", update("ghost", 2, key));
            assertEquals(412, resent.status(), "S is at version 1, not 2: " + resent.body());
            Answer v2 = cluster.client(2).update("S", "v2");
            assertEquals(200, v2.status(), v2.body().toString());
            assertEquals(2, v2.version());

            cluster.link.healAll(); // the first attempt gets through now; so does the in-doubt prepare's resolution
            Answer late = first.get();
            assertEquals(412, late.status(), "the first attempt answers the refusal decided for its request: " + late.body());
            Answer read = cluster.client(3).read("S");
            assertEquals("v2", read.value(), "a refused request was committed after all: " + read.body());
            assertEquals(2, read.version());
        }
    }

    /**
     * A delete decided on node 1 whose commit messages have not left yet: node 4 refuses an update as missing
     * (node 1's tombstone is among its votes), and a read that then reaches nodes 2-5 only (2 and 3 are still
     * prepared for the delete) must not find the deleted version again. The refusal hands the tombstone to every
     * node that learns it.
     */
    @Test
    void aRefusalFromATombstoneOnOneNodeIsNotUndoneByTheNextRead() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, 5, 3)) {
            assertEquals(201, cluster.client(1).create("S", "v1").status());
            // The create's commits beyond W are still on their way: let them arrive before node 1's decides are cut,
            // or a node stays prepared (locked) for the create and cannot vote on the delete.
            for (int id = 1; id <= 5; id++) {
                int node = id;
                ClusterTestBase.eventually("node " + node + " holds S", () -> cluster.node(node).store()
                        .read(new SecretId("default", "S"), dev.shardvault.vault.store.Selector.LATEST).version() == 1);
            }
            // The delete: nodes 1, 2, 3 vote; node 1 decides, and its commits do not get out; 2 and 3 stay prepared.
            cluster.link.add(send -> send.from() == 1 && send.route().equals("/prepare") && (send.to() == 4 || send.to() == 5));
            cluster.link.add(send -> send.from() == 1 && send.route().equals("/decide"));
            cluster.link.add(send -> (send.from() == 2 || send.from() == 3) && send.route().equals("/txn-status"));
            Answer delete = cluster.client(1).send("POST", "/internal/v1/deletions/default/S",
                                                   "{\"requestTime\":\"" + Client.now() + "\"}");
            assertEquals(503, delete.status(), delete.body().toString());
            assertEquals("writing", delete.body().getString("phase"));

            Answer update = cluster.client(4).update("S", "after");
            assertEquals(404, update.status(), "node 1's tombstone is the freshest view among 1, 4, 5: " + update.body());

            cluster.link.add(send -> send.from() == 4 && send.to() == 1 && send.route().equals("/read"));
            Answer read = cluster.client(4).read("S");
            assertEquals(404, read.status(), "the read undid the delete the update was refused for: " + read.body());
        }
    }
}
