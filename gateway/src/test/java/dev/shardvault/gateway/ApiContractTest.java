package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.Api.Reply;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.store.PrepareResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every row of the public problem table, and the success shapes, through real HTTP against a real gateway
 * and a real five-node vault cluster. Tests that stop nodes live in {@link ApiUnderFailureTest}.
 */
class ApiContractTest {

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static Api api;

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
        api = new Api(cluster.gateway(), LocalCluster.FULL);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void createReturns201WithLocationEtagAndValidFrom() {
        Reply created = api.create("DB_PASSWORD", "hunter2");
        assertEquals(201, created.status(), created.text());
        assertEquals("/v1/secrets/DB_PASSWORD", created.header("Location"));
        assertEquals("\"1\"", created.header("ETag"));
        assertEquals(Map.of("name", "DB_PASSWORD"), Map.of("name", created.json().getString("name")));
        assertEquals(1, created.version());
        assertTrue(created.json().getString("validFrom").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        Reply read = api.read("DB_PASSWORD");
        assertEquals(200, read.status());
        assertEquals("hunter2", read.json().getString("value"));
        assertEquals("\"1\"", read.header("ETag"));
        assertTrue(read.json().isNull("validTo"));
    }

    @Test
    void updateHistoryAndReadsByVersionAndTime() throws Exception {
        api.create("ROTATING", "one");
        Thread.sleep(5);
        Reply second = api.update("ROTATING", "two");
        assertEquals(200, second.status(), second.text());
        assertEquals("\"2\"", second.header("ETag"));
        Reply history = api.read("ROTATING/versions");
        var versions = history.json().getJsonArray("versions");
        assertEquals(2, versions.size());
        String v2From = versions.getJsonObject(1).getString("validFrom");
        assertEquals(v2From, versions.getJsonObject(0).getString("validTo"));
        assertEquals("one", api.read("ROTATING?version=1").json().getString("value"));
        assertEquals("two", api.read("ROTATING?at=" + v2From).json().getString("value"));
        assertEquals("one", api.read("ROTATING?at=" + versions.getJsonObject(0).getString("validFrom")).json().getString("value"));
    }

    @Test
    void listIsSortedAndPaged() {
        for (String name : List.of("LIST_C", "LIST_A", "LIST_B")) {
            api.create(name, "x");
        }
        Reply page = api.send("GET", "/v1/secrets?after=LIST_&limit=2", null, null, Map.of());
        assertEquals(200, page.status(), page.text());
        var secrets = page.json().getJsonArray("secrets");
        assertEquals("LIST_A", secrets.getJsonObject(0).getString("name"));
        assertEquals("LIST_B", secrets.getJsonObject(1).getString("name"));
        assertEquals("LIST_B", page.json().getString("next"));
        assertTrue(!page.text().contains("\"value\""));
    }

    // ---- 400 invalid-request ----

    @Test
    void malformedJsonIs400() {
        Reply reply = api.send("POST", "/v1/secrets", "{\"name\": ", "application/json", Map.of());
        assertEquals(400, reply.status());
        assertEquals("urn:shardvault:invalid-request", reply.type());
        assertEquals(Problem.CONTENT_TYPE, reply.header("Content-Type"));
    }

    @Test
    void missingFieldUnknownFieldBadNameAndBadTypeAre400WithTheField() {
        assertEquals("value", field(api.send("POST", "/v1/secrets", "{\"name\":\"A\"}", "application/json", Map.of())));
        assertEquals("colour", field(api.send("POST", "/v1/secrets", "{\"name\":\"A\",\"value\":\"x\",\"colour\":\"red\"}",
                                               "application/json", Map.of())));
        assertEquals("name", field(api.create("lower_case", "x")));
        assertEquals("value", field(api.send("POST", "/v1/secrets", "{\"name\":\"A\",\"value\":42}", "application/json", Map.of())));
        assertEquals("version", field(api.read("A?version=zero")));
        assertEquals("at", field(api.read("A?at=tomorrow")));
        assertEquals("limit", field(api.send("GET", "/v1/secrets?limit=1001", null, null, Map.of())));
        assertEquals("Idempotency-Key", field(api.send("POST", "/v1/secrets", Api.json(Map.of("name", "A", "value", "x")),
                                                       "application/json", Map.of("Idempotency-Key", "has space"))));
        assertEquals(404, api.read("A").status(), "nothing was created by any of them");
    }

    @Test
    void ambiguousJsonIs400WithTheFieldAndCreatesNothing() {
        // Repeated members: which one a reader keeps is implementation-defined, so neither is chosen.
        Reply repeated = api.send("POST", "/v1/secrets", "{\"name\":\"DUP_A\",\"value\":\"first\",\"value\":\"second\",\"name\":\"DUP_B\"}",
                                  "application/json", Map.of());
        assertEquals("value", field(repeated));
        assertTrue(repeated.json().getString("detail").contains("more than once"), repeated.text());
        // An escaped lone surrogate is no Unicode character: refused, not stored as '?'.
        Reply lone = api.send("POST", "/v1/secrets", "{\"name\":\"SURROGATE\",\"value\":\"a\\ud800b\"}", "application/json", Map.of());
        assertEquals("value", field(lone));
        // 50,000 levels deep: a 400 after 32, not a stack overflow.
        String deep = "{\"name\":\"DEEP\",\"value\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
        Reply nested = api.send("POST", "/v1/secrets", deep, "application/json", Map.of());
        assertEquals("value", field(nested));
        assertTrue(nested.json().getString("detail").contains("deeper than 32"), nested.text());
        for (String name : List.of("DUP_A", "DUP_B", "SURROGATE", "DEEP")) {
            assertEquals(404, api.read(name).status(), name + " was not created");
        }
        // A surrogate pair is one character, and comes back as sent.
        Reply pair = api.send("POST", "/v1/secrets", "{\"name\":\"EMOJI\",\"value\":\"\\ud83d\\ude00\"}", "application/json", Map.of());
        assertEquals(201, pair.status(), pair.text());
        assertEquals("\ud83d\ude00", api.read("EMOJI").json().getString("value"));
    }

    @Test
    void aRepeatedAuthorityOrPreconditionHeaderIs400() {
        api.create("REPEATED", "one");
        String body = Api.json(Map.of("value", "two"));
        assertRepeatRefused("Authorization", api.as(null).sendRepeated("PUT", "/v1/secrets/REPEATED", body, "application/json",
                "Authorization", "Bearer " + LocalCluster.FULL, "Bearer " + LocalCluster.FULL));
        assertRepeatRefused("Idempotency-Key", api.sendRepeated("PUT", "/v1/secrets/REPEATED", body, "application/json",
                "Idempotency-Key", "k1", "k1"));
        assertRepeatRefused("If-Match", api.sendRepeated("PUT", "/v1/secrets/REPEATED", body, "application/json",
                "If-Match", "\"1\"", "\"1\""));
        assertRepeatRefused("Content-Type", api.sendRepeated("PUT", "/v1/secrets/REPEATED", body, null,
                "Content-Type", "application/json", "application/json"));
        assertEquals(1, api.read("REPEATED").version(), "no repeat changed anything");
    }

    private static void assertRepeatRefused(String header, Reply reply) {
        assertEquals(header, field(reply));
        assertTrue(reply.json().getString("detail").contains("at most once"), reply.text());
    }

    @Test
    void unroutedRequestsAreProblemsAndAWrongMethodIs405WithAllow() {
        Reply patch = api.send("PATCH", "/v1/secrets/X", "{}", "application/json", Map.of());
        assertEquals(405, patch.status(), patch.text());
        assertEquals("urn:shardvault:method-not-allowed", patch.type());
        assertEquals("GET, PUT, DELETE", patch.header("Allow"));
        assertEquals(Problem.CONTENT_TYPE, patch.header("Content-Type"));
        assertEquals("GET, POST", api.send("DELETE", "/v1/secrets", null, null, Map.of()).header("Allow"));
        for (String path : List.of("/", "/v1/nothing", "/v1/secrets/A/B/C", "/console")) {
            Reply missing = api.send("GET", path, null, null, Map.of());
            assertEquals(404, missing.status(), path + ": " + missing.text());
            assertEquals("urn:shardvault:not-found", missing.type(), path);
            assertEquals(Problem.CONTENT_TYPE, missing.header("Content-Type"), path);
        }
        assertEquals(404, api.read("X").status(), "the PATCH created nothing");
    }

    private static String field(Reply reply) {
        assertEquals(400, reply.status(), reply.text());
        assertEquals("urn:shardvault:invalid-request", reply.type());
        return reply.json().getJsonArray("errors").getJsonObject(0).getString("field");
    }

    @Test
    void wrongContentTypeIs415() {
        Reply reply = api.send("POST", "/v1/secrets", Api.json(Map.of("name", "CT", "value", "x")), "text/plain", Map.of());
        assertEquals(415, reply.status());
        assertEquals("urn:shardvault:invalid-request", reply.type());
        assertEquals(404, api.read("CT").status());
    }

    // ---- 401, 403, 404 and isolation ----

    @Test
    void missingOrUnknownTokenIs401() {
        Reply none = api.as(null).read("X");
        assertEquals(401, none.status());
        assertEquals("urn:shardvault:unauthorized", none.type());
        assertEquals("Bearer", none.header("WWW-Authenticate"));
        assertEquals(401, api.as("not-a-token").read("X").status());
        assertEquals(401, api.as(null).send("GET", "/v1/status", null, null, Map.of()).status());
    }

    @Test
    void tokenWithoutTheActionIs403() {
        Reply reply = api.as(LocalCluster.READ_ONLY).create("FORBIDDEN", "x");
        assertEquals(403, reply.status());
        assertEquals("urn:shardvault:forbidden", reply.type());
        assertEquals(404, api.read("FORBIDDEN").status());
    }

    @Test
    void aSecretOfAnotherNamespaceDoesNotExist() {
        api.create("SHARED_NAME", "mine");
        Api other = api.as(LocalCluster.OTHER_NAMESPACE);
        Reply read = other.read("SHARED_NAME");
        assertEquals(404, read.status());
        assertEquals("urn:shardvault:secret-not-found", read.type());
        assertEquals(201, other.create("SHARED_NAME", "theirs").status(), "the same NAME elsewhere is another secret");
        assertEquals("mine", api.read("SHARED_NAME").json().getString("value"));
        assertEquals("theirs", other.read("SHARED_NAME").json().getString("value"));
    }

    @Test
    void missingSecretAndMissingVersionAre404WithTheirTypes() {
        assertEquals("urn:shardvault:secret-not-found", api.read("NEVER_WRITTEN").type());
        assertEquals("urn:shardvault:secret-not-found", api.update("NEVER_WRITTEN", "x").type());
        api.create("ONE_VERSION", "x");
        Reply reply = api.read("ONE_VERSION?version=2");
        assertEquals(404, reply.status());
        assertEquals("urn:shardvault:version-not-found", reply.type());
    }

    // ---- 409, 412, 413 ----

    @Test
    void createOfExistingNameIs409() {
        api.create("TAKEN", "a");
        Reply reply = api.create("TAKEN", "b");
        assertEquals(409, reply.status());
        assertEquals("urn:shardvault:secret-exists", reply.type());
    }

    @Test
    void staleIfMatchIs412WithCurrentVersion() {
        api.create("GUARDED", "a");
        api.update("GUARDED", "b");
        Reply stale = api.send("PUT", "/v1/secrets/GUARDED", Api.json(Map.of("value", "c")), "application/json",
                               Map.of("If-Match", "\"1\""));
        assertEquals(412, stale.status());
        assertEquals("urn:shardvault:version-mismatch", stale.type());
        assertEquals(2, stale.json().getInt("currentVersion"));
        Reply fresh = api.send("PUT", "/v1/secrets/GUARDED", Api.json(Map.of("value", "c")), "application/json",
                               Map.of("If-Match", "\"2\""));
        assertEquals(200, fresh.status());
    }

    @Test
    void tooLargeValueAndBodyAre413WithTheLimit() {
        Reply value = api.create("HUGE", "x".repeat(65537));
        assertEquals(413, value.status());
        assertEquals("urn:shardvault:too-large", value.type());
        assertEquals(65536, value.json().getInt("limit"));
        Reply body = api.env("A=" + "y".repeat((1 << 20) + 10));
        assertEquals(413, body.status(), body.text());
        assertEquals(1 << 20, body.json().getInt("limit"));
        assertEquals(404, api.read("HUGE").status());
    }

    @Test
    void aLockHeldThroughEveryRetryIs409WriteConflictInVoting() throws Exception {
        // A coordinator that prepared LOCKED everywhere and vanished: the lock outlives the write budget.
        TxnId txn = TxnId.newAttempt(RequestId.random());
        for (int node = 1; node <= 5; node++) {
            Identity otherNode = Identity.node(node == 5 ? 4 : 5);
            try (HttpPeer peer = new HttpPeer(0, node, cluster.config().node(node).peerUri(), TestTls.client(otherNode),
                                              Duration.ofSeconds(1), Duration.ofSeconds(5), PeerLink.DIRECT)) {
                PrepareResult vote = peer.prepare(new PrepareRequest(txn, 5, List.of(
                        new Op.Put(new SecretId("default", "LOCKED"), Op.Put.Kind.CREATE, -1, new byte[] {1}))));
                assertInstanceOf(PrepareResult.Voted.class, vote);
            }
        }
        Reply reply = api.create("LOCKED", "x");
        assertEquals(409, reply.status(), reply.text());
        assertEquals("urn:shardvault:write-conflict", reply.type());
        assertEquals("voting", reply.json().getString("phase"));
    }

    // ---- idempotency ----

    @Test
    void retryWithTheSameKeyAndBodyReturnsTheFirstOutcome() {
        Map<String, String> key = Map.of("Idempotency-Key", "create-once-1");
        String body = Api.json(Map.of("name", "ONCE", "value", "v"));
        Reply first = api.send("POST", "/v1/secrets", body, "application/json", key);
        Reply again = api.send("POST", "/v1/secrets", body, "application/json", key);
        assertEquals(201, first.status());
        assertEquals(201, again.status(), again.text());
        assertEquals(first.version(), again.version());
        assertEquals(first.json().getString("validFrom"), again.json().getString("validFrom"));
    }

    @Test
    void aRetryAfterTheKeysSecretWasDeletedIsRefusedForGoodNotLeftUnconfirmed() {
        Map<String, String> key = Map.of("Idempotency-Key", "create-then-delete-1");
        String body = Api.json(Map.of("name", "GONE_SINCE", "value", "v"));
        assertEquals(201, api.send("POST", "/v1/secrets", body, "application/json", key).status());
        assertEquals(200, api.send("DELETE", "/v1/secrets/GONE_SINCE", null, null, Map.of()).status());
        // Its value is erased: the retry cannot be told from a different request, and no retry will change that.
        // (It was a 503 commit-unconfirmed that asked to retry with the same key, for ever.)
        Reply again = api.send("POST", "/v1/secrets", body, "application/json", key);
        assertEquals(409, again.status(), again.text());
        assertEquals("urn:shardvault:idempotency-key-reused", again.type());
        assertTrue(again.json().getString("detail").contains("since been deleted"), again.text());
        assertEquals(404, api.read("GONE_SINCE").status(), "nothing was written");
        assertEquals(201, api.create("GONE_SINCE", "v").status(), "a new key (here: none) creates it again");
    }

    @Test
    void theSameKeyWithADifferentBodyIsRefused() {
        Map<String, String> key = Map.of("Idempotency-Key", "update-once-1");
        api.create("KEYED", "v1");
        assertEquals(200, api.send("PUT", "/v1/secrets/KEYED", Api.json(Map.of("value", "v2")), "application/json", key).status());
        Reply reused = api.send("PUT", "/v1/secrets/KEYED", Api.json(Map.of("value", "DIFFERENT")), "application/json", key);
        assertEquals(409, reused.status(), reused.text());
        assertEquals("urn:shardvault:idempotency-key-reused", reused.type());
        assertEquals("v2", api.read("KEYED").json().getString("value"));
        assertEquals(2, api.read("KEYED/versions").json().getJsonArray("versions").size());
    }

    // ---- delete ----

    @Test
    void deleteErasesAndReportsHowManyNodesErased() {
        api.create("DOOMED", "x");
        Reply forbidden = api.as(LocalCluster.NO_ENV).send("DELETE", "/v1/secrets/DOOMED", null, null, Map.of());
        assertEquals(403, forbidden.status());
        Reply deleted = api.send("DELETE", "/v1/secrets/DOOMED", null, null, Map.of());
        assertEquals(200, deleted.status(), deleted.text());
        assertEquals("DOOMED", deleted.json().getString("name"));
        assertTrue(deleted.json().getBoolean("deleted"));
        int erasedOn = deleted.json().getInt("erasedOn");
        assertTrue(erasedOn >= 3 && erasedOn <= 5, "erasedOn " + erasedOn); // at least D; more if they answered in time
        assertEquals(5, deleted.json().getInt("nodes"));
        assertEquals(3, deleted.json().getInt("threshold"));
        assertEquals(3, deleted.json().getInt("required"));
        assertEquals(404, api.read("DOOMED").status());
        Reply again = api.send("DELETE", "/v1/secrets/DOOMED", null, null, Map.of());
        assertEquals(404, again.status());
        assertEquals("urn:shardvault:secret-not-found", again.type());
        Reply recreated = api.create("DOOMED", "y");
        assertEquals(1, recreated.version());
    }

    // ---- .env ----

    @Test
    void envEncryptThenExpandGivesBackTheOriginalValues() {
        String original = "# app\nexport ENV_DB=\"enc(p@ss word#1 \\\"q\\\")\"\nENV_KEY=enc(sk-123)\r\nPLAIN=keep # me\n";
        Reply encrypted = api.env(original);
        assertEquals(200, encrypted.status(), encrypted.text());
        assertEquals("# app\nexport ENV_DB=secret(ENV_DB)\nENV_KEY=secret(ENV_KEY)\r\nPLAIN=keep # me\n", encrypted.text());
        assertTrue(encrypted.header("Content-Type").startsWith("text/plain"));
        assertEquals("p@ss word#1 \"q\"", api.read("ENV_DB").json().getString("value"));
        Reply expanded = api.env(encrypted.text());
        assertEquals(200, expanded.status(), expanded.text());
        assertEquals("# app\nexport ENV_DB='p@ss word#1 \"q\"'\nENV_KEY=sk-123\r\nPLAIN=keep # me\n", expanded.text());
    }

    @Test
    void envWithUnresolvedReferencesIs422ListingEveryLineAndCreatesNothing() {
        Reply reply = api.env("A=secret(ENV_MISSING_1)\nENV_NEW=enc(x)\nB=\"x secret(ENV_MISSING_2)\"\n");
        assertEquals(422, reply.status(), reply.text());
        assertEquals("urn:shardvault:env-unresolved", reply.type());
        var errors = reply.json().getJsonArray("errors");
        assertEquals(2, errors.size());
        assertEquals(1, errors.getJsonObject(0).getInt("line"));
        assertEquals("secret(ENV_MISSING_1)", errors.getJsonObject(0).getString("reference"));
        assertEquals("not-found", errors.getJsonObject(0).getString("reason"));
        assertEquals(3, errors.getJsonObject(1).getInt("line"));
        assertEquals(404, api.read("ENV_NEW").status(), "all or nothing");
    }

    @Test
    void envWithExistingOrDuplicateTargetsIs409AndCreatesNothing() {
        api.create("ENV_TAKEN", "x");
        Reply reply = api.env("ENV_TAKEN=enc(y)\nENV_FRESH=enc(z)\n");
        assertEquals(409, reply.status(), reply.text());
        assertEquals("urn:shardvault:env-conflict", reply.type());
        assertEquals("exists", reply.json().getJsonArray("errors").getJsonObject(0).getString("reason"));
        assertEquals(404, api.read("ENV_FRESH").status());
        Reply duplicate = api.env("ENV_TWICE=enc(a)\nENV_TWICE=enc(b)\n");
        assertEquals(409, duplicate.status());
        assertEquals(404, api.read("ENV_TWICE").status());
    }

    @Test
    void brokenEnvSyntaxIs400AndWrongTypeIs415AndNoEnvActionIs403() {
        Reply broken = api.env("ENV_OK=enc(1)\nthis is not dotenv\n");
        assertEquals(400, broken.status());
        assertEquals(2, broken.json().getJsonArray("errors").getJsonObject(0).getInt("line"));
        assertEquals(415, api.send("POST", "/v1/env", "A=1", "application/json", Map.of()).status());
        assertEquals(403, api.as(LocalCluster.NO_ENV).env("A=1\n").status());
        assertEquals(404, api.read("ENV_OK").status());
    }

    // ---- operations ----

    @Test
    void statusListsEveryNodeAndTheClusterShape() {
        Reply status = api.send("GET", "/v1/status", null, null, Map.of());
        assertEquals(200, status.status());
        assertEquals(5, status.json().getJsonArray("nodes").size());
        assertEquals(3, status.json().getInt("k"));
        assertEquals(3, status.json().getInt("writeQuorum"));
        assertEquals(3, status.json().getInt("deleteQuorum"));
        assertEquals(1, status.json().getInt("repairTriggerBuffer"));
        assertTrue(status.json().getJsonArray("nodes").getJsonObject(0).getBoolean("up"));
    }

    @Test
    void healthAndPrometheusMetricsAreServed() {
        Api anonymous = api.as(null);
        Reply health = anonymous.send("GET", "/observe/health", null, null, Map.of());
        assertEquals(200, health.status(), health.text());
        api.read("NOT_THERE");
        Reply metrics = anonymous.send("GET", "/observe/metrics", null, null, Map.of("Accept", "text/plain"));
        assertEquals(200, metrics.status());
        assertTrue(metrics.text().contains("shardvault_gateway_requests"), metrics.text().lines().limit(20).toList().toString());
        assertTrue(metrics.text().contains("route=\"/v1/secrets/{name}\""));
    }

    /** Problem's content type, for assertions. */
    static final class Problem {
        static final String CONTENT_TYPE = dev.shardvault.gateway.problem.Problem.CONTENT_TYPE;
    }
}
