package dev.shardvault.vault.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.TestGrants;
import dev.shardvault.vault.VaultNode;
import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.config.NodeAddress;
import dev.shardvault.vault.config.NodeConfig;
import dev.shardvault.vault.config.Timeouts;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.FanOut;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.store.Journal;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShareState;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.WebServer;
import io.helidon.common.tls.TlsClientAuth;
import dev.shardvault.tls.ClusterTls;
import dev.shardvault.vault.protocol.Messages.ListReply;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer API on its own: one real node, real mutual TLS, requests made by hand where it matters. */
class PeerApiTest {

    @TempDir
    Path dir;

    private VaultNode startNode(int peerPort) throws IOException {
        List<NodeAddress> nodes = List.of(new NodeAddress(1, "127.0.0.1", 0, peerPort), new NodeAddress(2, "127.0.0.1", 0, 0),
                                          new NodeAddress(3, "127.0.0.1", 0, 0));
        NodeConfig config = new NodeConfig(1, new ClusterConfig(3, 2, 2, 2, 1, nodes), dir.resolve("node-1"),
                                           LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(4 << 20),
                                           Timeouts.DEFAULT, TestTls.material(Identity.node(1)));
        seedLog(config);
        VaultNode node = VaultNode.start(config, PeerLink.DIRECT, failure -> { });
        TestGrants.register(node.uri(), 1);
        return node;
    }

    /**
     * Gives the node a history (one tombstone in a namespace no test reads): a node that starts with an empty log
     * votes on nothing until it compared itself with its peers, and this one has none running.
     */
    private static void seedLog(NodeConfig config) throws IOException {
        try (dev.shardvault.vault.store.ShardStore store = dev.shardvault.vault.store.ShardStore.open(
                1, config.dataDir(), config.log(), failure -> { })) {
            if (store.replayReport().records() == 0) {
                store.learnTombstone(new SecretId("seed", "SEED"), 1, 0);
            }
        }
    }

    private static HttpPeer client(URI uri, Duration readTimeout) {
        return new HttpPeer(2, 1, uri, TestTls.client(Identity.node(2)), Duration.ofSeconds(1), readTimeout, PeerLink.DIRECT);
    }

    @Test
    void concurrentCallsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
        try (VaultNode node = startNode(0); HttpPeer peer = client(node.peerUri(), Duration.ofSeconds(5))) {
            int count = 200;
            List<SecretId> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                SecretId id = new SecretId("default", "S" + i);
                ids.add(id);
                TxnId txn = TxnId.newAttempt(RequestId.random());
                byte[] share = ("share-" + i).getBytes(StandardCharsets.UTF_8);
                assertInstanceOf(PrepareResult.Voted.class, peer.prepare(new PrepareRequest(txn, 2,
                        List.of(new Op.Put(id, Op.Put.Kind.CREATE, -1, share)))));
                DecideReply done = peer.decide(new Decision.Commit(new Journal.Committed(txn,
                        List.of(new Outcome.Applied(id, 1, 1, 1_000 + i)))));
                assertEquals(new DecideReply.Done(true), done);
            }
            long batchesBefore = peer.batchesSent();
            List<CompletableFuture<ShareState>> reads = new ArrayList<>();
            for (SecretId id : ids) {
                reads.add(peer.readAsync(id, Selector.LATEST, TestGrants.read(2, id.namespace(), id.name())));
            }
            for (int i = 0; i < count; i++) {
                ShareState state = reads.get(i).get();
                assertArrayEquals(("share-" + i).getBytes(StandardCharsets.UTF_8), state.share(), "answer " + i);
                assertEquals(1_000 + i, state.validFromMillis());
            }
            long batches = peer.batchesSent() - batchesBefore;
            assertTrue(batches < count / 4, count + " concurrent reads took " + batches + " exchanges: they were not coalesced");
        }
    }

    @Test
    void anUnknownRouteIs404AndAnUndecodableBodyIs400AndTheConnectionStaysUsable() throws Exception {
        try (VaultNode node = startNode(0)) {
            Http1Client raw = Http1Client.builder().baseUri(node.peerUri()).tls(TestTls.client(Identity.node(2))).build();
            try (HttpClientResponse response = raw.post(PeerApi.PATH + "/nothing").submit(new byte[] {1, 2, 3})) {
                assertEquals(404, response.status().code());
            }
            try (HttpClientResponse response = raw.post(PeerApi.PATH + "/decide").submit(new byte[] {1, 9, 9})) {
                assertEquals(400, response.status().code());
                String reason = response.as(String.class);
                assertTrue(reason.contains("malformed /decide"), reason);
            }
            try (HttpPeer peer = client(node.peerUri(), Duration.ofSeconds(5))) {
                assertEquals(List.of(), peer.list("default", null, 10).entries());
            }
        }
    }

    @Test
    void aBatchAnswersEachCallWithItsOwnOutcomeAndAnUndecodableBatchIs400() throws Exception {
        try (VaultNode node = startNode(0)) {
            Http1Client raw = Http1Client.builder().baseUri(node.peerUri()).tls(TestTls.client(Identity.node(2))).build();
            SecretId absent = new SecretId("default", "ABSENT");
            byte[] batch = WireCodec.batch(List.of(
                    new WireCodec.Batched(PeerRoutes.code("/read"), WireCodec.readRequest(absent, Selector.LATEST,
                                                                                           TestGrants.read(2, "default", "ABSENT"))),
                    new WireCodec.Batched(PeerRoutes.code("/decide"), new byte[] {1, 9, 9}),
                    new WireCodec.Batched(77, new byte[] {1}),
                    new WireCodec.Batched(PeerRoutes.code("/list"), WireCodec.listRequest("default", null, 10))));
            try (HttpClientResponse response = raw.post(PeerApi.PATH + PeerRoutes.BATCH).submit(batch)) {
                assertEquals(200, response.status().code());
                List<WireCodec.Batched> answers = WireCodec.batch(response.as(byte[].class));
                assertEquals(4, answers.size());
                assertEquals(PeerRoutes.OK, answers.get(0).code());
                ShareState state = WireCodec.shareState(answers.get(0).body());
                assertEquals(0, state.version());
                assertNull(state.share());
                assertEquals(PeerRoutes.MALFORMED, answers.get(1).code());
                assertTrue(new String(answers.get(1).body(), StandardCharsets.UTF_8).contains("malformed /decide"));
                assertEquals(PeerRoutes.MALFORMED, answers.get(2).code());
                assertEquals(PeerRoutes.OK, answers.get(3).code());
                assertEquals(List.of(), WireCodec.listReply(answers.get(3).body()).entries());
            }
            for (byte[] garbage : List.of(new byte[] {1, 0, 0, 0, 0}, new byte[] {1, 1, 0, 0, 0, 3, 9, 0, 0, 0}, new byte[] {2})) {
                try (HttpClientResponse response = raw.post(PeerApi.PATH + PeerRoutes.BATCH).submit(garbage)) {
                    assertEquals(400, response.status().code());
                    assertTrue(response.as(String.class).contains("malformed /batch"));
                }
            }
            assertEquals(0, node.store().inDoubt().size());
        }
    }

    /** Every cluster certificate names 127.0.0.1: a client meant for node 3 must still refuse node 1's. */
    @Test
    void aClientForOneNodeRefusesAnotherNodesCertificateAndSendsNothing() throws Exception {
        try (VaultNode node = startNode(0);
             HttpPeer notNode1 = new HttpPeer(2, 3, node.peerUri(), TestTls.client(Identity.node(2)), Duration.ofSeconds(1),
                                              Duration.ofSeconds(5), PeerLink.DIRECT);
             HttpPeer node1 = client(node.peerUri(), Duration.ofSeconds(5))) {
            SecretId id = new SecretId("default", "S");
            TxnId txn = TxnId.newAttempt(RequestId.random());
            PrepareRequest prepare = new PrepareRequest(txn, 2, List.of(new Op.Put(id, Op.Put.Kind.CREATE, -1, new byte[] {7})));
            PeerUnavailableException refused = assertThrows(PeerUnavailableException.class, () -> notNode1.prepare(prepare));
            assertTrue(refused.getMessage().contains("node 3"), refused.getMessage());
            assertThrows(PeerUnavailableException.class, () -> notNode1.list("default", null, 10));
            assertEquals(0, node.store().inDoubt().size(), "the prepare reached the wrong node");
            assertEquals(List.of(), node1.list("default", null, 10).entries());
        }
    }

    @Test
    void aBodyOverTheLimitIs413BeforeItIsRead() throws Exception {
        try (VaultNode node = startNode(0)) {
            Http1Client raw = Http1Client.builder().baseUri(node.peerUri()).tls(TestTls.client(Identity.node(2))).build();
            byte[] huge = new byte[(2 << 20) + 1];
            try (HttpClientResponse response = raw.post(PeerApi.PATH + "/prepare").submit(huge)) {
                assertEquals(413, response.status().code());
            } catch (java.io.UncheckedIOException e) {
                // The node answered 413 and closed before the client finished sending: refused all the same.
            }
            assertEquals(0, node.store().inDoubt().size());
            try (HttpPeer peer = client(node.peerUri(), Duration.ofSeconds(5))) {
                assertEquals(List.of(), peer.list("default", null, 10).entries());
            }
        }
    }

    /**
     * Helidon's client watches a pooled connection with a monitor that gives up once the connection has been
     * idle for the read timeout of its last request; a request that takes the connection during the monitor's
     * last 101 ms read, and whose answer comes after that read ended, fails although the peer answered it
     * (helidon issue 10861). A peer that answers after 120 ms and idle ages stepped across the window make that
     * happen several times over: every call must still be answered.
     */
    @Test
    void aCallOnAConnectionIdleForAboutItsReadTimeoutIsAnswered() throws Exception {
        byte[] emptyList = WireCodec.listReply(new ListReply(List.of()));
        WebServer slow = WebServer.builder()
                .host("127.0.0.1").port(0)
                .tls(ClusterTls.server(TestTls.material(Identity.node(1)), TlsClientAuth.REQUIRED))
                .routing(routing -> routing.post(PeerRoutes.BASE + "/list", (req, res) -> {
                    req.content().consume();
                    Thread.sleep(120);
                    res.send(emptyList);
                }))
                .build().start();
        try (HttpPeer peer = client(URI.create("https://127.0.0.1:" + slow.port()), Duration.ofMillis(400))) {
            for (long idleMillis = 240; idleMillis <= 420; idleMillis += 30) {
                assertEquals(List.of(), peer.list("default", null, 10).entries());
                Thread.sleep(idleMillis); // the stimulus: how long the connection lies idle in the pool
                assertEquals(List.of(), peer.list("default", null, 10).entries(), "after " + idleMillis + " ms idle");
            }
        } finally {
            slow.stop();
        }
    }

    @Test
    void aCallAfterThePeerRestartedOnTheSamePortGoesThrough() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        URI uri = URI.create("https://127.0.0.1:" + port);
        try (HttpPeer peer = client(uri, Duration.ofSeconds(5))) {
            try (VaultNode node = startNode(port)) {
                assertEquals(List.of(), peer.list("default", null, 10).entries());
            }
            assertThrows(PeerUnavailableException.class, () -> peer.list("default", null, 10));
            try (VaultNode node = startNode(port)) {
                Thread.sleep(100); // past the pause after a failed connect
                assertEquals(List.of(), peer.list("default", null, 10).entries());
            }
        }
    }

    @Test
    void aPeerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                try (Socket accepted = silent.accept()) {
                    accepted.getInputStream().readAllBytes();
                } catch (IOException ignored) {
                    // the test ended
                }
            });
            try (HttpPeer peer = client(URI.create("https://127.0.0.1:" + silent.getLocalPort()), Duration.ofMillis(300))) {
                long start = System.nanoTime();
                PeerUnavailableException e = assertThrows(PeerUnavailableException.class, () -> peer.list("default", null, 10));
                assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
                assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos());
            }
        }
    }

    /** The read timeout counts from the call, not from when the (slow) network let the request leave. */
    @Test
    void aCallHeldBackByTheNetworkPastItsTimeoutFails() throws Exception {
        PeerLink slow = (from, to, route, body) -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (VaultNode node = startNode(0);
             HttpPeer peer = new HttpPeer(2, 1, node.peerUri(), TestTls.client(Identity.node(2)), Duration.ofSeconds(1),
                                          Duration.ofMillis(200), slow)) {
            long start = System.nanoTime();
            PeerUnavailableException e = assertThrows(PeerUnavailableException.class, () -> peer.list("default", null, 10));
            long tookMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
            assertTrue(tookMillis >= 200 && tookMillis < 1_500, "failed after " + tookMillis + " ms");

            // A coalesced call is failed by the watchdog, with nobody waiting on a timer of its own.
            long asyncStart = System.nanoTime();
            CompletableFuture<ShareState> read = peer.readAsync(new SecretId("default", "X"), Selector.LATEST, new byte[0]);
            ExecutionException failed = assertThrows(ExecutionException.class, read::get);
            long asyncMillis = Duration.ofNanos(System.nanoTime() - asyncStart).toMillis();
            assertInstanceOf(PeerUnavailableException.class, failed.getCause());
            assertTrue(failed.getCause().getMessage().contains("did not answer /read"), failed.getCause().getMessage());
            assertTrue(asyncMillis >= 200 && asyncMillis < 1_500, "failed after " + asyncMillis + " ms");
        }
    }

    /**
     * A fan-out to one node that answers and one that never does: the answer is taken at once, then the wait
     * ends at its deadline (an alarm, not a timed park per reply), and again at a later, re-armed deadline.
     */
    @Test
    void aFanOutTakesWhatArrivesAndEndsAtEachDeadline() throws Exception {
        try (ServerSocket silent = new ServerSocket(0); VaultNode node = startNode(0)) {
            Thread.ofVirtual().start(() -> {
                try (Socket accepted = silent.accept()) {
                    accepted.getInputStream().readAllBytes();
                } catch (IOException ignored) {
                    // the test ended
                }
            });
            try (HttpPeer answering = client(node.peerUri(), Duration.ofSeconds(60));
                 HttpPeer mute = new HttpPeer(2, 3, URI.create("https://127.0.0.1:" + silent.getLocalPort()),
                                              TestTls.client(Identity.node(2)), Duration.ofSeconds(1), Duration.ofSeconds(60),
                                              PeerLink.DIRECT)) {
                SecretId id = new SecretId("default", "ABSENT");
                FanOut<ShareState> fanOut = FanOut.startAsync(List.of(answering, mute), peer -> peer.readAsync(id, Selector.LATEST,
                                                                                                         TestGrants.read(2, "default", "ABSENT")));
                long start = System.nanoTime();
                FanOut.Reply<ShareState> first = fanOut.next(start + Duration.ofSeconds(20).toNanos());
                assertEquals(1, first.node());
                assertTrue(first.ok());

                long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
                assertNull(fanOut.next(deadline), "the mute node never answers");
                long now = System.nanoTime();
                assertTrue(now >= deadline, "returned before the deadline");
                assertTrue(now - deadline < Duration.ofSeconds(5).toNanos(), "the deadline was not kept");

                long later = System.nanoTime() + Duration.ofMillis(100).toNanos();
                assertNull(fanOut.next(later));
                assertTrue(System.nanoTime() >= later);
                assertEquals(1, fanOut.pending());
            }
        }
    }
}
