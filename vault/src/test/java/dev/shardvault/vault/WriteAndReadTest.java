package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.vault.Client.Answer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The write and read rules on a healthy 5-node cluster (k = 3, W = 3). */
class WriteAndReadTest extends ClusterTestBase {


    @Test
    void createThenReadThroughAnotherNodeReturnsTheValue() {
        Answer created = cluster.client(1).create("DB_PASSWORD", "hunter2", null, "2026-11-23T10:15:30.123Z");
        assertEquals(201, created.status(), created.body().toString());
        assertEquals(1, created.version());
        assertEquals("2026-11-23T10:15:30.123Z", created.body().getString("validFrom"));
        Answer read = cluster.client(4).read("DB_PASSWORD");
        assertEquals(200, read.status());
        assertEquals("hunter2", read.value());
        assertEquals(1, read.version());
        assertTrue(read.body().isNull("validTo"));
    }

    @Test
    void everyNodeHoldsExactlyOneShareOfTheNewVersion() {
        cluster.client(2).create("API_KEY", "k-123");
        // The create returns once W = 3 nodes hold their share; the commit reaches the other two just after.
        eventually("every node applies the commit", () -> {
            for (int id = 1; id <= 5; id++) {
                if (cluster.node(id).store().view(new dev.shardvault.vault.model.SecretId("default", "API_KEY"))
                        instanceof dev.shardvault.vault.model.SecretView.Absent) {
                    return false;
                }
            }
            return true;
        });
        for (int id = 1; id <= 5; id++) {
            var state = cluster.node(id).store().read(new dev.shardvault.vault.model.SecretId("default", "API_KEY"),
                                                      dev.shardvault.vault.store.Selector.LATEST);
            assertEquals(1, state.version(), "node " + id);
            assertEquals("k-123".length() + 32, state.share().length, "node " + id + " holds a share as long as the sealed value");
        }
    }

    @Test
    void createOfExistingNameIs409() {
        cluster.client(1).create("TOKEN", "a");
        Answer again = cluster.client(3).create("TOKEN", "b");
        assertEquals(409, again.status());
        assertEquals("urn:shardvault:secret-exists", again.type());
        assertEquals("a", cluster.client(5).read("TOKEN").value());
    }

    @Test
    void updateMakesTheNextVersionAndHistoryKeepsValidityIntervals() {
        cluster.client(1).create("S", "one", null, "2026-01-01T00:00:00.000Z");
        Answer second = cluster.client(2).update("S", "two", -1, "2026-01-02T00:00:00.000Z");
        assertEquals(200, second.status(), second.body().toString());
        assertEquals(2, second.version());
        // A request stamped earlier than the previous version still starts after it: intervals never overlap.
        Answer third = cluster.client(3).update("S", "three", -1, "2025-12-31T00:00:00.000Z");
        assertEquals(3, third.version());
        assertEquals("2026-01-02T00:00:00.000Z", third.body().getString("validFrom"));

        JsonObject history = cluster.client(4).history("S").body();
        var versions = history.getJsonArray("versions");
        assertEquals(3, versions.size());
        assertEquals("2026-01-02T00:00:00.000Z", versions.getJsonObject(0).getString("validTo"));
        assertEquals("2026-01-02T00:00:00.000Z", versions.getJsonObject(1).getString("validFrom"));
        assertTrue(versions.getJsonObject(2).isNull("validTo"));

        assertEquals("one", cluster.client(5).read("S", "version=1").value());
        assertEquals("2026-01-02T00:00:00.000Z", cluster.client(5).read("S", "version=1").body().getString("validTo"));
        assertEquals("three", cluster.client(5).read("S").value());
    }

    @Test
    void readAsOfAnInstantUsesHalfOpenIntervals() {
        cluster.client(1).create("S", "one", null, "2026-01-01T00:00:00.000Z");
        cluster.client(1).update("S", "two", -1, "2026-01-02T00:00:00.000Z");
        assertEquals("one", cluster.client(2).read("S", "at=2026-01-01T12:00:00.000Z").value());
        assertEquals("two", cluster.client(2).read("S", "at=2026-01-02T00:00:00.000Z").value());
        assertEquals("one", cluster.client(2).read("S", "at=2026-01-01T23:59:59.999Z").value());
        Answer before = cluster.client(2).read("S", "at=2025-06-01T00:00:00Z");
        assertEquals(404, before.status());
        assertEquals("urn:shardvault:version-not-found", before.type());
        assertEquals("urn:shardvault:version-not-found", cluster.client(2).read("S", "version=9").type());
    }

    @Test
    void updateOfMissingSecretIs404AndStaleExpectedVersionIs412() {
        Answer missing = cluster.client(1).update("NOPE", "x");
        assertEquals(404, missing.status());
        assertEquals("urn:shardvault:secret-not-found", missing.type());
        cluster.client(1).create("S", "one");
        cluster.client(1).update("S", "two");
        Answer stale = cluster.client(2).update("S", "three", 1, Client.now());
        assertEquals(412, stale.status());
        assertEquals(2, stale.body().getJsonNumber("currentVersion").longValue());
        assertEquals("two", cluster.client(3).read("S").value());
        assertEquals(200, cluster.client(2).update("S", "three", 2, Client.now()).status());
    }

    @Test
    void retryWithTheSameIdempotencyKeyReturnsTheFirstOutcomeThroughAnyNode() {
        Answer first = cluster.client(1).create("K", "v", "key-1", Client.now());
        Answer retry = cluster.client(3).create("K", "v", "key-1", Client.now());
        assertEquals(201, retry.status(), retry.body().toString());
        assertEquals(first.version(), retry.version());
        assertEquals(first.body().getString("validFrom"), retry.body().getString("validFrom"));
        assertEquals(1, cluster.client(2).history("K").body().getJsonArray("versions").size());
        // The same key in an update is one update, however often it is sent.
        assertEquals(2, cluster.client(2).send("PUT", "/internal/v1/secrets/default/K",
                Json.createObjectBuilder().add("value", "w").add("requestTime", Client.now()).add("idempotencyKey", "key-2")
                        .build().toString()).version());
        assertEquals(2, cluster.client(4).send("PUT", "/internal/v1/secrets/default/K",
                Json.createObjectBuilder().add("value", "w").add("requestTime", Client.now()).add("idempotencyKey", "key-2")
                        .build().toString()).version());
        assertEquals(2, cluster.client(5).history("K").body().getJsonArray("versions").size());
    }

    @Test
    void aBatchCreatesEverySecretInOneTransactionOrNone() {
        JsonObject batch = Json.createObjectBuilder().add("requestTime", Client.now())
                .add("creates", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("name", "A").add("value", "1"))
                        .add(Json.createObjectBuilder().add("name", "B").add("value", "2")))
                .build();
        Answer created = cluster.client(1).batch(batch);
        assertEquals(201, created.status(), created.body().toString());
        assertEquals(2, created.body().getJsonArray("outcomes").size());
        JsonObject clash = Json.createObjectBuilder().add("requestTime", Client.now())
                .add("creates", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("name", "C").add("value", "3"))
                        .add(Json.createObjectBuilder().add("name", "B").add("value", "4")))
                .build();
        Answer refused = cluster.client(2).batch(clash);
        assertEquals(409, refused.status());
        assertEquals("B", refused.body().getJsonArray("errors").getJsonObject(0).getString("name"));
        assertEquals(404, cluster.client(3).read("C").status(), "nothing of a refused batch is created");
        assertEquals("2", cluster.client(3).read("B").value());
    }

    @Test
    void listingIsSortedPagedAndHasNoValues() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            names.add("N" + i);
            cluster.client(1 + i % 5).create("N" + i, "secret-" + i);
        }
        JsonObject first = cluster.client(2).list("limit=3").body();
        assertEquals(List.of("N0", "N1", "N2"), first.getJsonArray("secrets").stream()
                .map(v -> v.asJsonObject().getString("name")).toList());
        assertEquals("N2", first.getString("next"));
        assertTrue(!first.toString().contains("secret-"), "a listing must not carry values");
        JsonObject rest = cluster.client(3).list("after=N2&limit=10").body();
        assertEquals(4, rest.getJsonArray("secrets").size());
        assertTrue(rest.isNull("next"));
    }

    @Test
    void malformedRequestsAre4xxAndChangeNothing() {
        Client client = cluster.client(1);
        assertEquals(400, client.send("POST", "/internal/v1/secrets/default", "{not json").status());
        assertEquals(400, client.send("POST", "/internal/v1/secrets/default",
                                      "{\"name\":\"lower\",\"value\":\"x\",\"requestTime\":\"" + Client.now() + "\"}").status());
        assertEquals(400, client.send("POST", "/internal/v1/secrets/default", "{\"name\":\"OK\",\"value\":\"x\"}").status());
        assertEquals(400, client.send("POST", "/internal/v1/secrets/default",
                                      "{\"name\":\"OK\",\"value\":7,\"requestTime\":\"" + Client.now() + "\"}").status());
        Answer huge = client.create("BIG", "x".repeat(65537));
        assertEquals(413, huge.status());
        assertEquals("urn:shardvault:too-large", huge.type());
        assertEquals(400, client.read("OK", "version=0").status());
        assertEquals(400, client.read("OK", "at=yesterday").status());
        assertEquals(0, client.list("").body().getJsonArray("secrets").size());
    }

    @Test
    void aRequestWithoutTheGatewaysAuthorizationForItIsRefusedAndChangesNothing() {
        Client client = cluster.client(1);
        long now = System.currentTimeMillis();
        String stamp = java.time.Instant.ofEpochMilli(now).toString();
        String body = "{\"name\":\"GUARDED\",\"value\":\"x\",\"requestTime\":\"" + stamp + "\"}";
        String path = "/internal/v1/secrets/default";
        java.util.Map<String, dev.shardvault.tls.ReleaseGrant> refused = new java.util.LinkedHashMap<>();
        refused.put("none", null);
        refused.put("another name", TestGrants.grant(dev.shardvault.tls.ReleaseGrant.Kind.WRITE, 1, "default", List.of("OTHER"), now));
        refused.put("another node", TestGrants.grant(dev.shardvault.tls.ReleaseGrant.Kind.WRITE, 2, "default", List.of("GUARDED"), now));
        refused.put("another kind", TestGrants.grant(dev.shardvault.tls.ReleaseGrant.Kind.READ, 1, "default", List.of("GUARDED"), now));
        refused.put("another requestTime", TestGrants.grant(dev.shardvault.tls.ReleaseGrant.Kind.WRITE, 1, "default",
                                                            List.of("GUARDED"), now + 60_000));
        refused.put("expired", TestGrants.grant(dev.shardvault.tls.ReleaseGrant.Kind.WRITE, 1, "default", List.of("GUARDED"),
                                                now, now - 60_000));
        refused.forEach((why, grant) -> {
            Answer answer = client.sendWith("POST", path, body, grant);
            assertEquals(403, answer.status(), why + ": " + answer);
            assertEquals("urn:shardvault:forbidden", answer.type(), why);
        });
        assertEquals(404, client.read("GUARDED").status(), "nothing was written");
        assertEquals(201, client.send("POST", path, body).status(), "the same request, authorized, is written");
        assertEquals(403, client.sendWith("GET", path + "/GUARDED", null, null).status(), "and read only when authorized");
    }
}
