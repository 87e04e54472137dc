package dev.shardvault.vault.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The same call to many peers at once; replies are taken in arrival order until the caller has enough or its
 * deadline passes. Replies the caller did not take are dropped, or handed to {@link #onRemaining} if it asked.
 */
public final class FanOut<T> {

    /** A blocking call to one peer (run on a virtual thread of its own). */
    public interface Call<T> {
        T call(Peer peer) throws PeerUnavailableException;
    }

    /** A call to one peer that answers with a future (no thread waits for it). */
    public interface AsyncCall<T> {
        CompletableFuture<T> call(Peer peer);
    }

    /** One peer's answer: a value, or the reason it gave none. */
    public record Reply<T>(int node, T value, PeerUnavailableException failure) {
        public boolean ok() {
            return failure == null;
        }
    }

    /** The node of an alarm's marker in {@link #replies}: the waiter's deadline may have passed. */
    private static final int ALARM = Integer.MIN_VALUE;

    private final LinkedBlockingQueue<Reply<T>> replies = new LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    private int received;
    private Consumer<Reply<T>> remaining; // guarded by replies
    private ScheduledFuture<?> alarm; // guarded by replies
    private long alarmDeadline; // guarded by replies
    private int delivered; // guarded by replies

    private FanOut(List<Peer> peers, AsyncCall<T> call) {
        for (Peer peer : peers) {
            add(peer, call);
        }
    }

    /** One more call, made now, whose reply joins the others (a caller may take it if it still waits). */
    public void add(Peer peer, AsyncCall<T> call) {
        sent.incrementAndGet();
        CompletableFuture<T> future;
        try {
            future = call.call(peer);
        } catch (RuntimeException e) {
            future = CompletableFuture.failedFuture(e);
        }
        future.whenComplete((value, error) -> deliver(error == null ? new Reply<>(peer.id(), value, null)
                                                                     : new Reply<>(peer.id(), null, unavailable(peer, error))));
    }

    /** Runs a blocking call on one virtual thread per peer. */
    public static <T> FanOut<T> start(List<Peer> peers, Call<T> call) {
        return new FanOut<>(peers, peer -> Peer.onVirtualThread(() -> call.call(peer)));
    }

    public static <T> FanOut<T> startAsync(List<Peer> peers, AsyncCall<T> call) {
        return new FanOut<>(peers, call);
    }

    private static PeerUnavailableException unavailable(Peer peer, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause instanceof PeerUnavailableException unavailable ? unavailable
                : new PeerUnavailableException("node " + peer.id() + " failed: " + cause, cause);
    }

    private void deliver(Reply<T> reply) {
        Consumer<Reply<T>> handler;
        synchronized (replies) {
            delivered++;
            if (delivered == sent.get()) {
                // Everything is in: a waiter takes it without the alarm (one abandoned early needs none either).
                // An alarm armed later waits for a later call's reply, whose delivery cancels it in turn.
                cancelAlarm();
            }
            handler = remaining;
            if (handler == null) {
                replies.add(reply);
                return;
            }
        }
        handler.accept(reply);
    }

    /**
     * The next reply, or null when every reply was taken or the deadline ({@link System#nanoTime()}) passed.
     * Waiting is one untimed park; the deadline is an alarm on {@link Timers} that queues a marker, armed once
     * per deadline (not once per reply) and cancelled as soon as every reply is in.
     */
    public Reply<T> next(long deadlineNanos) {
        if (received == sent.get()) {
            return null;
        }
        Reply<T> reply = replies.poll();
        while (reply == null || reply.node() == ALARM) {
            if (deadlineNanos - System.nanoTime() <= 0) {
                // Passed: what already arrived is still taken, without waiting.
                while ((reply = replies.poll()) != null && reply.node() == ALARM) {
                    // an alarm's marker
                }
                if (reply == null) {
                    return null;
                }
                break;
            }
            arm(deadlineNanos);
            try {
                reply = replies.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        received++;
        return reply;
    }

    private void arm(long deadlineNanos) {
        synchronized (replies) {
            if (alarm != null && alarmDeadline == deadlineNanos) {
                return;
            }
            cancelAlarm();
            alarmDeadline = deadlineNanos;
            alarm = Timers.scheduler().schedule(() -> replies.add(new Reply<>(ALARM, null, null)),
                                                deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
    }

    /** Called holding {@code replies}. */
    private void cancelAlarm() {
        if (alarm != null) {
            alarm.cancel(false);
            alarm = null;
        }
    }

    /**
     * Hands every reply not taken yet — already arrived or still to come — to {@code handler} (on the thread
     * that delivers it); the caller takes no more replies after this.
     */
    public void onRemaining(Consumer<Reply<T>> handler) {
        List<Reply<T>> waiting = new ArrayList<>();
        synchronized (replies) {
            cancelAlarm();
            remaining = handler;
            replies.drainTo(waiting);
        }
        waiting.removeIf(reply -> reply.node() == ALARM);
        waiting.forEach(handler);
    }

    /** Replies sent for and not taken yet. */
    public int pending() {
        return sent.get() - received;
    }

    public boolean allReceived() {
        return received == sent.get();
    }

    public int sent() {
        return sent.get();
    }
}
