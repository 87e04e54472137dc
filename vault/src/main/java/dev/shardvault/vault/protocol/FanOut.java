package dev.shardvault.vault.protocol;

import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The same call to many peers at once, one virtual thread each; replies are taken in arrival order until
 * the caller has enough or its deadline passes. Replies that arrive after the caller stopped are dropped.
 */
public final class FanOut<T> {

    /** A call to one peer. */
    public interface Call<T> {
        T call(Peer peer) throws PeerUnavailableException;
    }

    /** One peer's answer: a value, or the reason it gave none. */
    public record Reply<T>(int node, T value, PeerUnavailableException failure) {
        public boolean ok() {
            return failure == null;
        }
    }

    private final LinkedBlockingQueue<Reply<T>> replies = new LinkedBlockingQueue<>();
    private final int sent;
    private int received;

    private FanOut(List<Peer> peers, Call<T> call) {
        this.sent = peers.size();
        for (Peer peer : peers) {
            Thread.ofVirtual().name("fan-out-" + peer.id()).start(() -> {
                try {
                    replies.add(new Reply<>(peer.id(), call.call(peer), null));
                } catch (PeerUnavailableException e) {
                    replies.add(new Reply<>(peer.id(), null, e));
                } catch (RuntimeException e) {
                    replies.add(new Reply<>(peer.id(), null, new PeerUnavailableException("node " + peer.id() + " failed: " + e, e)));
                }
            });
        }
    }

    public static <T> FanOut<T> start(List<Peer> peers, Call<T> call) {
        return new FanOut<>(peers, call);
    }

    /** The next reply, or null when every reply was taken or the deadline ({@link System#nanoTime()}) passed. */
    public Reply<T> next(long deadlineNanos) {
        if (received == sent) {
            return null;
        }
        long waitNanos = deadlineNanos - System.nanoTime();
        if (waitNanos <= 0) {
            Reply<T> ready = replies.poll();
            if (ready != null) {
                received++;
            }
            return ready;
        }
        try {
            Reply<T> reply = replies.poll(waitNanos, TimeUnit.NANOSECONDS);
            if (reply != null) {
                received++;
            }
            return reply;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public boolean allReceived() {
        return received == sent;
    }

    public int sent() {
        return sent;
    }
}
