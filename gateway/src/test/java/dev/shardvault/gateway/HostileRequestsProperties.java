package dev.shardvault.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.Api.Reply;
import dev.shardvault.gateway.RawHttp.Answer;
import dev.shardvault.gateway.problem.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Malformed and hostile requests — methods, paths, query parameters, headers, framing, bodies, encodings, sizes
 * — on a raw socket against a real gateway and five-node cluster. Every one is built to be refused, and each
 * must be: a 4xx (never a 5xx other than 505 for an HTTP version it does not speak, never no answer) with a problem document, and the cluster's state (the listing
 * and a secret's versions) exactly as before. The rows of the issue that found these holes are fixed examples.
 */
class HostileRequestsProperties {

    /** A request meant to be refused; {@code what} says which defect it carries (shown when a try fails). */
    record Hostile(String what, byte[] bytes) {
        @Override
        public String toString() {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            return what + ": " + (text.length() > 300 ? text.substring(0, 300) + "...(" + text.length() + " bytes)" : text);
        }
    }

    private static final String SEEDED = "SEEDED";

    static Path dir;
    static LocalCluster cluster;
    static URI gateway;
    static Api api;
    static String versions;

    /** What the gateway logged at WARNING or above, or with a stack trace, since the cluster started. */
    static final List<String> complaints = java.util.Collections.synchronizedList(new ArrayList<>());
    static final Handler LISTENER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue() || record.getThrown() != null) {
                complaints.add(record.getLevel() + " " + record.getLoggerName() + ": " + record.getMessage()
                               + (record.getThrown() == null ? "" : " (" + record.getThrown() + ")"));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeContainer
    static void start() throws IOException {
        Logger.getLogger("").addHandler(LISTENER);
        dir = Files.createTempDirectory("hostile");
        cluster = new LocalCluster(dir);
        gateway = cluster.gateway();
        api = new Api(gateway, LocalCluster.FULL);
        assertEquals(201, api.create(SEEDED, "v1").status());
        assertEquals(200, api.update(SEEDED, "v2").status());
        versions = state();
    }

    private static String state() {
        Reply list = api.send("GET", "/v1/secrets", null, null, java.util.Map.of());
        Reply history = api.send("GET", "/v1/secrets/" + SEEDED + "/versions", null, null, java.util.Map.of());
        assertEquals(200, list.status(), list.text());
        assertEquals(200, history.status(), history.text());
        return list.text() + "\n" + history.text();
    }

    @AfterContainer
    static void stop() throws IOException {
        Logger.getLogger("").removeHandler(LISTENER);
        cluster.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED)
    void everyHostileRequestIsRefusedWithAProblemAndChangesNothing(@ForAll("hostile") Hostile request) throws IOException {
        assertRefused(request);
    }

    @Example
    void theRowsThatFoundTheHoles() throws IOException {
        String create = "{\"name\":\"ROW\",\"value\":\"x\"}";
        for (Hostile row : List.of(
                raw("PATCH is not a route", "PATCH", "/v1/secrets/" + SEEDED, auth(), json(), body("{}")),
                raw("GET /", "GET", "/", auth(), body("")),
                raw("GET /v1/nothing", "GET", "/v1/nothing", auth(), body("")),
                raw("9,001-character path", "GET", "/v1/secrets/" + "A".repeat(9_001), auth(), body("")),
                raw("nested 50,000 deep", "POST", "/v1/secrets", auth(), json(), body("[".repeat(50_000) + "]".repeat(50_000))),
                raw("duplicate members", "POST", "/v1/secrets", auth(), json(),
                    body("{\"name\":\"A\",\"value\":\"first\",\"value\":\"second\",\"name\":\"B\"}")),
                raw("lone surrogate", "POST", "/v1/secrets", auth(), json(), body("{\"name\":\"ROW\",\"value\":\"\\ud800\"}")),
                raw("Content-Length with Transfer-Encoding", "POST", "/v1/secrets", auth(), json(),
                    "Transfer-Encoding: chunked\r\n", body(create)),
                raw("two Authorization", "POST", "/v1/secrets", auth(), auth(), json(), body(create)),
                raw("two Idempotency-Key", "POST", "/v1/secrets", auth(), "Idempotency-Key: a\r\n", "Idempotency-Key: b\r\n",
                    json(), body(create)),
                raw("?after=../prod", "GET", "/v1/secrets?after=../prod", auth(), body("")))) {
            assertRefused(row);
        }
        // The trickled body (one byte a second) and the unencoded '+' in ?at=: HostileInputTest, which waits for them.
    }

    private static void assertRefused(Hostile request) throws IOException {
        Answer answer;
        try (RawHttp http = new RawHttp(gateway, 10_000)) {
            http.trySend(request.bytes()); // an oversized request may be answered and reset before it is all sent
            answer = http.answer();
        }
        // 4xx; or 505, the status HTTP defines for a protocol version the server does not speak (HTTP/1.0, HTTP/9.9).
        assertTrue(answer.status() >= 400 && answer.status() < 500 || answer.status() == 505, request + " -> " + answer);
        assertEquals(Problem.CONTENT_TYPE, answer.header("Content-Type"), request + " -> " + answer);
        assertTrue(answer.type().startsWith(Problem.PREFIX), request + " -> " + answer);
        assertEquals(answer.status(), answer.json().getInt("status"), request + " -> " + answer);
        assertEquals(versions, state(), request + " changed the cluster's state");
        assertEquals(List.of(), complaints, request + ": a client's bad input is not a warning or a stack trace in the log");
    }

    // ---- generators ----------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Hostile> hostile() {
        return Arbitraries.oneOf(wrongMethod(), unknownPath(), badJson(), noAuthority(), repeatedHeader(), badFraming(),
                                 oversized(), badQuery(), badName(), badMediaType());
    }

    private static final List<String> PATHS = List.of("/v1/secrets", "/v1/secrets/" + SEEDED, "/v1/secrets/" + SEEDED + "/versions",
                                                      "/v1/secrets/" + SEEDED + "/timeline", "/v1/secrets/" + SEEDED + "/exposure",
                                                      "/v1/env", "/v1/status", "/v1/tokens", "/v1/tokens/tok_aaaaaaaaaaaaaaaaaaaa");

    private Arbitrary<String> token() {
        return Arbitraries.of(auth(), "Authorization: Bearer " + LocalCluster.READ_ONLY + "\r\n", "",
                              "Authorization: Bearer not-a-token\r\n", "Authorization: Basic dXNlcjpwYXNz\r\n",
                              "Authorization: Bearer\r\n");
    }

    private Arbitrary<Hostile> wrongMethod() {
        return Combinators.combine(Arbitraries.of("PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO", "M-SEARCH"),
                                   Arbitraries.of(PATHS), token())
                .as((method, path, token) -> raw("method " + method, method, path, token, body("")));
    }

    private Arbitrary<Hostile> unknownPath() {
        Arbitrary<String> segment = Arbitraries.oneOf(
                Arbitraries.of("..", "%2e%2e", "%00", "", "v2", "secrets", "%2F", "%C0%AE", "~", "%ZZ", "%", "a;b", "\u00e9"),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12));
        return Combinators.combine(Arbitraries.of("GET", "POST", "PUT", "DELETE"),
                                   Arbitraries.of("/", "/v1/", "/v1/secrets/" + SEEDED + "/", "/v1/secrets/X/Y/", "/observe/x/",
                                                  "/v0/"),
                                   segment.list().ofMinSize(1).ofMaxSize(3), token())
                .as((method, prefix, segments, token) -> raw("unknown path", method, prefix + String.join("/", segments) + "/zz",
                                                              token, body("")));
    }

    private Arbitrary<byte[]> badJsonBody() {
        Arbitrary<String> texts = Arbitraries.oneOf(
                Arbitraries.of("", "{", "{\"name\":", "{\"name\":\"FUZZ_A\",\"value\":\"x\"", "[]", "null", "\"FUZZ\"", "42",
                               "{\"name\":\"FUZZ_A\",\"value\":\"x\"} trailing", "{\"name\":\"FUZZ_A\",\"value\":\"x\"}{}",
                               "{\"name\":\"FUZZ_A\",\"value\":42}", "{\"name\":\"FUZZ_A\",\"value\":null}",
                               "{\"name\":\"FUZZ_A\",\"value\":[\"x\"]}", "{\"name\":\"FUZZ_A\",\"value\":{}}",
                               "{\"name\":\"FUZZ_A\",\"value\":\"x\",\"extra\":1}", "{\"name\":7,\"value\":\"x\"}",
                               "{\"name\":\"FUZZ_A\",\"value\":\"\\ud800\"}", "{\"name\":\"FUZZ_A\",\"value\":\"\\udc00x\"}",
                               "{\"name\":\"FUZZ_A\",\"value\":\"\\u12\"}", "{\"name\":\"FUZZ_A\",\"value\":\"a\u0001b\\\"}",
                               "{'name':'FUZZ_A','value':'x'}", "{\"name\":\"FUZZ_A\",\"name\":\"FUZZ_B\",\"value\":\"x\"}",
                               "{\"name\":\"FUZZ_A\",\"value\":\"x\",\"value\":\"y\"}", "\ufeff{\"name\":\"FUZZ_A\",\"value\":\"x\"}"),
                Arbitraries.integers().between(33, 3_000).map(depth -> "{\"name\":\"FUZZ_A\",\"value\":"
                        + "[".repeat(depth) + "]".repeat(depth) + "}"),
                Arbitraries.strings().ofMaxLength(40).map(noise -> "{\"name\":\"FUZZ_A\",\"value\":\"x\"," + noise));
        Arbitrary<byte[]> invalidUtf8 = Arbitraries.of(new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                                                        new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xC0, (byte) 0xAF},
                                                        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80})
                .map(bad -> concat("{\"name\":\"FUZZ_A\",\"value\":\"".getBytes(StandardCharsets.UTF_8), bad, "\"}".getBytes(StandardCharsets.UTF_8)));
        return Arbitraries.oneOf(texts.map(text -> text.getBytes(StandardCharsets.UTF_8)), invalidUtf8);
    }

    private Arbitrary<Hostile> badJson() {
        return Combinators.combine(Arbitraries.of("POST /v1/secrets", "PUT /v1/secrets/" + SEEDED, "POST /v1/tokens",
                                                  "POST /v1/secrets/" + SEEDED + "/exposure"),
                                   badJsonBody())
                .as((target, body) -> {
                    String[] parts = target.split(" ");
                    return raw("bad JSON", parts[0], parts[1], auth(), json(), body(body));
                });
    }

    private Arbitrary<Hostile> noAuthority() {
        return Combinators.combine(Arbitraries.of("", "Authorization: Bearer not-a-token\r\n", "Authorization: bearer\r\n",
                                                  "Authorization: Bearer " + LocalCluster.READ_ONLY + "\r\n",
                                                  "Authorization: Token " + LocalCluster.FULL + "\r\n"),
                                   Arbitraries.of("POST /v1/secrets", "PUT /v1/secrets/" + SEEDED, "DELETE /v1/secrets/" + SEEDED))
                .as((token, target) -> {
                    String[] parts = target.split(" ");
                    return raw("no authority", parts[0], parts[1], token, json(),
                               body("{\"name\":\"FUZZ_B\",\"value\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
                });
    }

    private Arbitrary<Hostile> repeatedHeader() {
        return Arbitraries.of(auth() + auth(), "Idempotency-Key: k1\r\nIdempotency-Key: k2\r\n", "If-Match: \"2\"\r\nIf-Match: \"1\"\r\n",
                              "Content-Type: application/json\r\n", "Idempotency-Key: \r\n", "Idempotency-Key: " + "k".repeat(129) + "\r\n")
                .map(extra -> raw("repeated or bad header", "PUT", "/v1/secrets/" + SEEDED,
                                  extra.startsWith("Authorization") ? extra : auth() + extra, json(),
                                  body("{\"value\":\"changed\"}".getBytes(StandardCharsets.UTF_8))));
    }

    private Arbitrary<Hostile> badFraming() {
        String create = "{\"name\":\"FUZZ_C\",\"value\":\"x\"}";
        return Arbitraries.of(
                raw("CL and TE", "POST", "/v1/secrets", auth(), json(), "Transfer-Encoding: chunked\r\n", body(create)),
                raw("bad chunk size", "POST", "/v1/secrets", auth(), json(), "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + create + "\r\n0\r\n\r\n"),
                raw("TE gzip", "POST", "/v1/secrets", auth(), json(), "Transfer-Encoding: gzip\r\n\r\n" + create),
                raw("negative CL", "POST", "/v1/secrets", auth(), json(), "Content-Length: -5\r\n\r\n" + create),
                raw("CL not a number", "POST", "/v1/secrets", auth(), json(), "Content-Length: 1e3\r\n\r\n" + create),
                raw("two CLs", "POST", "/v1/secrets", auth(), json(), "Content-Length: " + create.length() + "\r\n", body(create)),
                new Hostile("bare LF", ("POST /v1/secrets HTTP/1.1\nHost: x\n" + auth().trim() + "\nContent-Type: application/json\n"
                        + "Content-Length: " + create.length() + "\n\n" + create).getBytes(StandardCharsets.UTF_8)),
                new Hostile("HTTP/1.0", ("POST /v1/secrets HTTP/1.0\r\n" + auth() + json() + body(create)).getBytes(StandardCharsets.UTF_8)),
                new Hostile("HTTP/9", ("GET /v1/status HTTP/9.9\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.UTF_8)),
                new Hostile("no Host", ("GET /v1/status HTTP/1.1\r\n" + auth() + "\r\n").getBytes(StandardCharsets.UTF_8)),
                new Hostile("space in header name", ("GET /v1/status HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n").getBytes(StandardCharsets.UTF_8)),
                new Hostile("obsolete line folding", ("GET /v1/status HTTP/1.1\r\nHost: x\r\nX-A: y\r\n z\r\n\r\n").getBytes(StandardCharsets.UTF_8)));
    }

    private Arbitrary<Hostile> oversized() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(9_000, 20_000).map(n -> raw("long path", "GET", "/v1/secrets/" + "A".repeat(n), auth(), body(""))),
                Arbitraries.integers().between(17_000, 40_000).map(n -> raw("long header", "GET", "/v1/status", auth(),
                                                                          "X-Pad: " + "p".repeat(n) + "\r\n", body(""))),
                Arbitraries.integers().between((1 << 20) + 1, (1 << 20) + 4096).map(n -> raw("body over 1 MiB", "POST", "/v1/secrets",
                        auth(), json(), body("{\"name\":\"FUZZ_D\",\"value\":\"" + "v".repeat(n) + "\"}"))),
                Arbitraries.integers().between(65_537, 70_000).map(n -> raw("value over 64 KiB", "POST", "/v1/secrets", auth(), json(),
                        body("{\"name\":\"FUZZ_E\",\"value\":\"" + "v".repeat(n) + "\"}"))));
    }

    private Arbitrary<Hostile> badQuery() {
        return Arbitraries.of("DELETE /v1/secrets/SEEDED?version=1", "PUT /v1/secrets/SEEDED?force=true", "GET /v1/secrets/SEEDED?version=0",
                              "GET /v1/secrets/SEEDED?version=-1", "GET /v1/secrets/SEEDED?version=1&at=2026-01-01T00:00:00Z",
                              "GET /v1/secrets/SEEDED?at=tomorrow", "GET /v1/secrets/SEEDED?at=2026-13-01T00:00:00Z",
                              "GET /v1/secrets?after=../prod", "GET /v1/secrets?limit=1001", "GET /v1/secrets?limit=x",
                              "GET /v1/secrets/SEEDED/timeline?after=%00", "POST /v1/env?strict=1", "GET /v1/secrets/SEEDED?verison=1")
                .map(target -> {
                    String[] parts = target.split(" ");
                    boolean body = parts[0].equals("PUT") || parts[0].equals("POST");
                    return raw("bad query", parts[0], parts[1], auth(), body ? json() : "",
                               body(body ? (parts[1].startsWith("/v1/env") ? "" : "{\"value\":\"changed\"}") : ""));
                });
    }

    private Arbitrary<Hostile> badName() {
        Arbitrary<String> names = Arbitraries.oneOf(
                Arbitraries.of("seeded", "1ABC", "A-B", "A.B", "%41%42%2F", "A%20B", "%C3%89T%C3%89", "A".repeat(129), "_A"),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20));
        return Combinators.combine(Arbitraries.of("GET", "PUT", "DELETE"), names)
                .as((method, name) -> raw("bad name", method, "/v1/secrets/" + name, auth(), method.equals("PUT") ? json() : "",
                                          body(method.equals("PUT") ? "{\"value\":\"x\"}" : "")));
    }

    private Arbitrary<Hostile> badMediaType() {
        return Arbitraries.of("text/plain", "application/json; charset=iso-8859-1", "application/x-www-form-urlencoded",
                              "application/jsonx", "")
                .map(type -> raw("media type " + type, "POST", "/v1/secrets", auth(),
                                 type.isEmpty() ? "" : "Content-Type: " + type + "\r\n", body("{\"name\":\"FUZZ_F\",\"value\":\"x\"}")));
    }

    // ---- request assembly ----------------------------------------------------------------------------------

    private static String auth() {
        return "Authorization: Bearer " + LocalCluster.FULL + "\r\n";
    }

    private static String json() {
        return "Content-Type: application/json\r\n";
    }

    /** The framing and body part: a Content-Length, the blank line, the bytes. */
    private static String body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String body(byte[] bytes) {
        return "Content-Length: " + bytes.length + "\r\n\r\n" + new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** Request line, Host, then the parts verbatim (the last one ends the headers). Latin-1 keeps raw bytes. */
    private static Hostile raw(String what, String method, String target, String... parts) {
        StringBuilder request = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
        for (String part : parts) {
            request.append(part);
        }
        return new Hostile(what, request.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
