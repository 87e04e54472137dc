package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.Api.Reply;
import dev.shardvault.gateway.RawHttp.Answer;
import dev.shardvault.gateway.problem.Problem;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an attacker or a careless client sends that an HTTP library would not: conflicting framing, oversized
 * lines, bodies that trickle or stop, unencoded {@code +}, parameters an operation does not take. Every answer is
 * a problem document, and nothing changes. (Ambiguous JSON and repeated headers: {@link ApiContractTest}.)
 */
class HostileInputTest {

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static Api api;
    static URI gateway;

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
        api = new Api(cluster.gateway(), LocalCluster.FULL);
        gateway = cluster.gateway();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static void assertProblem(Answer answer, int status, String type) {
        assertEquals(status, answer.status(), answer.body());
        assertEquals(Problem.CONTENT_TYPE, answer.header("Content-Type"), answer.toString());
        assertEquals(Problem.PREFIX + type, answer.type(), answer.body());
        assertEquals(status, answer.json().getInt("status"));
    }

    private static String create(String name, String value) {
        String body = "{\"name\":\"" + name + "\",\"value\":\"" + value + "\"}";
        return "POST /v1/secrets HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + LocalCluster.FULL
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private static String get(String target, String... headers) {
        return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + LocalCluster.FULL + "\r\n"
                + String.join("", java.util.Arrays.stream(headers).map(h -> h + "\r\n").toList()) + "\r\n";
    }

    @Test
    void contentLengthWithTransferEncodingIs400AndTheConnectionCloses() throws Exception {
        String body = "{\"name\":\"SMUGGLED\",\"value\":\"x\"}";
        Answer answer = RawHttp.exchange(gateway, "POST /v1/secrets HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + LocalCluster.FULL + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
        assertProblem(answer, 400, "invalid-request");
        assertTrue(answer.json().getString("detail").contains("Content-Length"), answer.body());
        assertTrue(answer.closed(), "the connection must not be reused after ambiguous framing");
        assertEquals(404, api.read("SMUGGLED").status());
    }

    @Test
    void brokenChunkingIs400() throws Exception {
        Answer answer = RawHttp.exchange(gateway, "POST /v1/secrets HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + LocalCluster.FULL + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        assertProblem(answer, 400, "invalid-request");
        assertTrue(answer.closed(), "the framing is lost: the connection is closed " + answer);
        assertEquals(404, api.read("SMUGGLED").status());
    }

    @Test
    void overlongRequestLineIs414AndOverlongHeadersAre431() throws Exception {
        assertProblem(RawHttp.exchange(gateway, get("/v1/secrets/" + "A".repeat(9_001))), 414, "uri-too-long");
        assertProblem(RawHttp.exchange(gateway, get("/v1/secrets", "X-Padding: " + "p".repeat(20_000))), 431, "headers-too-large");
    }

    @Test
    void aTricklingBodyIs408AndCreatesNothing() throws Exception {
        byte[] request = create("TRICKLED", "slowly").getBytes(StandardCharsets.UTF_8);
        try (RawHttp http = new RawHttp(gateway, 10_000)) {
            int headerEnd = new String(request, StandardCharsets.UTF_8).indexOf("\r\n\r\n") + 4;
            http.send(java.util.Arrays.copyOf(request, headerEnd));
            // One byte every 100 ms: 40 bytes take 4 s, twice the body timeout, and the gateway never has to wait
            // long for the next byte. Stop once the gateway answered (it may reset what follows).
            long started = System.nanoTime();
            for (int i = headerEnd; i < request.length; i++) {
                if (!http.trySend(new byte[] {request[i]})) {
                    break;
                }
                if (System.nanoTime() - started > 3 * LocalCluster.BODY_TIMEOUT_MILLIS * 1_000_000L) {
                    break;
                }
                Thread.sleep(100);
            }
            Answer answer = http.answer();
            assertProblem(answer, 408, "body-timeout");
            assertEquals("close", answer.header("Connection"));
        }
        assertEquals(404, api.read("TRICKLED").status(), "nothing was created");
    }

    @Test
    void aStalledBodyIs408AndTheConnectionIsClosed() throws Exception {
        byte[] request = create("STALLED", "never-finished").getBytes(StandardCharsets.UTF_8);
        try (RawHttp http = new RawHttp(gateway, 10_000)) {
            http.send(java.util.Arrays.copyOf(request, request.length - 10));
            Answer answer = http.answer();
            assertProblem(answer, 408, "body-timeout");
            assertTrue(answer.closed(), "a client that neither sends nor closes is cut off");
        }
        assertEquals(404, api.read("STALLED").status(), "nothing was created");
        assertEquals(201, api.create("STALLED", "fine").status(), "the gateway still serves");
    }

    @Test
    void anUnencodedPlusInAtIsReadAsThePlusItWas() throws Exception {
        Reply created = api.create("PLUS_AT", "v1");
        assertEquals(201, created.status(), created.text());
        Instant validFrom = Instant.parse(created.json().getString("validFrom"));
        String at = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(validFrom.plusMillis(1).atOffset(ZoneOffset.ofHours(1)));
        assertTrue(at.contains("+01:00"), at);
        // The bytes curl sends for ?at=...+01:00: a literal '+', which query decoding makes a space.
        Answer answer = RawHttp.exchange(gateway, get("/v1/secrets/PLUS_AT?at=" + at));
        assertEquals(200, answer.status(), answer.body());
        assertEquals("v1", answer.json().getString("value"));
        Answer wrong = RawHttp.exchange(gateway, get("/v1/secrets/PLUS_AT?at=yesterday"));
        assertProblem(wrong, 400, "invalid-request");
        assertEquals("at", wrong.json().getJsonArray("errors").getJsonObject(0).getString("field"));
    }

    @Test
    void everyQueryParameterErrorNamesItsParameter() throws Exception {
        for (String[] row : new String[][] {
            {"/v1/secrets?after=../prod", "after"},
            {"/v1/secrets?limit=0", "limit"},
            {"/v1/secrets/X?version=two", "version"},
            {"/v1/secrets/X?verison=2", "verison"},
            {"/v1/secrets/X/timeline?after=zz", "after"},
            {"/v1/status?verbose=1", "verbose"}}) {
            Answer answer = RawHttp.exchange(gateway, get(row[0]));
            assertProblem(answer, 400, "invalid-request");
            assertEquals(row[1], answer.json().getJsonArray("errors").getJsonObject(0).getString("field"), row[0]);
        }
    }

    @Test
    void aDeleteWithAVersionIsRefusedNotTakenAsTheWholeSecret() {
        assertEquals(201, api.create("KEEP_ME", "v1").status());
        Reply delete = api.send("DELETE", "/v1/secrets/KEEP_ME?version=1", null, null, java.util.Map.of());
        assertEquals(400, delete.status(), delete.text());
        assertTrue(delete.json().getString("detail").contains("takes none"), delete.text());
        assertEquals(200, api.read("KEEP_ME").status(), "the secret is still there");
    }

    @Test
    void http10IsAProblem505() throws Exception {
        Answer answer = RawHttp.exchange(gateway, "GET /v1/status HTTP/1.0\r\n\r\n");
        assertProblem(answer, 505, "http-version-not-supported");
        assertTrue(answer.closed());
    }
}
