package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.log.RecordLog;
import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.store.Journal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node SIGKILLed between a delete's tombstone and its erasure finishes the erasure when it restarts. */
@Tag("process")
class ProcessDeleteTest {


    private static final SecretId DOOMED = new SecretId("default", "DOOMED");

    /** Sweeps every second, so that a node that missed the delete learns it within the test. */
    private static final String VAULT_YAML = NodeProcesses.FAST_VAULT_YAML + "    sweep-interval-millis: 1000\n";

    @TempDir
    Path dir;

    /** The kinds of record in a node's log that carry a share of {@code name}. */
    private static List<String> shareRecords(Path data, String name) throws IOException {
        List<String> found = new ArrayList<>();
        LogOptions options = LogOptions.defaults().withMaxRecordBytes(262144).withSegmentBytes(1 << 20);
        try (RecordLog log = RecordLog.open(data, options, record -> {
            Journal.Entry entry = Journal.decode(record);
            if (entry instanceof Journal.Prepared prepared && prepared.op() instanceof dev.shardvault.vault.model.Op.Put put
                && put.id().name().equals(name)) {
                found.add("prepare");
            }
            if (entry instanceof Journal.Repaired repaired && repaired.id().name().equals(name)) {
                found.add("repair");
            }
        })) {
            return found;
        }
    }

    private static boolean knowsDeleted(HttpPeer peer) {
        try {
            return peer.history(DOOMED).view() instanceof SecretView.Deleted;
        } catch (PeerUnavailableException e) {
            return false;
        }
    }

    @Test
    void aNodeKilledBetweenTombstoneAndErasureFinishesTheErasureOnRestart() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir, 5, VAULT_YAML)) {
            for (int id = 1; id <= 5; id++) {
                nodes.start(id, id == 3 ? "-Dshardvault.fault.halt-after-tombstone=true" : "-Dshardvault.fault.none=true");
            }
            for (int id = 1; id <= 5; id++) {
                nodes.awaitHealthy(id);
            }
            assertEquals(201, nodes.client(1).create("DOOMED", "v1").status());
            assertEquals(200, nodes.client(2).update("DOOMED", "v2").status());
            Answer deleted = nodes.client(1).send("POST", "/internal/v1/deletions/default/DOOMED",
                                                  "{\"requestTime\":\"" + Client.now() + "\"}");
            assertEquals(200, deleted.status(), deleted.body().toString());
            assertTrue(nodes.process(3).waitFor(30, TimeUnit.SECONDS), "node 3 should have stopped at its tombstone");
            assertEquals(137, nodes.process(3).exitValue(), nodes.log(3));

            assertEquals(List.of("prepare", "prepare"), shareRecords(nodes.dataDir(3), "DOOMED"),
                         "the crash came after the tombstone and before the erasure");
            nodes.start(3);
            nodes.awaitHealthy(3);
            nodes.kill(3);
            assertEquals(List.of(), shareRecords(nodes.dataDir(3), "DOOMED"), "the restart finished the erasure");
            for (int id : new int[] {1, 2, 4, 5}) {
                // The delete needed only D acknowledgements; a node that voted no (say, still holding the update's
                // lock) learns the tombstone from its sweep. A node erases its shares before it records the tombstone.
                try (HttpPeer peer = nodes.peer(id)) {
                    ClusterTestBase.eventually("node " + id + " knows DOOMED is deleted",
                            () -> knowsDeleted(peer));
                }
                nodes.kill(id);
                assertEquals(List.of(), shareRecords(nodes.dataDir(id), "DOOMED"), "node " + id);
            }
        }
    }
}
