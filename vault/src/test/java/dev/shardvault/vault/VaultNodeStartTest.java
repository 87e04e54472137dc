package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.config.NodeAddress;
import dev.shardvault.vault.config.NodeConfig;
import dev.shardvault.vault.config.Timeouts;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerLink;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultNodeStartTest {

    @TempDir
    Path dir;

    @Test
    void aNodeOpensItsLogAndAnswersOnBothSockets() throws Exception {
        List<NodeAddress> nodes = List.of(new NodeAddress(1, "127.0.0.1", 0, 0), new NodeAddress(2, "127.0.0.1", 0, 0),
                                          new NodeAddress(3, "127.0.0.1", 0, 0));
        NodeConfig config = new NodeConfig(1, new ClusterConfig(3, 2, 2, 2, 1, nodes), dir.resolve("node-1"),
                                           LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(4 << 20),
                                           Timeouts.DEFAULT, TestTls.material(Identity.node(1)));
        try (VaultNode node = VaultNode.start(config)) {
            WebClient gateway = WebClient.builder().baseUri(node.uri()).tls(TestTls.client(Identity.gateway())).build();
            try (HttpClientResponse response = gateway.get("/observe/health").request()) {
                assertEquals(200, response.status().code());
            }
            try (HttpPeer peer = new HttpPeer(2, 1, node.peerUri(), TestTls.client(Identity.node(2)), Duration.ofSeconds(1),
                                              Duration.ofSeconds(5), PeerLink.DIRECT)) {
                assertEquals(List.of(), peer.list("default", null, 10).entries());
            }
            assertTrue(Files.exists(dir.resolve("node-1").resolve("00000000000000000000.log")));
            try (HttpClientResponse response = gateway.get("/observe/metrics")
                    .header(io.helidon.http.HeaderValues.create(io.helidon.http.HeaderNames.ACCEPT, "text/plain")).request()) {
                String text = response.as(String.class);
                assertTrue(text.contains("shardvault_vault_log_fsync_batches_total{node=\"1\""), text);
                assertTrue(text.contains("shardvault_vault_repairs_stored_total"), text);
            }
        }
    }
}
