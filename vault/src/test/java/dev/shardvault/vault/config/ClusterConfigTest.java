package dev.shardvault.vault.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

    private static Config cluster(Map<String, String> values) {
        return Config.just(ConfigSources.create(values)).get("cluster");
    }

    private static String refusal(Map<String, String> values) {
        return assertThrows(InvalidConfigException.class, () -> ClusterConfig.from(cluster(values))).getMessage();
    }

    @Test
    void defaultsDeriveQuorumsAndAddressesFromNAndK() {
        ClusterConfig config = ClusterConfig.from(cluster(Map.of("cluster.n", "5", "cluster.k", "3")));
        assertEquals(3, config.writeQuorum());
        assertEquals(3, config.deleteQuorum());
        assertEquals(9003, config.node(3).port());
        assertEquals(9103, config.node(3).peerPort());
        ClusterConfig seven = ClusterConfig.from(cluster(Map.of("cluster.n", "7", "cluster.k", "2")));
        assertEquals(4, seven.writeQuorum());
        assertEquals(6, seven.deleteQuorum());
    }

    @Test
    void writeQuorumBelowKIsRefusedNamingTheRule() {
        assertTrue(refusal(Map.of("cluster.n", "5", "cluster.k", "3", "cluster.write-quorum", "2"))
                           .startsWith("write-quorum must be >= k"));
    }

    @Test
    void writeQuorumOfHalfIsRefused() {
        assertTrue(refusal(Map.of("cluster.n", "4", "cluster.k", "2", "cluster.write-quorum", "2"))
                           .startsWith("write-quorum must be > n/2"));
    }

    @Test
    void deleteQuorumThatLeavesKSharesIsRefused() {
        assertTrue(refusal(Map.of("cluster.n", "5", "cluster.k", "3", "cluster.delete-quorum", "2"))
                           .startsWith("delete-quorum must be >= n-k+1"));
    }

    @Test
    void deleteQuorumOfHalfIsRefused() {
        assertTrue(refusal(Map.of("cluster.n", "6", "cluster.k", "5", "cluster.delete-quorum", "3"))
                           .startsWith("delete-quorum must be > n/2"));
    }

    @Test
    void thresholdOutsideTwoToNIsRefused() {
        assertTrue(refusal(Map.of("cluster.n", "5", "cluster.k", "6")).startsWith("k must satisfy"));
        assertTrue(refusal(Map.of("cluster.n", "5", "cluster.k", "1")).startsWith("k must satisfy"));
    }

    @Test
    void duplicateNodeIdsAreRefused() {
        List<NodeAddress> nodes = List.of(new NodeAddress(1, "h", 1, 2), new NodeAddress(1, "h", 3, 4),
                                          new NodeAddress(3, "h", 5, 6));
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                                                () -> new ClusterConfig(3, 2, 2, 2, 1, nodes));
        assertEquals("node id 1 appears twice", e.getMessage());
    }

    @Test
    void nodeIdOutsideTheClusterIsRefused() {
        ClusterConfig cluster = ClusterConfig.from(cluster(Map.of("cluster.n", "3", "cluster.k", "2")));
        assertThrows(InvalidConfigException.class, () -> new NodeConfig(4, cluster, java.nio.file.Path.of("x"),
                                                                         dev.shardvault.log.LogOptions.defaults(),
                                                                         Timeouts.DEFAULT, null));
    }
}
