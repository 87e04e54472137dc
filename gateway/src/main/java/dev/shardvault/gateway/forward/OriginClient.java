package dev.shardvault.gateway.forward;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A keep-alive HTTP/1.1 client for one origin ({@code http://host:port}): one request at a time per
 * connection, each exchange on the caller's (virtual) thread, idle connections kept in a bounded LIFO pool.
 *
 * <p>Why not Helidon's WebClient, which the gateway used before: Helidon 4.4 gives every pooled connection an
 * idle monitor, a virtual thread that reads the idle socket with a 101 ms timeout in a loop and, when the next
 * answer arrives, reads its first byte and hands it over to the request. Per forwarded request that is one more
 * thread start, timed read and hand-off, and per idle connection ten timeouts a second; 4.4 has no switch for
 * it. The JDK's {@code java.net.http.HttpClient} reads answers on its selector thread and hands them over too.
 * Measured against one vault node's read route (16 clients, one carrier, warmed): Helidon 0.072-0.078 ms of
 * client CPU per request, the JDK client 0.084-0.090 ms, this class 0.025 ms (docs/performance.md). The
 * vault nodes are our own Helidon servers, so the subset spoken here is small and fixed: requests with a
 * {@code Content-Length} body, answers framed by {@code Content-Length}, {@code chunked}, or the end of the
 * connection.
 *
 * <p>Limits: the answer's head is at most {@value #MAX_HEAD_BYTES} bytes and its body at most
 * {@code maxBodyBytes}; an exchange fails with {@link SocketTimeoutException} once it has made no progress
 * (sent its request, or received any byte of the answer) for {@code readTimeoutMillis}, or up to one watchdog
 * tick later ({@code readTimeoutMillis / 10}, at most 100 ms); a request the server does not read counts as no
 * progress too. At most {@code maxIdleConnections} idle connections are kept, none longer than
 * {@code maxIdleMillis}.
 *
 * <p>Timeouts are kept by one watchdog thread that closes the socket of an exchange past its deadline, not by
 * socket read timeouts: a virtual thread's timed read arms and cancels a timer in the scheduler every time it
 * waits, which woke the scheduler's timer thread for every forwarded request (11% of the gateway's CPU under
 * creates at 64 clients, docs/performance.md). An exchange now costs a few atomic updates of a timestamp.
 *
 * <p>Failures say whether the request can have reached the server: {@link NotSentException} means it
 * certainly did not (the connection could not be opened); any other {@link IOException} means it may have. A
 * kept-alive connection that fails before any byte of the answer arrived (the server restarted or closed it
 * while idle) is retried once on a new connection, and the answer then says {@link Response#resent()}: the
 * first attempt may have reached the server too.
 */
public final class OriginClient implements AutoCloseable {

    static final int MAX_HEAD_BYTES = 16 * 1024;
    private static final long MAX_TICK_MILLIS = 100;
    /** One thread for every client's watchdog: it only compares timestamps and closes stalled sockets. */
    private static final ScheduledThreadPoolExecutor WATCHDOG = watchdogThread();
    /** {@link Connection#progressNanos} between exchanges. */
    private static final long IDLE = Long.MIN_VALUE;
    /** {@link Connection#progressNanos} once the watchdog closed the connection for taking too long. */
    private static final long EXPIRED = Long.MIN_VALUE + 1;

    /**
     * An answer. {@code resent}: the request was sent again on a new connection after a kept-alive one failed
     * without an answer, so an earlier copy may also have reached the server.
     */
    public record Response(int status, byte[] body, boolean resent) {

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The request certainly did not reach the server: no connection could be opened. */
    public static final class NotSentException extends IOException {

        NotSentException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final InetSocketAddress address;
    private final String hostHeader;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final long readTimeoutNanos;
    private final int maxBodyBytes;
    private final int maxIdleConnections;
    private final long maxIdleNanos;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    /** Every open connection, idle or busy, for the watchdog. */
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> watchdog;
    private volatile boolean closed;

    public OriginClient(URI origin, int connectTimeoutMillis, int readTimeoutMillis, int maxBodyBytes,
                        int maxIdleConnections, long maxIdleMillis) {
        if (!"http".equals(origin.getScheme()) || origin.getHost() == null || origin.getPort() < 1) {
            throw new IllegalArgumentException("origin must be http://host:port, got " + origin);
        }
        if (connectTimeoutMillis < 1 || readTimeoutMillis < 1 || maxBodyBytes < 0 || maxIdleConnections < 0 || maxIdleMillis < 0) {
            throw new IllegalArgumentException("timeouts must be positive and limits not negative");
        }
        this.address = new InetSocketAddress(origin.getHost(), origin.getPort());
        this.hostHeader = origin.getHost() + ":" + origin.getPort();
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
        this.readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis);
        this.maxBodyBytes = maxBodyBytes;
        this.maxIdleConnections = maxIdleConnections;
        this.maxIdleNanos = maxIdleMillis * 1_000_000;
        long tick = Math.clamp(readTimeoutMillis / 10, 1, MAX_TICK_MILLIS);
        this.watchdog = WATCHDOG.scheduleWithFixedDelay(this::expireStalled, tick, tick, TimeUnit.MILLISECONDS);
    }

    private static ScheduledThreadPoolExecutor watchdogThread() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "origin-client-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Closes the connections whose exchange made no progress for the read timeout; their exchanges then fail. */
    private void expireStalled() {
        long now = System.nanoTime();
        for (Connection connection : open) {
            connection.expireIfStalled(now, readTimeoutNanos);
        }
    }

    /**
     * Sends one request and reads its whole answer.
     *
     * @param method  an HTTP method token (GET, POST, ...)
     * @param target  origin-form target, {@code /path?query}, already percent-encoded
     * @param headers extra request headers (no {@code Host}, {@code Content-Length} or {@code Connection})
     * @param body    the request body, or {@code null} for none
     */
    public Response exchange(String method, String target, Map<String, String> headers, byte[] body) throws IOException {
        byte[] request = encode(method, target, headers, body);
        boolean resent = false;
        Connection pooled = takeIdle();
        if (pooled != null) {
            try {
                return pooled.exchange(request, method, false);
            } catch (IOException e) {
                if (pooled.answerStarted || e instanceof SocketTimeoutException) {
                    throw e; // the server has the request (a timeout: it is still working on it)
                }
                // A kept-alive connection that gave no byte of an answer was most likely closed by the server while
                // idle (restart, idle timeout): so are its idle siblings. Try once more on a new connection.
                closeIdle();
                resent = true;
            }
        }
        Connection fresh;
        try {
            fresh = connect();
        } catch (NotSentException e) {
            if (!resent) {
                throw e;
            }
            throw new IOException("the kept-alive connection to " + hostHeader + " failed and a new one could not be opened", e);
        }
        return fresh.exchange(request, method, resent);
    }

    /** Connections opened since this client was made (for tests and diagnostics). */
    public int connectionsOpened() {
        return opened.get();
    }

    @Override
    public void close() {
        closed = true;
        closeIdle();
        watchdog.cancel(false);
    }

    private Connection takeIdle() {
        for (Connection connection; (connection = idle.pollFirst()) != null; ) {
            idleCount.decrementAndGet();
            if (System.nanoTime() - connection.idleSinceNanos <= maxIdleNanos) {
                return connection;
            }
            connection.close();
        }
        return null;
    }

    private void giveBack(Connection connection) {
        if (closed || idleCount.incrementAndGet() > maxIdleConnections) {
            idleCount.decrementAndGet();
            connection.close();
            return;
        }
        connection.idleSinceNanos = System.nanoTime();
        idle.offerFirst(connection);
        if (closed && idle.remove(connection)) {
            idleCount.decrementAndGet();
            connection.close();
        }
    }

    private void closeIdle() {
        for (Connection connection; (connection = idle.pollFirst()) != null; ) {
            idleCount.decrementAndGet();
            connection.close();
        }
    }

    private Connection connect() throws NotSentException {
        if (closed) {
            throw new NotSentException("client for " + hostHeader + " is closed", null);
        }
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(address, connectTimeoutMillis);
            opened.incrementAndGet();
            Connection connection = new Connection(socket, socket.getInputStream(), socket.getOutputStream());
            open.add(connection);
            return connection;
        } catch (IOException e) {
            closeQuietly(socket);
            throw new NotSentException("cannot connect to " + hostHeader + ": " + e.getMessage(), e);
        }
    }

    private byte[] encode(String method, String target, Map<String, String> headers, byte[] body) {
        requireToken("method", method);
        if (target.isEmpty() || target.charAt(0) != '/' || !visibleAscii(target)) {
            throw new IllegalArgumentException("target must be an origin-form path of visible ASCII: " + target);
        }
        StringBuilder head = new StringBuilder(128).append(method).append(' ').append(target)
                .append(" HTTP/1.1\r\nHost: ").append(hostHeader).append("\r\n");
        headers.forEach((name, value) -> {
            requireToken("header name", name);
            if (name.equalsIgnoreCase("host") || name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("connection")
                || name.equalsIgnoreCase("transfer-encoding")) {
                throw new IllegalArgumentException(name + " is set by the client");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                    throw new IllegalArgumentException("header " + name + " has a character not allowed in a value");
                }
            }
            head.append(name).append(": ").append(value).append("\r\n");
        });
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body == null || body.length == 0) {
            return headBytes;
        }
        byte[] request = Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        return request;
    }

    private static void requireToken(String what, String token) {
        if (token.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
                throw new IllegalArgumentException(what + " is not an HTTP token: " + token);
            }
        }
    }

    private static boolean visibleAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing after a failure: the first failure is what is reported
        }
    }

    /** One connection, used by one exchange at a time. Reads go through one buffer that survives between answers. */
    private final class Connection {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buffer = new byte[8192];
        private int position;
        private int limit;
        private boolean answerStarted;
        /** What the lines being read may still take: a whole head, or one chunk-size line with the trailers. */
        private int lineBytesLeft;
        private long idleSinceNanos;
        /** When the exchange in progress last sent or received bytes; {@link #IDLE} or {@link #EXPIRED} else. */
        private final AtomicLong progressNanos = new AtomicLong(IDLE);

        Connection(Socket socket, InputStream in, OutputStream out) {
            this.socket = socket;
            this.in = in;
            this.out = out;
        }

        /** One exchange; a connection that failed is closed before the failure is thrown. */
        Response exchange(byte[] request, String method, boolean resent) throws IOException {
            progressNanos.set(System.nanoTime());
            try {
                return exchangeOrFail(request, method, resent);
            } catch (IOException e) {
                boolean expired = progressNanos.getAndSet(IDLE) == EXPIRED;
                close();
                if (expired) {
                    SocketTimeoutException timeout = new SocketTimeoutException(
                            "no progress on the exchange with " + hostHeader + " for " + readTimeoutMillis + " ms");
                    timeout.initCause(e);
                    throw timeout;
                }
                throw e;
            }
        }

        private Response exchangeOrFail(byte[] request, String method, boolean resent) throws IOException {
            answerStarted = false;
            out.write(request);
            progressed();
            out.flush();
            Head head;
            do {
                head = readHead();
            } while (head.status == 100);
            byte[] body;
            boolean reusable = head.keepAlive;
            if (method.equals("HEAD") || head.status == 204 || head.status == 304 || head.status < 200) {
                body = new byte[0];
            } else if (head.chunked) {
                body = readChunked();
            } else if (head.contentLength >= 0) {
                if (head.contentLength > maxBodyBytes) {
                    throw new IOException("answer body of " + head.contentLength + " bytes is over the limit of " + maxBodyBytes);
                }
                body = readExactly((int) head.contentLength);
            } else {
                body = readToEnd();
                reusable = false;
            }
            boolean expired = progressNanos.getAndSet(IDLE) == EXPIRED; // the answer is whole; the socket is not
            if (reusable && position == limit && !expired) {
                giveBack(this);
            } else {
                close();
            }
            return new Response(head.status, body, resent);
        }

        private record Head(int status, long contentLength, boolean chunked, boolean keepAlive) {
        }

        private Head readHead() throws IOException {
            lineBytesLeft = MAX_HEAD_BYTES;
            String statusLine = readLine();
            // "HTTP/1.1 200 OK": version, a space, three digits
            if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.") || statusLine.charAt(8) != ' ') {
                throw new IOException("malformed status line from " + hostHeader);
            }
            int status = parseStatus(statusLine);
            boolean keepAlive = statusLine.charAt(7) == '1';
            long contentLength = -1;
            boolean chunked = false;
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("malformed header line from " + hostHeader);
                }
                String name = line.substring(0, colon);
                String value = line.substring(colon + 1).strip();
                if (name.equalsIgnoreCase("content-length")) {
                    try {
                        long parsed = Long.parseLong(value);
                        if (parsed < 0 || contentLength >= 0 && contentLength != parsed) {
                            throw new NumberFormatException();
                        }
                        contentLength = parsed;
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Content-Length from " + hostHeader);
                    }
                } else if (name.equalsIgnoreCase("transfer-encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                    if (!chunked) {
                        throw new IOException("unsupported Transfer-Encoding from " + hostHeader + ": " + value);
                    }
                } else if (name.equalsIgnoreCase("connection")) {
                    String tokens = value.toLowerCase(Locale.ROOT);
                    if (tokens.contains("close")) {
                        keepAlive = false;
                    } else if (tokens.contains("keep-alive")) {
                        keepAlive = true;
                    }
                }
            }
            return new Head(status, chunked ? -1 : contentLength, chunked, keepAlive);
        }

        private int parseStatus(String statusLine) throws IOException {
            int status = 0;
            for (int i = 9; i < 12; i++) {
                char c = statusLine.charAt(i);
                if (c < '0' || c > '9') {
                    throw new IOException("malformed status code from " + hostHeader);
                }
                status = status * 10 + (c - '0');
            }
            return status;
        }

        /** A line without its CRLF, charged to {@link #lineBytesLeft}. */
        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder(64);
            while (true) {
                if (position == limit) {
                    fill();
                }
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                line.append(new String(buffer, start, position - start, StandardCharsets.ISO_8859_1));
                lineBytesLeft -= position - start + 1;
                if (lineBytesLeft < 0) {
                    throw new IOException("answer head (or chunk line) from " + hostHeader + " is over " + MAX_HEAD_BYTES + " bytes");
                }
                if (position < limit) {
                    position++; // the '\n'
                    int end = line.length();
                    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
                }
            }
        }

        private byte[] readExactly(int length) throws IOException {
            byte[] body = new byte[length];
            int copied = Math.min(length, limit - position);
            System.arraycopy(buffer, position, body, 0, copied);
            position += copied;
            while (copied < length) {
                int read = in.read(body, copied, length - copied);
                if (read < 0) {
                    throw new EOFException("connection to " + hostHeader + " ended inside an answer body");
                }
                progressed();
                copied += read;
            }
            return body;
        }

        private byte[] readChunked() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                lineBytesLeft = MAX_HEAD_BYTES;
                String sizeLine = readLine();
                int semicolon = sizeLine.indexOf(';');
                String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip();
                long size;
                try {
                    size = Long.parseLong(hex, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size from " + hostHeader);
                }
                if (size < 0 || body.size() + size > maxBodyBytes) {
                    throw new IOException("chunked answer body is over the limit of " + maxBodyBytes);
                }
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailer fields carry nothing the gateway uses
                    }
                    return body.toByteArray();
                }
                body.writeBytes(readExactly((int) size));
                if (!readLine().isEmpty()) {
                    throw new IOException("chunk from " + hostHeader + " does not end with CRLF");
                }
            }
        }

        private byte[] readToEnd() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.write(buffer, position, limit - position);
            position = limit;
            for (int read; (read = in.read(buffer)) >= 0; ) {
                if (body.size() + read > maxBodyBytes) {
                    throw new IOException("answer body is over the limit of " + maxBodyBytes);
                }
                progressed();
                body.write(buffer, 0, read);
            }
            position = limit = 0;
            return body.toByteArray();
        }

        private void fill() throws IOException {
            int read = in.read(buffer, 0, buffer.length);
            if (read < 0) {
                throw new EOFException("connection to " + hostHeader + " closed " + (answerStarted ? "inside an answer" : "before an answer"));
            }
            answerStarted = true;
            progressed();
            position = 0;
            limit = read;
        }

        /** Moves the exchange's deadline on; fails if the watchdog has already closed the connection. */
        private void progressed() throws IOException {
            long last = progressNanos.get();
            if (last == EXPIRED || !progressNanos.compareAndSet(last, System.nanoTime())) {
                throw new IOException("the watchdog closed the connection to " + hostHeader);
            }
        }

        void expireIfStalled(long nowNanos, long limitNanos) {
            long last = progressNanos.get();
            if (last != IDLE && last != EXPIRED && nowNanos - last > limitNanos && progressNanos.compareAndSet(last, EXPIRED)) {
                closeQuietly(socket);
            }
        }

        void close() {
            open.remove(this);
            closeQuietly(socket);
        }
    }
}
