package dev.shardvault.vault.custody;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.Peers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads one secret's timeline from every node (this one included) and merges what a majority or more answered
 * with a chain that verifies: an event that reached {@code W} nodes is then in the answer even after {@code n - k}
 * nodes lost their disks. A node whose stored chain is broken counts as not answering.
 */
public final class TimelineReader {

    /** The merged timeline, or how many verified answers came of how many needed. */
    public sealed interface Result {
        record Merged(Timeline timeline) implements Result {
        }

        record QuorumUnavailable(int answered, int required) implements Result {
        }
    }

    private final Custody custody;
    private final Peers peers;
    private final int majority;
    private final long timeoutMillis;
    private final AtomicLong refusedChains = new AtomicLong();

    public TimelineReader(Custody custody, Peers peers, int nodes, long timeoutMillis) {
        this.custody = custody;
        this.peers = peers;
        this.majority = nodes / 2 + 1;
        this.timeoutMillis = timeoutMillis;
    }

    /** Answers refused because that node's stored chain was broken (its own included), since start. */
    public long refusedChains() {
        return refusedChains.get();
    }

    public Result read(SecretId secret) {
        List<CompletableFuture<Custody.Held>> asked = new ArrayList<>();
        for (Peer peer : peers.others()) {
            asked.add(Peer.onVirtualThread(() -> peer.events(secret)));
        }
        List<List<Event>> verified = new ArrayList<>();
        Custody.Held own = custody.held(secret);
        count(own, verified);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (CompletableFuture<Custody.Held> answer : asked) {
            try {
                count(answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS), verified);
            } catch (ExecutionException | TimeoutException e) {
                // that node does not count
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (verified.size() < majority) {
            return new Result.QuorumUnavailable(verified.size(), majority);
        }
        return new Result.Merged(Timeline.merge(verified));
    }

    private void count(Custody.Held held, List<List<Event>> verified) {
        if (held.broken()) {
            refusedChains.incrementAndGet();
        } else {
            verified.add(held.events());
        }
    }
}
