package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardvault.gateway.Api.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 503 rows of the problem table, and health, with vault nodes stopped under the gateway. */
class ApiUnderFailureTest {

    @TempDir
    Path dir;
    LocalCluster cluster;
    Api api;

    @BeforeEach
    void start() {
        cluster = new LocalCluster(dir);
        api = new Api(cluster.gateway(), LocalCluster.FULL);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void withTwoNodesDownEverythingWorksAndWithThreeWritesAre503InVoting() {
        api.create("S", "v1");
        cluster.stop(4);
        cluster.stop(5);
        assertEquals(200, api.update("S", "v2").status());
        assertEquals("v2", api.read("S").json().getString("value"));
        cluster.stop(3);
        Reply write = api.update("S", "v3");
        assertEquals(503, write.status(), write.text());
        assertEquals("urn:shardvault:quorum-unavailable", write.type());
        assertEquals("voting", write.json().getString("phase"));
        assertEquals(3, write.json().getInt("required"));
        Reply read = api.read("S");
        assertEquals(503, read.status());
        eventually("health turns DOWN below k nodes", () -> api.as(null).send("GET", "/observe/health", null, null, Map.of()).status() == 503);
        cluster.start(3);
        cluster.start(4);
        cluster.start(5);
        assertEquals("v2", api.read("S").json().getString("value"));
        eventually("health is UP again", () -> api.as(null).send("GET", "/observe/health", null, null, Map.of()).status() == 200);
    }

    @Test
    void aDeleteThatCannotReachDNodesDeletesNothing() {
        api.create("S", "kept");
        cluster.stop(3);
        cluster.stop(4);
        cluster.stop(5);
        Reply refused = api.send("DELETE", "/v1/secrets/S", null, null, Map.of());
        assertEquals(503, refused.status(), refused.text());
        assertEquals("urn:shardvault:quorum-unavailable", refused.type());
        assertEquals("voting", refused.json().getString("phase"));
        cluster.start(3);
        cluster.start(4);
        cluster.start(5);
        assertEquals("kept", api.read("S").json().getString("value"));
    }

    @Test
    void fewerThanKSharesOfTheNewestVersionIs503InsufficientShards() {
        api.create("S", "v1");
        cluster.stop(4);
        cluster.stop(5);
        assertEquals(200, api.update("S", "v2").status()); // v2 lives on nodes 1, 2, 3 only
        // Nodes 1 and 2 stop before 4 and 5 are back: a node that restarts recovers the shares it missed from k
        // holders, and here only node 3 holds one (4 and 5 learn v2 without a share).
        cluster.stop(1);
        cluster.stop(2);
        cluster.start(4);
        cluster.start(5);
        Reply read = api.read("S");
        assertEquals(503, read.status(), read.text());
        assertEquals("urn:shardvault:insufficient-shards", read.type());
        assertEquals(1, read.json().getInt("available"));
        assertEquals(3, read.json().getInt("threshold"));
    }

    @Test
    void aCommitConfirmedByFewerThanWNodesIs503InWritingAndCompletesLater() {
        cluster.dropCommits = true;
        Map<String, String> key = Map.of("Idempotency-Key", "unconfirmed-1");
        String body = Api.json(Map.of("name", "S", "value", "decided"));
        Reply write = api.send("POST", "/v1/secrets", body, "application/json", key);
        assertEquals(503, write.status(), write.text());
        assertEquals("urn:shardvault:commit-unconfirmed", write.type());
        assertEquals("writing", write.json().getString("phase"));
        cluster.dropCommits = false;
        Reply retry = api.send("POST", "/v1/secrets", body, "application/json", key);
        assertEquals(201, retry.status(), "the retry returns the real outcome: " + retry.text());
        assertEquals(1, retry.version());
        assertEquals("decided", api.read("S").json().getString("value"));
    }

    static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
