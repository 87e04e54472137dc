package dev.shardvault.vault.custody;

import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.Peers;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ships custody events to every other node, in batches, off the request path. Every {@code intervalMillis} it
 * sends each peer the events of this node's own stream that the peer does not hold yet (it knows what the peer
 * holds from the peer's last answer); every {@value #RELAY_EVERY} rounds it asks each peer what it holds and
 * sends it whatever this node holds that it lacks, of any stream — which is how a node that was down, or lost its
 * disk, catches up, even on events whose coordinator is gone. A peer that fails is asked afresh next time.
 */
public final class Shipper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Shipper.class.getName());
    static final int RELAY_EVERY = 10;
    static final int BATCH = 1_000;
    static final int MAX_BATCHES_PER_ROUND = 50;

    private final Custody custody;
    private final Peers peers;
    private final long intervalMillis;
    /** What each peer last said it holds; absent: ask first. */
    private final Map<Integer, Map<Stamped.Stream, Long>> theirs = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> busy = new ConcurrentHashMap<>();
    private final AtomicLong shipped = new AtomicLong();
    private final Thread loop;
    private volatile boolean closed;

    public Shipper(Custody custody, Peers peers, long intervalMillis) {
        this.custody = custody;
        this.peers = peers;
        this.intervalMillis = intervalMillis;
        this.loop = Thread.ofVirtual().name("custody-shipper-" + peers.self()).start(this::run);
    }

    /** Events sent to peers that took them, since start (a peer may already have held some). */
    public long shipped() {
        return shipped.get();
    }

    private void run() {
        long round = 0;
        while (!closed) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            boolean relay = ++round % RELAY_EVERY == 0;
            for (Peer peer : peers.others()) {
                if (busy.putIfAbsent(peer.id(), Boolean.TRUE) == null) {
                    Thread.ofVirtual().name("custody-ship").start(() -> {
                        try {
                            shipTo(peer, relay);
                        } finally {
                            busy.remove(peer.id());
                        }
                    });
                }
            }
        }
    }

    /** One exchange with {@code peer}; true if it holds all of this node's own stream afterwards. */
    boolean shipTo(Peer peer, boolean relay) {
        try {
            Map<Stamped.Stream, Long> known = theirs.get(peer.id());
            if (known == null || relay) {
                known = peer.shipEvents(List.of());
            }
            Stamped.Stream own = custody.ownStream();
            // Full batches go on back to back (a node filling up after losing its disk), within a bound per round.
            for (int batches = 0; batches < MAX_BATCHES_PER_ROUND; batches++) {
                List<Stamped> batch = custody.missing(known, relay ? stream -> true : own::equals, BATCH);
                if (batch.isEmpty()) {
                    break;
                }
                Map<Stamped.Stream, Long> before = known;
                known = peer.shipEvents(batch);
                theirs.put(peer.id(), known);
                shipped.addAndGet(batch.size());
                if (batch.size() < BATCH || known.equals(before)) {
                    break;
                }
            }
            theirs.put(peer.id(), known);
            return known.getOrDefault(own, 0L) >= custody.counts().getOrDefault(own, 0L);
        } catch (PeerUnavailableException | RuntimeException e) {
            theirs.remove(peer.id());
            LOG.log(System.Logger.Level.DEBUG, "shipping custody events to node " + peer.id() + " failed: " + e);
            return false;
        }
    }

    /**
     * Ships this node's own events to every peer now and waits (at most {@code timeoutMillis}) for the answers;
     * returns how many nodes, this one included, then hold all of them.
     */
    public int flush(long timeoutMillis) {
        List<Peer> others = peers.others();
        java.util.concurrent.atomic.AtomicInteger holders = new java.util.concurrent.atomic.AtomicInteger(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(others.size());
        for (Peer peer : others) {
            Thread.ofVirtual().name("custody-flush").start(() -> {
                try {
                    if (shipTo(peer, false)) {
                        holders.incrementAndGet();
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            done.await(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return holders.get();
    }

    @Override
    public void close() {
        closed = true;
        loop.interrupt();
    }
}
