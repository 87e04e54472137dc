package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeded fault run ({@link FaultRun}) in CI: a bounded run on a fresh seed each time. A failure prints the
 * seed; {@code -Dfaults.seed=N} replays the same fault schedule (the interleaving of clients is the machine's),
 * {@code -Dfaults.seconds} and {@code -Dfaults.clients} change its length and load; scripts/torture.sh runs it
 * for longer.
 */
@Tag("process")
class FaultRunTest {

    @TempDir
    Path dir;

    @Test
    void clientHistoriesUnderRandomFaultsAreLinearizable() throws Exception {
        long seed = Long.getLong("faults.seed", new SecureRandom().nextLong() & Long.MAX_VALUE);
        int seconds = Integer.getInteger("faults.seconds", 35);
        int clients = Integer.getInteger("faults.clients", 8 + (int) (seed % 9));
        byte[] runId = new byte[9];
        new SecureRandom().nextBytes(runId);
        String marker = "MARKER" + HexFormat.of().formatHex(runId); // 24 characters: base64 aligns at the start
        System.out.println("fault-run: seed " + seed + ", " + seconds + " s, " + clients + " clients (replay: -Dfaults.seed=" + seed + ")");
        FaultRun.Summary summary = new FaultRun(dir, seed, seconds, clients, marker).run();
        System.out.print(summary.describe());
        summary.faultLog().forEach(line -> System.out.println("fault-run: fault " + line));
        String replay = " (replay: -Dfaults.seed=" + seed + ")";
        assertEquals(List.of(), summary.unexpected(), "answers the API does not give" + replay);
        assertTrue(summary.linearizable(), summary.describe() + replay);
        assertTrue(summary.faults() >= 3, "too few faults to mean anything: " + summary.faults() + replay);
        assertTrue(summary.operations() > 150, "too little load to mean anything: " + summary.operations() + replay);
        assertEquals(List.of(), PlaintextScan.filesHolding(dir, marker), "plaintext found on disk or in a log" + replay);
    }
}
