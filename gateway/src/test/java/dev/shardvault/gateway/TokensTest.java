package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.Api.Reply;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens as capabilities, through real gateways in front of a real five-node cluster: minted, narrowed,
 * delegated and revoked at run time, seen by a second gateway within a second, scoped to names and prefixes.
 */
class TokensTest {

    /** The contract: a token minted or revoked through one gateway is seen by every gateway within 1 s. */
    private static final long VISIBLE_WITHIN_MILLIS = 1_000;

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static Gateway second;
    static Api one;
    static Api two;

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
        second = cluster.startGateway();
        one = new Api(cluster.gateway(), LocalCluster.FULL);
        two = new Api(second.uri(), LocalCluster.FULL);
    }

    @AfterAll
    static void stop() {
        second.close();
        cluster.close();
    }

    private static Reply mint(Api as, String body) {
        return as.send("POST", "/v1/tokens", body, "application/json", Map.of());
    }

    private static Api bearer(Api at, Reply minted) {
        assertEquals(201, minted.status(), minted.text());
        return at.as(minted.json().getString("token"));
    }

    /** Waits until {@code call} answers {@code status}, at most {@code millis}; returns how long it took. */
    private static long within(long millis, int status, Supplier<Reply> call) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + millis * 1_000_000L;
        Reply last;
        do {
            last = call.get();
            if (last.status() == status) {
                return (System.nanoTime() - started) / 1_000_000L;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("still " + last.status() + " after " + millis + " ms, wanted " + status + ": " + last.text());
    }

    private static Set<String> ids(Reply list) {
        return list.json().getJsonArray("tokens").stream().map(t -> t.asJsonObject().getString("id")).collect(Collectors.toSet());
    }

    @Test
    void mintUseNarrowDelegateAndRevokeThroughTwoGateways() throws Exception {
        Reply mintedA = mint(one, "{\"actions\":[\"read\",\"write\",\"grant\"],\"prefixes\":[\"APP_\"],\"label\":\"app\"}");
        Api aOnTwo = bearer(two, mintedA);
        String idA = mintedA.json().getString("id");
        assertTrue(idA.matches("tok_[a-z2-7]{20}"), idA);
        assertEquals(List.of("read", "write", "grant"), mintedA.json().getJsonArray("actions").getValuesAs(
                jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).toList());
        assertTrue(mintedA.json().isNull("expiresAt"));

        within(VISIBLE_WITHIN_MILLIS, 201, () -> aOnTwo.create("APP_KEY", "k-1"));
        Reply mintedB = mint(aOnTwo, "{\"actions\":[\"read\"],\"names\":[\"APP_KEY\"],\"ttlSeconds\":3600}");
        Api bOnOne = bearer(one, mintedB);
        String idB = mintedB.json().getString("id");
        assertEquals(idA, mintedB.json().getString("parent"));
        within(VISIBLE_WITHIN_MILLIS, 200, () -> bOnOne.read("APP_KEY"));
        assertEquals("k-1", bOnOne.read("APP_KEY").json().getString("value"));
        assertEquals(403, bOnOne.update("APP_KEY", "nope").status(), "B may only read");

        Reply listed = one.send("GET", "/v1/tokens", null, null, Map.of());
        assertTrue(ids(listed).containsAll(Set.of(idA, idB)), listed.text());
        assertFalse(listed.text().contains(mintedB.json().getString("token")), "a listing never shows a bearer value");

        Reply revoked = one.send("DELETE", "/v1/tokens/" + idA, null, null, Map.of());
        assertEquals(200, revoked.status(), revoked.text());
        assertEquals(Set.of(idA, idB), revoked.json().getJsonArray("revoked").stream()
                .map(v -> ((jakarta.json.JsonString) v).getString()).collect(Collectors.toSet()));
        Api bOnTwo = two.as(mintedB.json().getString("token"));
        Api aOnOne = one.as(mintedA.json().getString("token"));
        assertEquals(401, bOnOne.read("APP_KEY").status(), "the gateway that revoked knows at once");
        assertEquals(401, aOnOne.read("APP_KEY").status());
        within(VISIBLE_WITHIN_MILLIS, 401, () -> bOnTwo.read("APP_KEY"));
        Reply refused = aOnTwo.read("APP_KEY");
        assertEquals(401, refused.status());
        assertTrue(refused.json().getString("detail").contains("revoked"), refused.text());
        assertEquals("k-1", one.read("APP_KEY").json().getString("value"), "the secret itself is untouched");

        JsonObject afterRevoke = two.send("GET", "/v1/tokens", null, null, Map.of()).json();
        for (JsonValue token : afterRevoke.getJsonArray("tokens")) {
            String id = token.asJsonObject().getString("id");
            if (id.equals(idA) || id.equals(idB)) {
                assertTrue(token.asJsonObject().getBoolean("revoked"), id + " is listed as revoked");
            }
        }
    }

    @Test
    void aTokenScopedToOneNameReachesOnlyThatName() {
        assertEquals(201, one.create("API_KEY", "the-key").status());
        assertEquals(201, one.create("DB_PASSWORD", "hunter2").status());
        Api scoped = bearer(one, mint(one, "{\"actions\":[\"read\",\"list\",\"env\",\"write\"],\"names\":[\"API_KEY\",\"NEW_ONE\"]}"));
        assertEquals("the-key", scoped.read("API_KEY").json().getString("value"));
        Reply existing = scoped.read("DB_PASSWORD");
        Reply missing = scoped.read("NEVER_THERE");
        assertEquals(403, existing.status());
        assertEquals(403, missing.status());
        assertEquals("urn:shardvault:forbidden", existing.type());
        assertEquals(existing.json().getString("detail").replace("DB_PASSWORD", "X"),
                     missing.json().getString("detail").replace("NEVER_THERE", "X"), "the same answer, existing or not");
        assertEquals(403, scoped.read("DB_PASSWORD/versions").status());
        assertEquals(403, scoped.send("DELETE", "/v1/secrets/DB_PASSWORD", null, null, Map.of()).status());
        assertEquals(403, scoped.create("OUTSIDE", "x").status());

        Reply list = scoped.send("GET", "/v1/secrets?limit=1000", null, null, Map.of());
        assertEquals(List.of("API_KEY"), list.json().getJsonArray("secrets").stream()
                .map(s -> s.asJsonObject().getString("name")).toList());

        Reply env = scoped.env("A=secret(API_KEY)\nB=secret(DB_PASSWORD)\n");
        assertEquals(422, env.status(), env.text());
        JsonObject error = env.json().getJsonArray("errors").getJsonObject(0);
        assertEquals(Map.of("line", 2, "reference", "secret(DB_PASSWORD)", "reason", "forbidden"),
                     Map.of("line", error.getInt("line"), "reference", error.getString("reference"), "reason", error.getString("reason")));
        Reply enc = scoped.env("NEW_ONE=enc(fresh)\nOUTSIDE=enc(nope)\n");
        assertEquals(422, enc.status(), enc.text());
        assertEquals(404, one.read("NEW_ONE").status(), "an enc() outside the scope fails the whole request");
        assertEquals(404, one.read("OUTSIDE").status());
    }

    @Test
    void everyWayOfAskingForMoreThanTheParentHasIs403AndMintsNothing() {
        Reply parent = mint(one, "{\"actions\":[\"read\",\"grant\"],\"names\":[\"A_ONE\"],\"prefixes\":[\"P_\"],\"ttlSeconds\":600}");
        Api narrow = bearer(one, parent);
        int before = ids(one.send("GET", "/v1/tokens", null, null, Map.of())).size();
        for (String wider : List.of(
                "{\"actions\":[\"write\"],\"names\":[\"A_ONE\"]}",
                "{\"actions\":[\"read\",\"delete\"],\"names\":[\"A_ONE\"]}",
                "{\"actions\":[\"read\"],\"names\":[\"OTHER\"]}",
                "{\"actions\":[\"read\"],\"prefixes\":[\"Q_\"]}",
                "{\"actions\":[\"read\"],\"prefixes\":[\"P\"]}",
                "{\"actions\":[\"read\"],\"prefixes\":[\"A_ONE\"]}",
                "{\"actions\":[\"read\"]}",
                "{\"actions\":[\"read\"],\"names\":[\"A_ONE\"],\"ttlSeconds\":3600}")) {
            Reply refused = mint(narrow, wider);
            assertEquals(403, refused.status(), wider + " -> " + refused.text());
            assertEquals("urn:shardvault:forbidden", refused.type());
        }
        Reply inside = mint(narrow, "{\"actions\":[\"read\"],\"names\":[\"P_X\"],\"prefixes\":[\"P_Y\"]}");
        assertEquals(201, inside.status(), inside.text());
        assertFalse(inside.json().isNull("expiresAt"), "a child of an expiring token expires");
        assertEquals(parent.json().getString("expiresAt"), inside.json().getString("expiresAt"));
        assertEquals(before + 1, ids(one.send("GET", "/v1/tokens", null, null, Map.of())).size(), "only the last one was minted");

        assertEquals(403, mint(new Api(cluster.gateway(), LocalCluster.READ_ONLY), "{\"actions\":[\"read\"]}").status(),
                     "minting needs grant");
        for (String bad : List.of("{}", "{\"actions\":[]}", "{\"actions\":[\"fly\"]}", "{\"actions\":[\"read\"],\"names\":[\"lower\"]}",
                                  "{\"actions\":[\"read\"],\"ttlSeconds\":0}", "{\"actions\":[\"read\"],\"ttlSeconds\":31536001}",
                                  "{\"actions\":[\"read\"],\"ttlSeconds\":1.5}", "{\"actions\":[\"read\"],\"extra\":1}")) {
            Reply refused = mint(one, bad);
            assertEquals(400, refused.status(), bad + " -> " + refused.text());
        }
    }

    @Test
    void anExpiredTokenIs401SayingSo() throws Exception {
        Api brief = bearer(one, mint(one, "{\"actions\":[\"read\"],\"ttlSeconds\":1}"));
        assertEquals(404, brief.read("NOT_THERE").status());
        within(3_000, 401, () -> brief.read("NOT_THERE"));
        Reply expired = brief.read("NOT_THERE");
        assertTrue(expired.json().getString("detail").contains("expired"), expired.text());
    }

    @Test
    void revokingIsLimitedToTheCallersOwnSubtree() {
        Reply a = mint(one, "{\"actions\":[\"read\",\"grant\"]}");
        Reply b = mint(one, "{\"actions\":[\"read\",\"grant\"]}");
        Api asA = bearer(one, a);
        bearer(one, b);
        Reply other = asA.send("DELETE", "/v1/tokens/" + b.json().getString("id"), null, null, Map.of());
        assertEquals(404, other.status(), other.text());
        Reply otherNamespace = new Api(cluster.gateway(), LocalCluster.OTHER_NAMESPACE)
                .send("DELETE", "/v1/tokens/" + a.json().getString("id"), null, null, Map.of());
        assertEquals(404, otherNamespace.status());
        assertEquals(400, one.send("DELETE", "/v1/tokens/nonsense", null, null, Map.of()).status());
        Reply own = asA.send("GET", "/v1/tokens", null, null, Map.of());
        assertEquals(Set.of(a.json().getString("id")), ids(own), "a token lists itself and what it minted, nothing else");
        assertEquals(404, asA.read("ANYTHING").status(), "a still works: refusals changed nothing");
    }

    @Test
    void mintedTokensSurviveAGatewayRestartAndTwoStoppedNodes() throws Exception {
        Reply minted = mint(one, "{\"actions\":[\"read\"]}");
        assertEquals(201, minted.status());
        cluster.stop(4);
        cluster.stop(5);
        try (Gateway fresh = cluster.startGateway()) {
            Api token = new Api(fresh.uri(), minted.json().getString("token"));
            within(VISIBLE_WITHIN_MILLIS, 404, () -> token.read("NOT_THERE"));
        } finally {
            cluster.start(4);
            cluster.start(5);
        }
    }
}
