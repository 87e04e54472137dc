package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardvault.gateway.Api.Reply;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real processes, as scripts/cluster.sh runs them, under SIGKILL (random faults under load: FaultRunTest). */
@Tag("process")
class EndToEndFaultTest {

    @TempDir
    Path dir;

    @Test
    void nMinusKNodesDownChangesNothingForClientsAndOneMoreRefusesWithoutHalfWrites() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir)) {
            cluster.startAll();
            Api api = new Api(cluster.gateway(), ProcessCluster.TOKEN);
            for (int i = 0; i < 6; i++) {
                assertEquals(201, api.create("S" + i, "v1-" + i).status());
            }
            cluster.kill(4);
            cluster.kill(5);
            for (int i = 0; i < 6; i++) {
                assertEquals("v1-" + i, api.read("S" + i).json().getString("value"));
                assertEquals(200, api.update("S" + i, "v2-" + i).status());
            }
            assertEquals(201, api.create("DURING", "x").status());
            assertEquals(200, api.send("DELETE", "/v1/secrets/DURING", null, null, Map.of()).status());

            cluster.kill(3);
            Reply read = api.read("S0");
            assertEquals(503, read.status());
            assertEquals("urn:shardvault:insufficient-shards", read.type());
            Reply write = api.update("S0", "never");
            assertEquals(503, write.status());
            assertEquals("urn:shardvault:quorum-unavailable", write.type());
            assertEquals("voting", write.json().getString("phase"));
            assertEquals(503, api.create("NEVER", "x").status());
            assertEquals(503, api.send("DELETE", "/v1/secrets/S1", null, null, Map.of()).status());

            cluster.start(3);
            cluster.start(4);
            cluster.start(5);
            // Freshly started JVMs can miss a read deadline: availability right after a restart is retried,
            // correctness is not.
            for (int i = 0; i < 6; i++) {
                String name = "S" + i;
                Reply back = retry(() -> api.read(name));
                assertEquals(200, back.status(), back.text());
                assertEquals("v2-" + i, back.json().getString("value"));
                Reply history = retry(() -> api.read(name + "/versions"));
                assertEquals(200, history.status(), history.text());
                assertEquals(2, history.json().getJsonArray("versions").size(), "a refused write left a version behind");
            }
            assertEquals(404, api.read("NEVER").status());
            assertEquals(404, api.read("DURING").status());
        }
    }

    /**
     * Minted and revoked tokens live in the cluster, and an acknowledged write and read each leave their custody
     * event on the coordinator's disk before the answer: SIGKILL every node and the gateway right after (so
     * whichever node coordinated dies, likely before it shipped the events) and all of it is there once they
     * are back.
     */
    @Test
    void mintedTokensAndCustodyEventsSurviveSigkillOfEveryNodeAndTheGateway() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir)) {
            cluster.startAll();
            Api admin = new Api(cluster.gateway(), ProcessCluster.TOKEN);
            assertEquals(201, admin.create("APP_KEY", "k").status());
            Reply kept = admin.send("POST", "/v1/tokens", "{\"actions\":[\"read\"],\"names\":[\"APP_KEY\"]}",
                                    "application/json", Map.of());
            Reply revoked = admin.send("POST", "/v1/tokens", "{\"actions\":[\"read\"]}", "application/json", Map.of());
            assertEquals(201, kept.status(), kept.text());
            assertEquals(201, revoked.status(), revoked.text());
            assertEquals(200, admin.send("DELETE", "/v1/tokens/" + revoked.json().getString("id"), null, null, Map.of()).status());
            assertEquals(201, admin.create("AUDITED", "v1").status());
            assertEquals(200, admin.read("AUDITED").status());

            for (int id = 1; id <= ProcessCluster.N; id++) {
                cluster.kill(id);
            }
            cluster.kill(ProcessCluster.GATEWAY);
            cluster.startNodes();
            cluster.start(ProcessCluster.GATEWAY);
            Api keptToken = new Api(cluster.gateway(), kept.json().getString("token"));
            Reply read = retry(() -> keptToken.read("APP_KEY"));
            // A gateway that could not list the tokens at start (a node still warming up) learns them on its next
            // sync, 250 ms later: wait for that, boundedly.
            for (long deadline = System.nanoTime() + 3_000_000_000L; read.status() == 401 && System.nanoTime() < deadline; ) {
                Thread.sleep(50);
                read = retry(() -> keptToken.read("APP_KEY"));
            }
            assertEquals(200, read.status(), "a minted token works after the crash: " + read.text());
            assertEquals("k", read.json().getString("value"));
            assertEquals(403, keptToken.read("OTHER").status(), "and keeps its scope");
            Reply stillRevoked = new Api(cluster.gateway(), revoked.json().getString("token")).read("APP_KEY");
            assertEquals(401, stillRevoked.status(), "a revoked token stays revoked: " + stillRevoked.text());
            Api restarted = new Api(cluster.gateway(), ProcessCluster.TOKEN);
            Reply timeline = retry(() -> restarted.read("AUDITED/timeline"));
            assertEquals(200, timeline.status(), timeline.text());
            assertEquals(List.of("secret-created", "secret-read"), timeline.json().getJsonArray("events").stream()
                    .map(event -> event.asJsonObject().getString("action")).toList(), timeline.text());
        }
    }

    private static Reply retry(java.util.function.Supplier<Reply> call) {
        Reply reply = call.get();
        for (int attempt = 0; attempt < 10 && reply.status() == 503; attempt++) {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            reply = call.get();
        }
        return reply;
    }
}
