package dev.shardvault.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import io.helidon.webserver.testing.junit5.SetUpServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What Helidon refuses before routing reaches a client as a problem document, on a server set up exactly as the
 * gateway sets up its sockets' edge ({@link EdgeProblems} and Helidon's messages handed to it) — and nothing the
 * client sent is echoed back.
 */
@ServerTest
class EdgeProblemsTest {

    /** Bytes a client sent that must never come back in an answer. */
    private static final String PLANTED = "zz<planted-9f3c>";

    private final URI uri;

    EdgeProblemsTest(URI uri) {
        this.uri = uri;
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        server.host("127.0.0.1")
              .directHandlers(EdgeProblems.handlers())
              .errorHandling(errors -> errors.includeEntity(true));
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        routing.post("/echo", (req, res) -> {
            req.content().consume();
            res.send("routed");
        });
    }

    @Test
    void contentLengthWithTransferEncodingIsAnInvalidRequestProblem() throws IOException {
        Answer answer = exchange("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
                                 + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertEquals(400, answer.status(), answer.raw());
        assertEquals("urn:shardvault:invalid-request", answer.problem().getString("type"), answer.raw());
    }

    @Test
    void anUnsupportedHttpVersionIsItsOwnProblem() throws IOException {
        Answer answer = exchange("GET /echo HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertEquals(505, answer.status(), answer.raw());
        assertEquals("urn:shardvault:http-version-not-supported", answer.problem().getString("type"), answer.raw());
    }

    @Test
    void aMessageQuotingTheRequestIsNotEchoed() throws IOException {
        Answer answer = exchange("GET /echo HTTP/1.1\r\nHost: " + PLANTED + "\r\nConnection: close\r\n\r\n");
        assertEquals(400, answer.status(), answer.raw());
        assertEquals("urn:shardvault:invalid-request", answer.problem().getString("type"), answer.raw());
        assertFalse(answer.raw().contains("planted"), "the answer echoes the request: " + answer.raw());
    }

    @Test
    void aWellFormedRequestIsRoutedAsUsual() throws IOException {
        Answer answer = exchange("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
        assertEquals(200, answer.status(), answer.raw());
        assertTrue(answer.raw().endsWith("routed"), answer.raw());
    }

    private record Answer(int status, String raw) {
        JsonObject problem() {
            assertTrue(raw.contains("Content-Type: application/problem+json") || raw.contains("content-type: application/problem+json"),
                       "not a problem document: " + raw);
            String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
            try (var reader = Json.createReader(new StringReader(body))) {
                return reader.readObject();
            }
        }
    }

    /**
     * Sends raw bytes (what no well-behaved client would send) and reads one answer: its head, then as many bytes
     * as its {@code Content-Length} says. Not until end of stream: Helidon 4.5 keeps a connection open after an
     * answer to a request that asked {@code Connection: close} (helidon issue 12324).
     */
    private Answer exchange(String request) throws IOException {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            int headEnd = -1;
            long length = -1;
            int b;
            while ((headEnd < 0 || answer.size() < headEnd + length) && (b = in.read()) >= 0) {
                answer.write(b);
                if (headEnd < 0 && answer.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    headEnd = answer.size();
                    java.util.regex.Matcher header = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)")
                            .matcher(answer.toString(StandardCharsets.ISO_8859_1));
                    length = header.find() ? Long.parseLong(header.group(1)) : Long.MAX_VALUE / 2; // else: until closed
                }
            }
            String raw = answer.toString(StandardCharsets.ISO_8859_1);
            String[] statusLine = raw.split("\r\n", 2)[0].split(" ");
            return new Answer(statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1, raw);
        }
    }
}
