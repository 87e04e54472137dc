package dev.shardvault.vault;

import dev.shardvault.vault.peer.PeerLink;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The test network between in-process nodes: real peer sockets, plus faults injected before a request leaves
 * (isolate a node, drop one route from one node, delay) and a tap that scans every request body.
 */
final class FaultyLink implements PeerLink {

    /** A request about to leave {@code from} for {@code to}. */
    record Send(int from, int to, String route) {
    }

    interface Rule {
        /** Return true to drop the request. */
        boolean drop(Send send);
    }

    private final Set<Integer> isolated = ConcurrentHashMap.newKeySet();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<byte[]> watched = new CopyOnWriteArrayList<>();
    private final AtomicLong watchedHits = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private volatile long delayMillis;

    /** Cut {@code node} off from every other node, both directions. */
    void isolate(int node) {
        isolated.add(node);
    }

    void heal(int node) {
        isolated.remove(node);
    }

    void healAll() {
        isolated.clear();
        rules.clear();
        delayMillis = 0;
    }

    void add(Rule rule) {
        rules.add(rule);
    }

    void remove(Rule rule) {
        rules.remove(rule);
    }

    void delay(long millis) {
        delayMillis = millis;
    }

    /** Count requests whose bytes contain {@code needle}. */
    void watch(byte[] needle) {
        watched.add(needle.clone());
    }

    long watchedHits() {
        return watchedHits.get();
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void beforeSend(int from, int to, String route, byte[] body) throws PeerUnavailableException {
        requests.incrementAndGet();
        for (byte[] needle : watched) {
            if (Bytes.indexOf(body, needle) >= 0) {
                watchedHits.incrementAndGet();
            }
        }
        if (isolated.contains(from) || isolated.contains(to)) {
            throw new PeerUnavailableException("test network: node " + (isolated.contains(from) ? from : to) + " is isolated", null);
        }
        Send send = new Send(from, to, route);
        for (Rule rule : rules) {
            if (rule.drop(send)) {
                throw new PeerUnavailableException("test network: dropped " + send, null);
            }
        }
        long delay = delayMillis;
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
