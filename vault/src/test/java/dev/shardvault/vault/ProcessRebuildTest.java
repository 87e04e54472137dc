package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.VersionMeta;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replaced disk, with real node processes: node 3 is SIGKILLed, its data directory replaced by an empty one,
 * and started again. It reports its rebuild in sync by itself; its shares are then byte for byte the ones it
 * had (read from a copy of the old directory), and with two other nodes stopped every version still reads.
 */
@Tag("process")
class ProcessRebuildTest {

    private static final int SECRETS = 10;
    private static final LogOptions LOG = LogOptions.defaults().withMaxRecordBytes(262144).withSegmentBytes(1 << 20);

    @TempDir
    Path dir;

    /** Every share in the log at {@code data}, by "name/version@validFrom"; the deleted secret's view under "deleted". */
    private static Map<String, byte[]> shares(Path data, List<String> names) throws IOException {
        Map<String, byte[]> shares = new HashMap<>();
        try (ShardStore store = ShardStore.open(3, data, LOG, failure -> { })) {
            for (String name : names) {
                SecretId id = new SecretId("default", name);
                for (VersionMeta meta : store.history(id)) {
                    shares.put(name + "/" + meta.version() + "@" + meta.validFromMillis(),
                               store.read(id, new Selector.ByVersion(meta.version())).share());
                }
            }
            assertInstanceOf(SecretView.Deleted.class, store.view(new SecretId("default", "GONE")), "the tombstone");
        }
        return shares;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Files.copy(path, to.resolve(from.relativize(path).toString()));
            }
        }
    }

    private static void delete(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static void awaitInSync(NodeProcesses nodes, int id) {
        ClusterTestBase.eventually("node " + id + " reports its rebuild in sync", () -> {
            JsonObject data = nodes.healthData(id);
            return data != null && "in-sync".equals(data.getString("rebuildState", "")) && data.getInt("rebuildMissing", -1) == 0;
        });
    }

    @Test
    void aNodeWhoseDiskWasReplacedGetsItsSharesBackAndTheClusterSurvivesTwoMoreLosses() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir, 5, NodeProcesses.FAST_VAULT_YAML)) {
            for (int id = 1; id <= 5; id++) {
                nodes.start(id);
            }
            for (int id = 1; id <= 5; id++) {
                nodes.awaitHealthy(id);
            }
            Map<String, List<String>> values = new HashMap<>();
            for (int i = 0; i < SECRETS; i++) {
                String name = "KEY_" + i;
                List<String> versions = List.of("one-" + i, "two-" + i, "three-" + i);
                assertEquals(201, nodes.client(1 + i % 5).create(name, versions.get(0)).status());
                assertEquals(200, nodes.client(1 + (i + 1) % 5).update(name, versions.get(1)).status());
                assertEquals(200, nodes.client(1 + (i + 2) % 5).update(name, versions.get(2)).status());
                values.put(name, versions);
            }
            assertEquals(201, nodes.client(2).create("GONE", "deleted value").status());
            Answer deleted = nodes.client(4).send("POST", "/internal/v1/deletions/default/GONE",
                                                  "{\"requestTime\":\"" + Client.now() + "\"}");
            assertEquals(200, deleted.status(), deleted.body().toString());
            List<String> names = List.copyOf(values.keySet());

            // The disk of node 3 is replaced: kill it, keep a copy of what it held, start it on an empty directory.
            nodes.kill(3);
            Path old = dir.resolve("node-3-old");
            copy(nodes.dataDir(3), old);
            delete(nodes.dataDir(3));
            nodes.start(3);
            nodes.awaitHealthy(3);
            awaitInSync(nodes, 3);

            nodes.kill(3);
            Map<String, byte[]> before = shares(old, names);
            Map<String, byte[]> after = shares(nodes.dataDir(3), names);
            assertTrue(before.size() >= 2 * SECRETS, "node 3 held most versions before: " + before.size());
            assertEquals(3 * SECRETS, after.size(), "node 3 holds every version after its rebuild");
            before.forEach((version, share) -> assertArrayEquals(share, after.get(version), version));
            nodes.start(3);
            nodes.awaitHealthy(3);

            // Two more disks lost: every version still reads, through node 3's rebuilt shares; nothing deleted returns.
            nodes.kill(1);
            nodes.kill(2);
            int read = 0;
            for (Map.Entry<String, List<String>> secret : values.entrySet()) {
                for (int v = 1; v <= 3; v++) {
                    Answer answer = nodes.client(4).read(secret.getKey(), "version=" + v);
                    assertEquals(200, answer.status(), secret.getKey() + " v" + v + ": " + answer.body());
                    assertEquals(secret.getValue().get(v - 1), answer.value());
                    read++;
                }
            }
            assertEquals(3 * SECRETS, read);
            assertEquals(404, nodes.client(5).read("GONE").status());
        }
    }
}
