package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 3: plaintext never appears in any data directory nor in any message between vault nodes. */
class PlaintextTest {

    @TempDir
    Path dir;

    @Test
    void aMarkerValueIsAbsentFromEveryDataFileAndEveryPeerMessage() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String marker = "MARKER-" + HexFormat.of().formatHex(random);
        try (TestCluster cluster = TestCluster.start(dir, 5, 3)) {
            Bytes.encodingsOf(marker).forEach(cluster.link::watch);
            assertEquals(201, cluster.client(1).create("SECRET", marker).status());
            assertEquals(200, cluster.client(2).update("SECRET", marker + "-2").status());
            assertEquals(201, cluster.client(3).batch(jakarta.json.Json.createObjectBuilder()
                    .add("requestTime", Client.now())
                    .add("creates", jakarta.json.Json.createArrayBuilder()
                            .add(jakarta.json.Json.createObjectBuilder().add("name", "OTHER").add("value", marker)))
                    .build()).status());
            assertEquals(marker, cluster.client(4).read("SECRET", "version=1").value());
            assertEquals(marker + "-2", cluster.client(5).read("SECRET").value());
            assertTrue(cluster.link.requests() > 30, "the tap saw the peer traffic");
            assertEquals(0, cluster.link.watchedHits(), "a peer message carried the plaintext");
        }
        List<Path> leaks = Bytes.filesContaining(dir, Bytes.encodingsOf(marker));
        assertEquals(List.of(), leaks);
    }
}
