package dev.shardvault.vault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh five-node in-process cluster (k = 3, W = D = 3) in a temp directory for every test. */
abstract class ClusterTestBase {

    @TempDir
    Path dir;
    TestCluster cluster;

    @BeforeEach
    void startCluster() {
        cluster = TestCluster.start(dir, 5, 3);
    }

    @AfterEach
    void stopCluster() {
        cluster.close();
    }

    /**
     * Waits until each of {@code nodes} (every node if none named) holds {@code version} of {@code id} as its
     * latest: a write is acknowledged once W nodes hold it, and the others apply it as their votes arrive.
     */
    void awaitLatest(dev.shardvault.vault.model.SecretId id, long version, int... nodes) {
        int[] which = nodes.length > 0 ? nodes : java.util.stream.IntStream.rangeClosed(1, cluster.n()).toArray();
        for (int node : which) {
            eventually("node " + node + " holds version " + version + " of " + id, () -> cluster.node(node).store()
                    .read(id, dev.shardvault.vault.store.Selector.LATEST).version() == version);
        }
    }

    /** Waits up to 20 s for a condition that background work (commits beyond W, resolution, repair) makes true. */
    static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
