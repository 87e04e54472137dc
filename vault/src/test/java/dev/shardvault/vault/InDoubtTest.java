package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.TxnState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Coordinator failures: participants left holding a prepare end committed or aborted, never stuck once the
 * coordinator or a decided participant is reachable.
 */
class InDoubtTest extends ClusterTestBase {

    private static final SecretId S = new SecretId("default", "S");


    /** A peer client to {@code node} with another node's certificate (the peer socket answers only other nodes). */
    private HttpPeer peerOf(int node) {
        Identity other = Identity.node(node == 1 ? 2 : 1);
        return new HttpPeer(0, node, cluster.node(node).peerUri(), TestTls.client(other), Duration.ofSeconds(1),
                            Duration.ofSeconds(5), PeerLink.DIRECT);
    }

    /**
     * Plays a coordinator that sends prepares over the real peer protocol and then vanishes. A real coordinator
     * sends them all at once; this one sends them one by one, so while it does, no node may ask another about the
     * transaction: a node asked before its own prepare arrives refuses it (as it must), and the next prepare would
     * then find the transaction decided.
     */
    private TxnId prepareEverywhere(int claimedCoordinator, SecretId id) throws Exception {
        TxnId txn = TxnId.newAttempt(RequestId.random());
        FaultyLink.Rule noAsking = send -> send.route().equals("/txn-status");
        cluster.link.add(noAsking);
        try {
            for (int node = 1; node <= 5; node++) {
                try (HttpPeer peer = peerOf(node)) {
                    PrepareResult vote = peer.prepare(new PrepareRequest(txn, claimedCoordinator,
                            List.of(new Op.Put(id, Op.Put.Kind.CREATE, -1, new byte[] {1, 2, 3}))));
                    assertInstanceOf(PrepareResult.Voted.class, vote, "node " + node);
                }
            }
        } finally {
            cluster.link.remove(noAsking);
        }
        return txn;
    }

    @Test
    void coordinatorFailureAfterTheDecisionEndsWithEveryParticipantCommitted() {
        // Node 1 decides and logs the commit, but none of its commit messages get out; nor can a participant's
        // resolver ask it before it stops (once its write phase is over it would answer "committed").
        cluster.link.add(send -> send.from() == 1 && send.route().equals("/decide"));
        cluster.link.add(send -> send.to() == 1 && send.route().equals("/txn-status"));
        Answer create = cluster.client(1).create("S", "decided");
        assertEquals(503, create.status(), create.body().toString());
        assertEquals("writing", create.body().getString("phase"));
        assertEquals("urn:shardvault:commit-unconfirmed", create.type());
        cluster.stop(1);
        cluster.link.healAll();
        for (int node = 2; node <= 5; node++) {
            assertEquals(1, cluster.node(node).store().inDoubt().size(), "node " + node + " holds the prepare");
        }
        // Nobody else saw a commit and nobody refused: the participants must wait for the coordinator.
        cluster.restart(1);
        for (int node = 2; node <= 5; node++) {
            int id = node;
            eventually("node " + id + " learns the commit", () -> cluster.node(id).store().inDoubt().isEmpty());
            assertEquals(1, cluster.node(id).store().read(S, Selector.LATEST).version());
        }
        assertEquals("decided", cluster.client(4).read("S").value());
    }

    @Test
    void aParticipantThatSawTheCommitEndsTheOthersWhileTheCoordinatorIsDown() {
        // Only node 2 receives node 1's commit.
        cluster.link.add(send -> send.from() == 1 && send.route().equals("/decide") && send.to() != 2);
        Answer create = cluster.client(1).create("S", "decided");
        assertEquals("writing", create.body().getString("phase"));
        cluster.stop(1);
        cluster.link.healAll();
        for (int node = 3; node <= 5; node++) {
            int id = node;
            eventually("node " + id + " learns the commit from node 2", () -> cluster.node(id).store().inDoubt().isEmpty());
        }
        assertEquals("decided", cluster.client(3).read("S").value());
    }

    @Test
    void coordinatorThatNeverDecidedIsPresumedAborted() throws Exception {
        // Node 1 is alive but never started this transaction: asked, it refuses it, and everyone aborts.
        TxnId txn = prepareEverywhere(1, S);
        for (int node = 2; node <= 5; node++) {
            int id = node;
            eventually("node " + id + " aborts", () -> cluster.node(id).store().inDoubt().isEmpty());
            assertInstanceOf(TxnState.IsAborted.class, cluster.node(id).store().status(txn));
        }
        assertEquals(404, cluster.client(2).read("S").status());
        assertEquals(201, cluster.client(3).create("S", "fresh").status(), "the name is free again");
    }

    @Test
    void aCoordinatorThatCrashedBeforeDecidingAbortsOnRestart() throws Exception {
        cluster.link.isolate(1);
        TxnId txn = prepareEverywhere(1, S); // node 1 holds its own prepare too, as a coordinator would
        cluster.stop(1);
        cluster.link.healAll();
        Thread.sleep(300);
        for (int node = 2; node <= 5; node++) {
            assertEquals(1, cluster.node(node).store().inDoubt().size(), "node " + node + " must wait: nobody refused");
        }
        cluster.restart(1);
        assertInstanceOf(TxnState.IsAborted.class, cluster.node(1).store().status(txn), "presumed abort at restart");
        for (int node = 2; node <= 5; node++) {
            int id = node;
            eventually("node " + id + " aborts", () -> cluster.node(id).store().inDoubt().isEmpty());
        }
    }

    @Test
    void inDoubtLocksBlockOnlyTheirOwnNames() throws Exception {
        cluster.link.isolate(1);
        prepareEverywhere(1, S);
        Answer other = cluster.client(2).create("OTHER", "x");
        assertEquals(201, other.status(), other.body().toString());
        Answer blocked = cluster.client(2).create("S", "y");
        assertEquals(409, blocked.status(), blocked.body().toString());
        assertEquals("urn:shardvault:write-conflict", blocked.type());
        assertEquals("voting", blocked.body().getString("phase"));
        cluster.link.healAll();
        for (int node = 2; node <= 5; node++) {
            int id = node;
            eventually("node " + id + " aborts", () -> cluster.node(id).store().inDoubt().isEmpty());
        }
        assertEquals(201, cluster.client(2).create("S", "y").status());
    }

    @Test
    void participantsAbortOnceEnoughNodesRefuseWhileTheCoordinatorIsUnreachable() throws Exception {
        // Prepare only on nodes 2 and 3; the coordinator (node 1) is unreachable. Nodes 4 and 5 never saw it,
        // and node 1 cannot be asked: only 2 refusals are possible, fewer than n-W+1 = 3, so 2 and 3 must wait.
        cluster.link.isolate(1);
        TxnId txn = TxnId.newAttempt(RequestId.random());
        for (int node = 2; node <= 3; node++) {
            try (HttpPeer peer = peerOf(node)) {
                peer.prepare(new PrepareRequest(txn, 1, List.of(new Op.Put(S, Op.Put.Kind.CREATE, -1, new byte[] {9}))));
            }
        }
        eventually("node 4 is asked and refuses", () -> cluster.node(4).store().status(txn) instanceof TxnState.IsAborted);
        eventually("node 5 is asked and refuses", () -> cluster.node(5).store().status(txn) instanceof TxnState.IsAborted);
        Thread.sleep(300); // more rounds of asking: two refusals are still fewer than n - W + 1 = 3
        assertEquals(1, cluster.node(2).store().inDoubt().size());
        // A third refusal (node 1, once reachable) proves that W yes-votes were impossible.
        cluster.link.healAll();
        eventually("node 2 aborts", () -> cluster.node(2).store().inDoubt().isEmpty());
        eventually("node 3 aborts", () -> cluster.node(3).store().inDoubt().isEmpty());
        assertTrue(cluster.node(1).store().status(txn) instanceof TxnState.IsAborted);
    }

    /**
     * A participant applies and acknowledges a learned commit before its record is durable; stopped in that
     * window, it restarts with the transaction in doubt. It may have been counted among the W holders, so while it
     * cannot resolve it must not answer reads with its older view: with the two nodes that never learned the
     * commit, it would make a majority that reads the version before the commit.
     */
    @Test
    void aNodeInDoubtSinceBeforeItsRestartDoesNotAnswerReadsWithItsOlderView() throws Exception {
        assertEquals(201, cluster.client(1).create("S", "old").status());
        // Node 1's commit of the update reaches node 2 only; nodes 4 and 5 can ask nobody, so they stay prepared.
        cluster.link.add(send -> send.from() == 1 && send.route().equals("/decide") && send.to() != 2);
        cluster.link.add(send -> (send.from() == 4 || send.from() == 5) && send.route().equals("/txn-status"));
        Answer update = cluster.client(1).update("S", "new");
        assertEquals("writing", update.body().getString("phase"), update.body().toString());
        // Node 3's disk now holds the prepare and not the commit: what it would hold had it stopped right after
        // acknowledging a commit whose record was not yet durable.
        Path before = dir.resolve("node-3-before-commit");
        copy(cluster.dataDir(3), before);
        eventually("node 3 learns the commit from node 1", () -> cluster.node(3).store().inDoubt().isEmpty());
        assertEquals(2, cluster.node(3).store().read(S, Selector.LATEST).version());
        assertEquals("new", cluster.client(1).read("S").value(), "version 2 is committed on nodes 1, 2 and 3");

        cluster.stop(3);
        delete(cluster.dataDir(3));
        copy(before, cluster.dataDir(3));
        cluster.link.add(send -> send.from() == 3 && send.route().equals("/txn-status")); // it cannot resolve
        cluster.restart(3);
        assertEquals(1, cluster.node(3).store().inDoubt().size(), "node 3 restarted in doubt");
        // Node 4 reads without nodes 1 and 2: nodes 3, 4 and 5 all still show version 1.
        cluster.link.add(send -> send.from() == 4 && (send.to() == 1 || send.to() == 2) && send.route().equals("/read"));
        Answer read = cluster.client(4).read("S");
        assertEquals(503, read.status(), "a read after version 2 was read must not answer version 1: " + read.body());

        cluster.link.healAll();
        eventually("every node learns the commit", () -> java.util.stream.IntStream.rangeClosed(1, 5)
                .allMatch(node -> cluster.node(node).store().inDoubt().isEmpty()));
        assertEquals("new", cluster.client(4).read("S").value());
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (java.nio.file.Files.isDirectory(file)) {
                    java.nio.file.Files.createDirectories(target);
                } else {
                    java.nio.file.Files.copy(file, target);
                }
            }
        }
    }

    private static void delete(Path tree) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(tree)) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(file);
            }
        }
    }
}
