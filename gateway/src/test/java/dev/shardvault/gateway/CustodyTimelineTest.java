package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.shardvault.gateway.Api.Reply;
import dev.shardvault.vault.VaultNode;
import dev.shardvault.vault.custody.Event;
import dev.shardvault.vault.model.SecretId;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The custody timeline end to end, through a real gateway in front of five real nodes: every operation leaves one
 * event with the right actor, parent and outcome; the chain verifies with a canonicalizer written here, apart from
 * the product's; events reach the other nodes within a second; losing n - k data directories loses none; a node
 * whose stored chain was tampered with is refused and the others serve the timeline.
 */
class CustodyTimelineTest {

    /** The contract: an event is on at least W nodes within 1 s. */
    private static final long REPLICATED_WITHIN_MILLIS = 1_000;

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static Api api;
    static String fullTokenId;

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
        api = new Api(cluster.gateway(), LocalCluster.FULL);
        fullTokenId = ownTokenId(api);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static String ownTokenId(Api as) {
        Reply tokens = as.send("GET", "/v1/tokens", null, null, Map.of());
        assertEquals(200, tokens.status(), tokens.text());
        for (JsonValue token : tokens.json().getJsonArray("tokens")) {
            if (token.asJsonObject().isNull("parent")) {
                return token.asJsonObject().getString("id");
            }
        }
        throw new AssertionError("no configured token in " + tokens.text());
    }

    private static JsonArray timeline(String name) {
        Reply reply = api.read(name + "/timeline?limit=1000");
        assertEquals(200, reply.status(), reply.text());
        assertEquals(name, reply.json().getString("name"));
        assertTrue(reply.json().isNull("next"), reply.text());
        return reply.json().getJsonArray("events");
    }

    private static List<String> actions(JsonArray events) {
        return events.stream().map(e -> e.asJsonObject().getString("action")).toList();
    }

    @Test
    void everyOperationLeavesOneEventWithItsActorParentAndOutcomeAndTheChainVerifies() {
        String marker = "MARKER" + HexFormat.of().formatHex(new SecureRandom().generateSeed(9));
        String name = "CUSTODY_A";
        Map<String, String> createKey = Map.of("Idempotency-Key", "custody-create-1");
        String create = Api.json(Map.of("name", name, "value", marker + "-1"));
        assertEquals(201, api.send("POST", "/v1/secrets", create, "application/json", createKey).status());
        assertEquals(201, api.send("POST", "/v1/secrets", create, "application/json", createKey).status(),
                     "a retry with the same key is answered as the first");
        assertEquals(200, api.update(name, marker + "-2").status());
        Map<String, String> readKey = Map.of("Idempotency-Key", "custody-read-1");
        assertEquals(200, api.send("GET", "/v1/secrets/" + name, null, null, readKey).status());
        assertEquals(200, api.send("GET", "/v1/secrets/" + name, null, null, readKey).status());
        Reply old = api.read(name + "?version=1");
        assertEquals(marker + "-1", old.json().getString("value"));
        assertEquals(200, api.read(name + "/versions").status());
        Reply exposed = api.send("POST", "/v1/secrets/" + name + "/exposure", "{\"reason\":\"pasted into a chat\"}",
                                 "application/json", Map.of());
        assertEquals(200, exposed.status(), exposed.text());
        assertTrue(exposed.json().getBoolean("rotationRequired"));
        Reply mustRotate = api.read(name);
        assertTrue(mustRotate.json().getBoolean("rotationRequired", false), mustRotate.text());
        assertTrue(api.read(name + "?version=2").json().getBoolean("rotationRequired", false) == false,
                   "only latest reads carry the flag");
        assertEquals(200, api.update(name, marker + "-3").status());
        assertFalse(api.read(name).json().containsKey("rotationRequired"), "the update after the exposure rotated it");

        assertEquals(201, api.create("CUSTODY_B", marker + "-b").status());
        Reply expanded = api.env("A=secret(" + name + ")\nB=secret(CUSTODY_B)\n");
        assertEquals(200, expanded.status(), expanded.text());

        Api readOnly = api.as(LocalCluster.READ_ONLY);
        assertEquals(403, readOnly.update(name, "nope").status());
        Reply minted = api.send("POST", "/v1/tokens", "{\"actions\":[\"read\"],\"names\":[\"CUSTODY_B\"],\"label\":\"ci\","
                                                      + "\"class\":\"human\"}", "application/json", Map.of());
        assertEquals(201, minted.status(), minted.text());
        assertEquals("human", minted.json().getString("class"));
        String scopedId = minted.json().getString("id");
        Api scoped = api.as(minted.json().getString("token"));
        Reply outOfScope = waitForStatus(403, () -> scoped.read(name));
        assertEquals(403, outOfScope.status(), outOfScope.text());
        assertEquals(200, api.send("DELETE", "/v1/secrets/" + name, null, null, Map.of()).status());

        JsonArray events = timeline(name);
        assertEquals(List.of("secret-created", "secret-updated", "secret-read", "secret-read", "secret-history-read",
                             "secret-exposed", "secret-read", "secret-read", "secret-rotated", "secret-read",
                             "secret-env-expanded", "secret-updated", "secret-read", "secret-deleted"),
                     actions(events), events.toString());
        JsonObject created = events.getJsonObject(0);
        JsonObject updated = events.getJsonObject(1);
        JsonObject rotated = events.getJsonObject(8);
        JsonObject envA = events.getJsonObject(10);
        assertTrue(created.isNull("parent"));
        assertEquals(1, created.getInt("version"));
        assertEquals(created.getString("id"), updated.getString("parent"), "an update follows the version it replaced");
        assertEquals(updated.getString("id"), events.getJsonObject(2).getString("parent"), "a read follows what wrote its version");
        assertEquals(created.getString("id"), events.getJsonObject(3).getString("parent"), "a read of v1 follows its create");
        assertEquals(updated.getString("id"), events.getJsonObject(4).getString("parent"));
        JsonObject exposure = events.getJsonObject(5);
        assertEquals(updated.getString("id"), exposure.getString("parent"));
        assertEquals("pasted into a chat", exposure.getString("reason"));
        assertEquals(updated.getString("id"), rotated.getString("parent"));
        assertEquals(3, rotated.getInt("version"));
        assertEquals(rotated.getString("id"), envA.getString("parent"), "the expansion's first event follows its version");
        assertEquals(rotated.getString("id"), events.getJsonObject(13).getString("parent"), "a delete follows the last version");
        for (int i = 0; i < events.size(); i++) {
            JsonObject event = events.getJsonObject(i);
            JsonObject actor = event.getJsonObject("actor");
            switch (i) {
                case 11 -> {
                    assertEquals("refused", event.getString("outcome"), "the read-only token's update");
                    assertNotEquals(fullTokenId, actor.getString("token"));
                    assertEquals("machine", actor.getString("class"));
                    assertTrue(event.isNull("version"));
                }
                case 12 -> {
                    assertEquals("refused", event.getString("outcome"), "the scoped token's read: " + event);
                    assertEquals(scopedId, actor.getString("token"));
                    assertEquals("ci", actor.getString("label"));
                    assertEquals("human", actor.getString("class"));
                }
                default -> {
                    assertEquals("ok", event.getString("outcome"), event.toString());
                    assertEquals(fullTokenId, actor.getString("token"), event.toString());
                }
            }
        }
        verifyChain(events);
        assertFalse(events.toString().contains(marker), "no value in any event");

        // The expansion's second event follows its first, in the other secret's timeline.
        JsonArray other = timeline("CUSTODY_B");
        assertEquals(List.of("secret-created", "secret-env-expanded"), actions(other));
        assertEquals(envA.getString("id"), other.getJsonObject(1).getString("parent"));
        verifyChain(other);

        // Pages walk the same chain.
        List<JsonObject> paged = new ArrayList<>();
        String after = null;
        do {
            Reply page = api.read(name + "/timeline?limit=5" + (after == null ? "" : "&after=" + after));
            assertEquals(200, page.status(), page.text());
            page.json().getJsonArray("events").forEach(e -> paged.add(e.asJsonObject()));
            after = page.json().isNull("next") ? null : page.json().getString("next");
        } while (after != null);
        assertEquals(events.stream().map(JsonValue::asJsonObject).toList(), paged);

        assertEquals(404, api.read("NEVER_WRITTEN/timeline").status(), "a name never written has no timeline");
        assertEquals(403, readOnly.read(name + "/timeline").status(), "reading a timeline takes audit");
        assertEquals(400, api.read(name + "/timeline?after=zz").status());
        assertEquals(400, api.send("POST", "/v1/secrets/CUSTODY_B/exposure", "{\"reason\":\"\"}", "application/json",
                                   Map.of()).status());
        assertEquals(List.of("secret-created", "secret-env-expanded"), actions(timeline("CUSTODY_B")),
                     "a refused request body changes nothing");
        assertMarkerAbsent(marker);
    }

    @Test
    void anEventIsOnAWriteQuorumWithinASecondAndOnEveryNodeSoonAfter() {
        String name = "CUSTODY_SPREAD";
        assertEquals(201, api.create(name, "v").status());
        assertEquals(200, api.read(name).status());
        SecretId id = new SecretId("default", name);
        long started = System.nanoTime();
        waitFor(REPLICATED_WITHIN_MILLIS, () -> holding(id, 2) >= cluster.config().writeQuorum());
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMillis <= REPLICATED_WITHIN_MILLIS, "took " + tookMillis + " ms");
        waitFor(5_000, () -> holding(id, 2) == 5);
    }

    /** How many nodes hold at least {@code events} events of {@code id}. */
    private static int holding(SecretId id, int events) {
        int nodes = 0;
        for (int node = 1; node <= 5; node++) {
            VaultNode vault = cluster.node(node);
            if (vault != null && vault.custody().held(id).events().size() >= events) {
                nodes++;
            }
        }
        return nodes;
    }

    @Test
    void losingNMinusKDataDirectoriesLosesNoEventAndTheEmptyNodesCatchUp() throws IOException {
        String name = "CUSTODY_DISKS";
        assertEquals(201, api.create(name, "v1").status());
        assertEquals(200, api.update(name, "v2").status());
        assertEquals(200, api.read(name).status());
        SecretId id = new SecretId("default", name);
        waitFor(5_000, () -> holding(id, 3) == 5);
        List<String> before = actions(timeline(name));

        for (int node : new int[] {4, 5}) {
            cluster.stop(node);
            try (Stream<Path> files = Files.walk(cluster.dataDir(node))) {
                for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
            cluster.start(node);
        }
        assertEquals(before, actions(timeline(name)), "no event lost");
        // The emptied nodes are sent everything again by the others (the relay round).
        waitFor(15_000, () -> holding(id, 3) == 5);
        verifyChain(timeline(name));
    }

    @Test
    void aNodeWhoseStoredChainWasAlteredIsRefusedAndTheOthersServeAVerifyingChain() throws IOException {
        String name = "CUSTODY_TAMPER";
        assertEquals(201, api.create(name, "v1").status());
        assertEquals(200, api.read(name).status());
        SecretId id = new SecretId("default", name);
        waitFor(5_000, () -> holding(id, 2) == 5);
        JsonArray before = timeline(name);

        cluster.stop(2);
        assertTrue(flipEventIdByte(cluster.dataDir(2), name), "found an event of " + name + " on node 2");
        cluster.start(2);
        assertEquals(1, cluster.node(2).custody().brokenChains(), "node 2 saw its chain break at replay");
        assertTrue(cluster.node(2).custody().held(id).broken());
        long refusedBefore = refusedChains();
        JsonArray after = timeline(name);
        assertEquals(before, after, "the others' chain, unchanged");
        verifyChain(after);
        waitFor(2_000, () -> refusedChains() > refusedBefore);
    }

    private static long refusedChains() {
        long total = 0;
        for (int node = 1; node <= 5; node++) {
            total += cluster.node(node).timelineChainsRefused();
        }
        return total;
    }

    /**
     * Flips one byte of the id of the first EVENT record of {@code name} in {@code dataDir}'s segments and mends the
     * frame's CRC, as someone editing the disk would: the frame reads back fine; only the chain can tell.
     */
    private static boolean flipEventIdByte(Path dataDir, String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        List<Path> segments;
        try (Stream<Path> files = Files.list(dataDir)) {
            segments = files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
        for (Path segment : segments) {
            byte[] bytes = Files.readAllBytes(segment);
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int at = 16; // the segment header
            while (at + 9 <= bytes.length) {
                int length = buffer.getInt(at);
                if (length <= 0 || at + 9 + length > bytes.length) {
                    break;
                }
                int type = bytes[at + 8];
                int payload = at + 9;
                if (type == 6) {
                    // format u8, node i32, epoch i64, seq i64, namespace str, name str, id 16 bytes...
                    int cursor = payload + 1 + 4 + 8 + 8;
                    int namespaceLength = buffer.getInt(cursor);
                    cursor += 4 + namespaceLength;
                    int nameLength = buffer.getInt(cursor);
                    byte[] found = java.util.Arrays.copyOfRange(bytes, cursor + 4, cursor + 4 + nameLength);
                    if (java.util.Arrays.equals(found, nameBytes)) {
                        bytes[cursor + 4 + nameLength] ^= 0x01;
                        CRC32C crc = new CRC32C();
                        crc.update(bytes, at, 4);
                        crc.update(bytes, at + 8, 1 + length);
                        buffer.putInt(at + 4, (int) crc.getValue());
                        Files.write(segment, bytes);
                        return true;
                    }
                }
                at = payload + length;
            }
        }
        return false;
    }

    // ---- an independent check of the chain: RFC 8785 canonical JSON and SHA-256, written for this test ----

    private static void verifyChain(JsonArray events) {
        String previous = "0".repeat(64);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (JsonValue value : events) {
            JsonObject event = value.asJsonObject();
            assertTrue(ids.add(event.getString("id")), "one event per id");
            assertEquals(previous, event.getString("prevHash"), "prevHash links to the previous event");
            StringBuilder canonical = new StringBuilder();
            canonicalize(event, "hash", canonical);
            String hash = sha256Hex(canonical.toString());
            assertEquals(hash, event.getString("hash"), "hash of " + canonical);
            previous = hash;
        }
    }

    /** Members sorted by UTF-16 code units; {@code skip} left out at the top level. */
    private static void canonicalize(JsonValue value, String skip, StringBuilder out) {
        switch (value) {
            case JsonObject object -> {
                List<String> keys = new ArrayList<>(object.keySet());
                keys.remove(skip);
                keys.sort((a, b) -> {
                    for (int i = 0; i < Math.min(a.length(), b.length()); i++) {
                        if (a.charAt(i) != b.charAt(i)) {
                            return Character.compare(a.charAt(i), b.charAt(i));
                        }
                    }
                    return Integer.compare(a.length(), b.length());
                });
                out.append('{');
                String separator = "";
                for (String key : keys) {
                    out.append(separator);
                    quote(key, out);
                    out.append(':');
                    canonicalize(object.get(key), null, out);
                    separator = ",";
                }
                out.append('}');
            }
            case JsonString string -> quote(string.getString(), out);
            case JsonNumber number -> out.append(number.bigIntegerValueExact());
            default -> {
                if (value == JsonValue.NULL) {
                    out.append("null");
                } else {
                    fail("unexpected member " + value);
                }
            }
        }
    }

    private static void quote(String text, StringBuilder out) {
        out.append('"');
        text.codePoints().forEach(cp -> {
            String escaped = switch (cp) {
                case 0x22 -> "\\\"";
                case 0x5C -> "\\\\";
                case 0x08 -> "\\b";
                case 0x0C -> "\\f";
                case 0x0A -> "\\n";
                case 0x0D -> "\\r";
                case 0x09 -> "\\t";
                default -> cp < 0x20 ? "\\u00" + HexFormat.of().toHexDigits((byte) cp) : Character.toString(cp);
            };
            out.append(escaped);
        });
        out.append('"');
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ---- helpers ----

    private static void assertMarkerAbsent(String marker) {
        try {
            assertEquals(List.of(), PlaintextScan.filesHolding(dir, marker), "a form of the marker is on disk");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Reply waitForStatus(int status, java.util.function.Supplier<Reply> call) {
        Reply reply = call.get();
        for (long deadline = System.nanoTime() + 3_000_000_000L; reply.status() != status && System.nanoTime() < deadline; ) {
            pause();
            reply = call.get();
        }
        return reply;
    }

    private static void waitFor(long millis, BooleanSupplier condition) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + millis + " ms");
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
