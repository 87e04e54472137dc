package dev.shardvault.gateway.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gateway's keep-alive client against a real Helidon server, and against raw sockets for the edge cases. */
class OriginClientTest {

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
    }

    @Test
    void sequentialRequestsShareOneConnection() throws IOException {
        WebServer server = helidon(0);
        OriginClient client = client(server.port(), 2_000, 1 << 20);
        for (int i = 0; i < 20; i++) {
            OriginClient.Response response = client.exchange("POST", "/echo?n=" + i, Map.of("Content-Type", "text/plain"),
                                                             ("body " + i).getBytes(StandardCharsets.UTF_8));
            assertEquals(200, response.status());
            assertEquals("n=" + i + " body " + i, response.text());
            assertFalse(response.resent());
        }
        assertEquals(1, client.connectionsOpened());
    }

    @Test
    void chunkedAnswerIsReadWholeAndTheConnectionKept() throws IOException {
        WebServer server = helidon(0);
        OriginClient client = client(server.port(), 2_000, 1 << 20);
        for (int i = 0; i < 3; i++) {
            OriginClient.Response response = client.exchange("GET", "/chunked", Map.of(), null);
            assertEquals(200, response.status());
            assertEquals("part-".repeat(1000).length() * 3, response.body().length);
        }
        assertEquals(1, client.connectionsOpened());
    }

    @Test
    void answerOverTheBodyLimitFailsAsPossiblyDelivered() throws IOException {
        WebServer server = helidon(0);
        OriginClient client = client(server.port(), 2_000, 100);
        IOException failure = assertThrows(IOException.class, () -> client.exchange("GET", "/chunked", Map.of(), null));
        assertFalse(failure instanceof OriginClient.NotSentException);
        failure = assertThrows(IOException.class, () -> client.exchange("POST", "/echo", Map.of(), new byte[200]));
        assertFalse(failure instanceof OriginClient.NotSentException);
    }

    @Test
    void nothingListeningIsNotSent() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        OriginClient client = client(port, 2_000, 1 << 20);
        assertThrows(OriginClient.NotSentException.class, () -> client.exchange("GET", "/echo", Map.of(), null));
    }

    @Test
    void connectionClosedByARestartedServerIsResentOnANewOneAndSaysSo() throws IOException {
        WebServer first = helidon(0);
        int port = first.port();
        OriginClient client = client(port, 2_000, 1 << 20);
        assertFalse(client.exchange("GET", "/echo", Map.of(), null).resent());
        first.stop();
        helidon(port);
        OriginClient.Response response = client.exchange("GET", "/echo?again", Map.of(), null);
        assertEquals(200, response.status());
        assertTrue(response.resent(), "the first copy went out on the old connection and may have arrived");
        assertEquals(2, client.connectionsOpened());
        assertFalse(client.exchange("GET", "/echo", Map.of(), null).resent());
    }

    @Test
    void aSilentServerTimesOutOnceWithoutAResend() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        RawServer server = raw((in, out) -> {
            readHead(in);
            if (requests.incrementAndGet() == 1) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                readHead(in); // the second request: counted, never answered
                requests.incrementAndGet();
                in.read();
            }
        });
        OriginClient client = client(server.port(), 300, 1 << 20);
        assertEquals("ok", client.exchange("GET", "/first", Map.of(), null).text());
        IOException failure = assertThrows(IOException.class, () -> client.exchange("POST", "/second", Map.of(), new byte[3]));
        assertTrue(failure instanceof SocketTimeoutException, failure.toString());
        assertEquals(2, requests.get(), "the timed-out request is not sent again");
        assertEquals(1, client.connectionsOpened());
    }

    @Test
    void theTimeoutCountsFromTheLastProgressNotFromTheStart() throws IOException {
        byte[] answer = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntrickl".getBytes(StandardCharsets.ISO_8859_1);
        RawServer server = raw((in, out) -> {
            readHead(in);
            for (byte b : answer) { // one byte every 40 ms: 1.8 s in all, each gap well inside the 300 ms timeout
                out.write(b);
                out.flush();
                sleep(40);
            }
            readHead(in); // the next request on the same connection: answered after a silence past the timeout
            sleep(1_500);
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate".getBytes(StandardCharsets.ISO_8859_1));
        });
        OriginClient client = client(server.port(), 300, 1 << 20);
        assertEquals("trickl", client.exchange("GET", "/slow", Map.of(), null).text());
        long start = System.nanoTime();
        IOException failure = assertThrows(IOException.class, () -> client.exchange("GET", "/silent", Map.of(), null));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(failure instanceof SocketTimeoutException, failure.toString());
        assertTrue(elapsedMillis >= 300 && elapsedMillis < 1_500, "timed out after " + elapsedMillis + " ms");
        assertEquals(1, client.connectionsOpened());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void connectionCloseInTheAnswerIsHonoured() throws IOException {
        RawServer server = raw((in, out) -> {
            readHead(in);
            out.write("HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 4\r\n\r\ndone".getBytes(StandardCharsets.ISO_8859_1));
        });
        OriginClient client = client(server.port(), 2_000, 1 << 20);
        for (int i = 0; i < 3; i++) {
            OriginClient.Response response = client.exchange("GET", "/x", Map.of(), null);
            assertEquals(201, response.status());
            assertEquals("done", response.text());
            assertFalse(response.resent());
        }
        assertEquals(3, client.connectionsOpened());
    }

    @Test
    void answerWithoutLengthIsReadToTheEndOfTheConnection() throws IOException {
        RawServer server = raw((in, out) -> {
            readHead(in);
            out.write("HTTP/1.0 200 OK\r\n\r\nuntil the end".getBytes(StandardCharsets.ISO_8859_1));
        });
        OriginClient client = client(server.port(), 2_000, 1 << 20);
        assertEquals("until the end", client.exchange("GET", "/x", Map.of(), null).text());
    }

    @Test
    void answerCutShortFailsAsPossiblyDelivered() throws IOException {
        RawServer server = raw((in, out) -> {
            readHead(in);
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
        });
        OriginClient client = client(server.port(), 2_000, 1 << 20);
        IOException failure = assertThrows(IOException.class, () -> client.exchange("GET", "/x", Map.of(), null));
        assertFalse(failure instanceof OriginClient.NotSentException);
    }

    @Test
    void malformedAnswersAreRefused() throws IOException {
        for (String answer : List.of("SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                                     "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                                     "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                                     "HTTP/1.1 200 OK\r\nX: " + "y".repeat(OriginClient.MAX_HEAD_BYTES) + "\r\n\r\n")) {
            RawServer server = raw((in, out) -> {
                readHead(in);
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            });
            OriginClient client = client(server.port(), 2_000, 1 << 20);
            assertThrows(IOException.class, () -> client.exchange("GET", "/x", Map.of(), null), answer);
        }
    }

    @Test
    void headerAndTargetInjectionIsRefusedBeforeSending() throws IOException {
        WebServer server = helidon(0);
        OriginClient client = client(server.port(), 2_000, 1 << 20);
        assertThrows(IllegalArgumentException.class,
                     () -> client.exchange("GET", "/echo", Map.of("X-Key", "a\r\nX-Injected: 1"), null));
        assertThrows(IllegalArgumentException.class, () -> client.exchange("GET", "/echo HTTP/1.1\r\nX: 1", Map.of(), null));
        assertThrows(IllegalArgumentException.class, () -> client.exchange("GET", "/echo", Map.of("Content-Length", "0"), null));
        assertThrows(IllegalArgumentException.class, () -> client.exchange("GET /", "/echo", Map.of(), null));
        assertEquals(0, client.connectionsOpened());
    }

    // ---- servers ----

    private WebServer helidon(int port) {
        WebServer server = WebServer.builder().host("127.0.0.1").port(port)
                .routing(routing -> routing
                        .any("/echo", (req, res) -> res.send(req.query().rawValue() + (req.content().hasEntity()
                                ? " " + req.content().as(String.class) : "")))
                        .get("/chunked", (req, res) -> {
                            try (OutputStream out = res.outputStream()) {
                                for (int i = 0; i < 3; i++) {
                                    out.write("part-".repeat(1000).getBytes(StandardCharsets.US_ASCII));
                                    out.flush();
                                }
                            }
                        }))
                .build().start();
        resources.add(server::stop);
        return server;
    }

    /** What a raw test server does with one accepted connection. */
    private interface Script {
        void run(InputStream in, OutputStream out) throws IOException;
    }

    private record RawServer(ServerSocket socket) {
        int port() {
            return socket.getLocalPort();
        }
    }

    private RawServer raw(Script script) throws IOException {
        ServerSocket socket = new ServerSocket(0);
        resources.add(socket);
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept()) {
                    script.run(connection.getInputStream(), connection.getOutputStream());
                } catch (IOException e) {
                    // the test closed the server, or the client went away: the test's assertions decide
                }
            }
        });
        return new RawServer(socket);
    }

    /** Reads one request head (and a small body, if the test sent one with a Content-Length). */
    private static void readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("client went away");
            }
            head.append((char) b);
        }
        int at = head.indexOf("Content-Length: ");
        if (at >= 0) {
            int length = Integer.parseInt(head.substring(at + 16, head.indexOf("\r\n", at)));
            assertArrayEquals(new byte[length], in.readNBytes(length));
        }
    }

    private OriginClient client(int port, int readTimeoutMillis, int maxBodyBytes) {
        OriginClient client = new OriginClient(URI.create("http://127.0.0.1:" + port), 1_000, readTimeoutMillis,
                                               maxBodyBytes, 8, 15_000);
        resources.add(client);
        return client;
    }
}
