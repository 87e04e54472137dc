package dev.shardvault.gateway.http;

import dev.shardvault.gateway.problem.Problem;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A request body must arrive whole within {@code gateway.body-timeout-millis} of the handler starting to read it
 * — a client that sends one byte a second (or stops) holds a connection and a thread, not the gateway.
 *
 * <p>Helidon's server sockets have no read timeout of their own, so the deadline is a timer. When it fires while
 * the body is still being read, it answers {@code 408 body-timeout} with {@code Connection: close} on the
 * request's behalf (the reading thread is blocked and not touching the response); the reader, on its next
 * return, closes the connection. A client that neither sends nor closes is cut off {@link #GRACE_MILLIS} later by
 * interrupting the reading virtual thread, which closes its socket — the grace lets the 408 reach the client
 * before a close with unread input turns into a reset.
 */
final class BodyDeadline {

    static final long GRACE_MILLIS = 1_000;

    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private static final int READING = 0;
    private static final int DONE = 1;
    private static final int EXPIRED = 2;

    private final long timeoutMillis;
    private final ServerResponse res;

    private BodyDeadline(long timeoutMillis, ServerResponse res) {
        this.timeoutMillis = timeoutMillis;
        this.res = res;
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "gateway-body-deadline");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /** Filter: makes this request's deadline available to {@link #read}. */
    static void filter(long timeoutMillis, FilterChain chain, RoutingRequest req, RoutingResponse res) {
        req.context().register(new BodyDeadline(timeoutMillis, res));
        chain.proceed();
    }

    /**
     * Up to {@code limit} bytes of the body ({@code limit + 1} tells the caller it was longer), within the deadline.
     * On expiry this throws {@link CloseConnectionException} after the 408 is sent.
     */
    static byte[] read(ServerRequest req, InputStream in, int expected, int limit) throws IOException {
        BodyDeadline deadline = req.context().get(BodyDeadline.class).orElse(null);
        if (deadline == null) {
            return readUpTo(in, expected, limit, null);
        }
        return deadline.readWithin(in, expected, limit);
    }

    /**
     * Sends {@code problem} with {@code Connection: close} and returns the exception that makes Helidon close the
     * connection — for a request whose framing can no longer be trusted. (Helidon 4.5.0 reads the next request
     * on a connection after a handler's {@code Connection: close} answer; only this exception ends it.)
     */
    static RuntimeException answerAndClose(ServerRequest req, Problem problem) {
        BodyDeadline deadline = req.context().get(BodyDeadline.class).orElse(null);
        if (deadline == null) {
            return new dev.shardvault.gateway.problem.ProblemException(problem);
        }
        deadline.res.header(HeaderValues.CONNECTION_CLOSE);
        problem.send(deadline.res);
        return new CloseConnectionException(problem.detail());
    }

    private byte[] readWithin(InputStream in, int expected, int limit) throws IOException {
        Reading reading = new Reading(Thread.currentThread());
        reading.timer = TIMER.schedule(reading::expire, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            byte[] body = readUpTo(in, expected, limit, reading);
            if (reading.state.compareAndSet(READING, DONE)) {
                reading.timer.cancel(false);
                return body;
            }
            throw reading.closed();
        } catch (IOException | RuntimeException e) {
            if (e instanceof CloseConnectionException) {
                throw e;
            }
            if (reading.state.compareAndSet(READING, DONE)) {
                reading.timer.cancel(false);
                throw e;
            }
            throw reading.closed();
        } finally {
            reading.exit();
        }
    }

    private static byte[] readUpTo(InputStream in, int expected, int limit, Reading reading) throws IOException {
        byte[] buffer = new byte[Math.min(Math.max(expected, 0), limit + 1)];
        int length = 0;
        while (length <= limit) {
            if (length == buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.min(Math.max(2 * buffer.length, 8192), limit + 1));
            }
            int read = in.read(buffer, length, buffer.length - length);
            if (reading != null && reading.state.get() == EXPIRED) {
                throw reading.closed();
            }
            if (read < 0) {
                break;
            }
            length += read;
        }
        return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
    }

    /** One body read and its timer. */
    private final class Reading {
        final Thread reader;
        final AtomicInteger state = new AtomicInteger(READING);
        final CountDownLatch answered = new CountDownLatch(1);
        volatile ScheduledFuture<?> timer;
        private boolean exited;

        Reading(Thread reader) {
            this.reader = reader;
        }

        /** Timer thread: the body did not arrive in time. */
        void expire() {
            if (!state.compareAndSet(READING, EXPIRED)) {
                return;
            }
            try {
                res.status(Status.REQUEST_TIMEOUT_408).header(HeaderValues.CONNECTION_CLOSE);
                Problem.of(408, "body-timeout", "Request timeout",
                           "the request body did not arrive within " + timeoutMillis + " ms").send(res);
            } catch (RuntimeException e) {
                // The connection already failed; the reader closes it.
            } finally {
                answered.countDown();
            }
            TIMER.schedule(this::cutOff, GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }

        /** Timer thread: the client neither sent nor closed after the 408; close its socket under the reader. */
        synchronized void cutOff() {
            if (!exited) {
                reader.interrupt();
            }
        }

        /** Reader: the 408 is (being) sent; wait for it, then have Helidon close the connection. */
        CloseConnectionException closed() {
            try {
                answered.await(GRACE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // cut off: the socket is closed either way
            }
            return new CloseConnectionException("the request body did not arrive within " + timeoutMillis + " ms");
        }

        synchronized void exit() {
            exited = true;
            if (state.get() == EXPIRED) {
                Thread.interrupted();
            }
        }
    }
}
