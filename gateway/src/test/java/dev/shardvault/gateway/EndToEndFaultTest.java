package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.Api.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real processes, as scripts/cluster.sh runs them, under SIGKILL. */
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

    /** What clients were told, per name. */
    private final Map<String, Map<Long, String>> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> uncertain = new ConcurrentHashMap<>();
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    private final Set<String> maybeDeleted = ConcurrentHashMap.newKeySet();
    private final Set<String> refusedCreates = ConcurrentHashMap.newKeySet();

    @Test
    void randomSigkillsOfNodesAndGatewayUnderMixedLoadLoseNothingAcknowledged() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[] runId = new byte[9];
        new SecureRandom().nextBytes(runId);
        String marker = "MARKER" + HexFormat.of().formatHex(runId); // 24 characters: base64 aligns at the start
        try (ProcessCluster cluster = new ProcessCluster(dir)) {
            cluster.startAll();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger operations = new AtomicInteger();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> load = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    int client = c;
                    load.add(clients.submit(() -> load(cluster, client, marker, running, operations, new Random(seed + client))));
                }
                for (int round = 0; round < 4; round++) {
                    Thread.sleep(800 + random.nextInt(700));
                    int victim = random.nextInt(ProcessCluster.N + 1); // 0 is the gateway
                    cluster.kill(victim);
                    Thread.sleep(100 + random.nextInt(400));
                    cluster.start(victim);
                }
                Thread.sleep(500);
                running.set(false);
                for (Future<?> future : load) {
                    future.get();
                }
            }
            System.out.printf("%d operations, %d names acknowledged, %d deleted (seed %d)%n", operations.get(),
                              acknowledged.size(), deleted.size(), seed);
            assertTrue(operations.get() > 40, "too little load to mean anything (seed " + seed + ")");
            Thread.sleep(2_500); // in-doubt resolution and the sweep converge
            verify(new Api(cluster.gateway(), ProcessCluster.TOKEN), seed);
            for (int id = 0; id <= ProcessCluster.N; id++) {
                cluster.kill(id);
            }
            assertMarkerAbsent(cluster, marker);
        }
    }

    private void load(ProcessCluster cluster, int client, String marker, AtomicBoolean running, AtomicInteger operations,
                      Random random) {
        Api api = new Api(cluster.gateway(), ProcessCluster.TOKEN);
        List<String> mine = new ArrayList<>();
        int counter = 0;
        while (running.get()) {
            int dice = random.nextInt(10);
            String value = marker + "-c" + client + "-" + counter++;
            String name;
            if (mine.isEmpty() || dice < 3) {
                name = "C" + client + "_" + counter;
                mine.add(name);
            } else if (dice < 9) {
                name = mine.get(random.nextInt(mine.size()));
            } else {
                name = "E" + client + "_" + counter + "_A";
                mine.add(name);
            }
            boolean create = name.endsWith("_" + counter) && name.startsWith("C");
            boolean delete = !create && dice == 8;
            try {
                if (create) {
                    record(name, api.create(name, value), value, true);
                } else if (name.startsWith("E") && name.endsWith("_" + counter + "_A")) {
                    Reply reply = api.env(name + "=\"enc(" + value + ")\"\n");
                    if (reply.status() == 200) {
                        acknowledged.computeIfAbsent(name, n -> new ConcurrentHashMap<>()).put(1L, value);
                    } else if (reply.status() >= 500) {
                        uncertain.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(value);
                    } else {
                        refusedCreates.add(name);
                    }
                } else if (delete) {
                    mine.remove(name);
                    Reply reply = api.send("DELETE", "/v1/secrets/" + name, null, null, Map.of());
                    if (reply.status() == 200) {
                        deleted.add(name);
                    } else if (reply.status() >= 500) {
                        maybeDeleted.add(name);
                    }
                } else {
                    record(name, api.update(name, value), value, false);
                }
                operations.incrementAndGet();
            } catch (RuntimeException e) {
                // The gateway died with the request in flight: it may or may not have reached a vault node.
                if (delete) {
                    maybeDeleted.add(name);
                } else {
                    uncertain.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(value);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private void record(String name, Reply reply, String value, boolean create) {
        if (reply.status() == 200 || reply.status() == 201) {
            acknowledged.computeIfAbsent(name, n -> new ConcurrentHashMap<>()).put(reply.version(), value);
        } else if (reply.status() >= 500 && !"voting".equals(reply.json().getString("phase", ""))) {
            uncertain.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(value);
        } else if (create) {
            refusedCreates.add(name);
        }
    }

    private void verify(Api api, long seed) {
        for (String name : deleted) {
            assertEquals(404, retry(() -> api.read(name)).status(), name + " was deleted (seed " + seed + ")");
        }
        for (String name : refusedCreates) {
            if (!acknowledged.containsKey(name) && !uncertain.containsKey(name)) {
                assertEquals(404, retry(() -> api.read(name)).status(), "a refused create left " + name + " (seed " + seed + ")");
            }
        }
        // Names are checked eight at a time (hundreds are acknowledged); the first failure is rethrown.
        List<Future<?>> checked = new ArrayList<>();
        try (ExecutorService checks = Executors.newFixedThreadPool(8)) {
            for (Map.Entry<String, Map<Long, String>> entry : acknowledged.entrySet()) {
                checked.add(checks.submit(() -> verifyVersions(api, seed, entry)));
            }
        }
        for (Future<?> check : checked) {
            try {
                check.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw new AssertionError(e.getCause());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        // Every acknowledged write left its event, whichever node coordinated it and whatever was killed after
        // (checked eight names at a time: hundreds of names are acknowledged).
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService checks = Executors.newFixedThreadPool(8)) {
            for (Map.Entry<String, Map<Long, String>> entry : acknowledged.entrySet()) {
                checks.submit(() -> {
                    String failure = timelineHoldsWrites(api, entry.getKey(), entry.getValue().keySet());
                    if (failure != null) {
                        failures.add(failure);
                    }
                });
            }
            for (String name : deleted) {
                checks.submit(() -> {
                    Reply timeline = retry(() -> api.read(name + "/timeline?limit=1000"));
                    if (!timeline.text().contains("\"secret-deleted\"")) {
                        failures.add(name + " was deleted: " + timeline.text());
                    }
                });
            }
        }
        assertEquals(List.of(), failures, "seed " + seed);
    }

    /** The versions of one acknowledged name: no gaps, each holding what was acknowledged or an uncertain value. */
    private void verifyVersions(Api api, long seed, Map.Entry<String, Map<Long, String>> entry) {
        String name = entry.getKey();
        if (deleted.contains(name) || maybeDeleted.contains(name)) {
            return;
        }
        Reply history = retry(() -> api.read(name + "/versions"));
        assertEquals(200, history.status(), name + ": " + history.text() + " (seed " + seed + ")");
        var versions = history.json().getJsonArray("versions");
        for (int i = 0; i < versions.size(); i++) {
            assertEquals(i + 1, versions.getJsonObject(i).getInt("version"), name + " has a gap (seed " + seed + ")");
        }
        for (int version = 1; version <= versions.size(); version++) {
            int v = version;
            Reply read = retry(() -> api.read(name + "?version=" + v));
            assertEquals(200, read.status(), name + " v" + v + ": " + read.text() + " (seed " + seed + ")");
            String value = read.json().getString("value");
            String expected = entry.getValue().get((long) v);
            if (expected != null) {
                assertEquals(expected, value, name + " v" + v + " (seed " + seed + ")");
            } else {
                assertTrue(uncertain.getOrDefault(name, Set.of()).contains(value),
                           name + " v" + v + " holds a value never written (seed " + seed + ")");
            }
        }
        assertTrue(entry.getValue().keySet().stream().allMatch(v -> v <= versions.size()),
                   name + " lost an acknowledged version (seed " + seed + ")");
    }

    /** Null if {@code name}'s timeline has an ok write event of every version in {@code versions}; else why not. */
    private String timelineHoldsWrites(Api api, String name, Set<Long> versions) {
        Reply timeline = retry(() -> api.read(name + "/timeline?limit=1000"));
        if (timeline.status() != 200) {
            return name + ": " + timeline.text();
        }
        if (deleted.contains(name) || maybeDeleted.contains(name)) {
            return null; // a deleted name's versions are not compared (its acknowledged versions may be of a past life)
        }
        Set<Long> written = new java.util.HashSet<>();
        for (var event : timeline.json().getJsonArray("events")) {
            var e = event.asJsonObject();
            if (e.getString("outcome").equals("ok")
                && Set.of("secret-created", "secret-updated", "secret-rotated").contains(e.getString("action"))) {
                written.add(e.getJsonNumber("version").longValue());
            }
        }
        return written.containsAll(versions) ? null
                : name + " acknowledged " + versions + " but its timeline has writes of " + written;
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

    /** The plaintext marker, raw, in hex and in base64, is in no data file and no process output. */
    private void assertMarkerAbsent(ProcessCluster cluster, String marker) throws IOException {
        assertEquals(List.of(), PlaintextScan.filesHolding(dir, marker), "plaintext found on disk or in a log");
        assertTrue(Files.exists(cluster.dataDir(1)), "the scan covered the data directories");
    }
}
