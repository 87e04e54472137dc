package dev.shardvault.gateway;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes on a plain socket, for what an HTTP client library will not send: conflicting framing, repeated headers,
 * oversized lines, a body that trickles or stops. Reads one response (Content-Length framed) and whether the
 * gateway then closed the connection.
 */
final class RawHttp implements AutoCloseable {

    /** One answer; {@code closed}: the gateway closed the connection after it. */
    record Answer(int status, Map<String, String> headers, String body, boolean closed) {

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        JsonObject json() {
            return Json.createReader(new StringReader(body)).readObject();
        }

        String type() {
            return json().getString("type");
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    RawHttp(URI gateway, int readTimeoutMillis) throws IOException {
        socket = new Socket(gateway.getHost(), gateway.getPort());
        socket.setSoTimeout(readTimeoutMillis);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** Sends {@code request} (CRLF line ends expected in it) and reads the answer. */
    static Answer exchange(URI gateway, String request) throws IOException {
        try (RawHttp http = new RawHttp(gateway, 10_000)) {
            http.send(request.getBytes(StandardCharsets.UTF_8));
            return http.answer();
        }
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends what it can; a gateway that already answered and closed may reset the rest. */
    boolean trySend(byte[] bytes) {
        try {
            send(bytes);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    Answer answer() throws IOException {
        String statusLine = line();
        if (statusLine == null) {
            throw new IOException("the connection closed without an answer");
        }
        String[] parts = statusLine.split(" ", 3);
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(); line != null && !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                          (a, b) -> a + ", " + b);
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        boolean closed;
        try {
            closed = "close".equalsIgnoreCase(headers.get("connection")) && in.read() < 0;
        } catch (SocketTimeoutException e) {
            closed = false;
        } catch (IOException e) {
            closed = true; // reset after the answer: closed as well
        }
        return new Answer(status, headers, body, closed);
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
