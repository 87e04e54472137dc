package dev.shardvault.tls;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;

/**
 * Tells a read timeout from Helidon 4.5's idle-connection race (helidon issue 10861).
 *
 * <p>A pooled client connection is watched by a monitor thread that reads it in 101 ms steps and gives up once
 * the connection has been idle for the read timeout of its last request. A request that takes the connection
 * from the pool during the monitor's last step writes its request, and if the answer comes after that step
 * ended, the request fails with the monitor's {@link SocketTimeoutException} although the server got the
 * request and answered it. Two facts tell it apart: a real read timeout can only fire once the request's own
 * timeout has passed, and in 4.5 the monitor's failure reaches the caller wrapped in the
 * {@link ExecutionException} of the monitor's future ({@code IdleInputStream.endIdle}). A connect timeout is
 * early too but has no such wrapper. The caller may send the request again (on a new connection: Helidon
 * discards the one that failed) if the request is idempotent. Should a Helidon upgrade change the wrapping
 * (helidon pull request 12342 does, for 27.x), the tests that reproduce the race fail and say so.
 */
public final class IdleMonitorRace {

    private IdleMonitorRace() {
    }

    /**
     * Whether {@code failure} of a request that started {@code elapsedNanos} ago with read timeout {@code timeout}
     * is the idle monitor giving up rather than the server failing to answer in time.
     */
    public static boolean lostTo(Throwable failure, long elapsedNanos, Duration timeout) {
        return elapsedNanos < timeout.toNanos() && causedBy(failure, ExecutionException.class)
               && causedBy(failure, SocketTimeoutException.class);
    }

    /** Whether {@code failure} or one of its causes is a {@code type}. */
    public static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
