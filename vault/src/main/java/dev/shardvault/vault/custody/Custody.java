package dev.shardvault.vault.custody;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.Sha256;
import dev.shardvault.vault.store.Journal;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The custody events this node holds: those it recorded as coordinator and those other nodes shipped to it, every
 * one in its log (EVENT records, group-committed with the rest). Events are held by {@link Stamped.Stream}, without
 * gaps, so two nodes compare what they hold with one count per stream ({@link #counts()}), and by secret, in the
 * order this node logged them, each record carrying {@code SHA-256(previous record's hash of that secret || the
 * event's bytes)}: replay recomputes the chain, and a secret whose stored chain does not verify (a record altered,
 * removed or reordered on disk) is refused to every reader, loudly, while the node goes on serving the rest.
 */
public final class Custody {

    private static final System.Logger LOG = System.getLogger(Custody.class.getName());
    static final byte[] ZERO_HASH = new byte[32];

    /** What this node holds of one secret's timeline: its events, or {@code broken} if its stored chain failed. */
    public record Held(boolean broken, List<Event> events) {
        public Held {
            events = List.copyOf(events);
        }
    }

    /**
     * Appends one record to this node's log; the future completes once it is durable. A {@code deferred} record is
     * forced by the next fsync the node makes anyway, or within the log's deferred-force bound.
     */
    public interface Log {
        CompletableFuture<Void> append(Journal.Recorded recorded, boolean deferred);
    }

    private static final class Chain {
        final List<Event> events = new ArrayList<>();
        byte[] lastHash = ZERO_HASH;
        boolean broken;
        /** The version-writing events an exposure named: reads of those versions ask for rotation. */
        final Set<EventId> exposedWriters = new HashSet<>();
    }

    private final Stamped.Stream own;
    private final Object monitor = new Object();
    // Guarded by monitor.
    private final Map<Stamped.Stream, List<Stamped>> streams = new HashMap<>();
    private final Map<SecretId, Chain> chains = new HashMap<>();
    private long ownSeq;
    private final Map<Event.Actor, Event.Actor> actors = new HashMap<>();
    private final Map<SecretId, SecretId> secrets = new HashMap<>();
    private final Map<Stamped.Stream, Stamped.Stream> streamIds = new HashMap<>();
    private volatile Log log;
    private final AtomicLong brokenChains = new AtomicLong();
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    public Custody(int self) {
        this.own = new Stamped.Stream(self, new SecureRandom().nextLong());
    }

    /** Where events are logged; set once the log is open (replay comes first). */
    public void logTo(Log log) {
        this.log = log;
    }

    public Stamped.Stream ownStream() {
        return own;
    }

    /** Secrets whose stored chain did not verify at replay (each is refused to readers). */
    public long brokenChains() {
        return brokenChains.get();
    }

    /** Events this node recorded as coordinator since it started. */
    public long recorded() {
        return recorded.get();
    }

    /** Events other nodes shipped to this one that it did not hold, since it started. */
    public long received() {
        return received.get();
    }

    // ---- replay ----

    /** A record read back from the log at start, in log order. */
    public void replay(Journal.Recorded record) {
        synchronized (monitor) {
            Stamped stamped = record.stamped();
            Chain chain = chains.computeIfAbsent(stamped.event().secret(), id -> new Chain());
            byte[] expected = link(chain.lastHash, record.content());
            if (!chain.broken && !MessageDigest.isEqual(expected, record.hash())) {
                chain.broken = true;
                brokenChains.incrementAndGet();
                LOG.log(System.Logger.Level.ERROR, "the stored custody chain of " + stamped.event().secret()
                        + " does not verify at event " + stamped.event().id() + " of " + stamped.stream()
                        + ": a record was altered, removed or reordered on disk; this node refuses that timeline to every "
                        + "reader, which use the other nodes'");
            }
            chain.lastHash = record.hash();
            index(chain, stamped);
        }
    }

    // ---- recording ----

    /**
     * Records events this node coordinated: numbered in its own stream, chained and queued for the log in one
     * step; the future completes when all are durable.
     */
    public CompletableFuture<Void> record(List<Event> events) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> appends = new ArrayList<>(events.size());
        synchronized (monitor) {
            for (Event event : events) {
                appends.add(append(new Stamped(own, ++ownSeq, event), false));
            }
        }
        recorded.addAndGet(events.size());
        return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new));
    }

    /**
     * Records an event that nobody waits for (a repair after a read): it rides on this node's next fsync.
     */
    public CompletableFuture<Void> recordDeferred(Event event) {
        CompletableFuture<Void> durable;
        synchronized (monitor) {
            durable = append(new Stamped(own, ++ownSeq, event), true);
        }
        recorded.incrementAndGet();
        return durable;
    }

    /**
     * Takes what a peer shipped: per stream, only the event right after the last one held (so each stream stays
     * without gaps); the rest is ignored and will come again. Completes when the new ones are durable: they ride
     * on the fsync this node makes next anyway (deferred), so shipping adds records, not fsyncs.
     */
    public CompletableFuture<Void> accept(List<Stamped> shipped) {
        List<CompletableFuture<Void>> appends = new ArrayList<>();
        synchronized (monitor) {
            for (Stamped stamped : shipped) {
                List<Stamped> stream = streams.get(stamped.stream());
                long held = stream == null ? 0 : stream.size();
                if (stamped.seq() == held + 1 && !stamped.stream().equals(own)) {
                    appends.add(append(stamped, true));
                }
            }
        }
        received.addAndGet(appends.size());
        return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new));
    }

    /** Logs, chains and indexes one event (monitor held, so that log order is chain order). */
    private CompletableFuture<Void> append(Stamped stamped, boolean deferred) {
        Chain chain = chains.computeIfAbsent(stamped.event().secret(), id -> new Chain());
        byte[] content = EventCodec.encode(stamped);
        byte[] hash = link(chain.lastHash, content);
        CompletableFuture<Void> durable = log.append(new Journal.Recorded(stamped, content, hash), deferred);
        chain.lastHash = hash;
        index(chain, stamped);
        return durable;
    }

    /**
     * Every node holds every event in memory, so what events have in common (their stream, secret and actor) is shared rather
     * than held once per event as decoded.
     */
    private Stamped shared(Stamped stamped) {
        Event event = stamped.event();
        Event.Actor actor = actors.computeIfAbsent(event.actor(), a -> a);
        SecretId secret = secrets.computeIfAbsent(event.secret(), id -> id);
        Stamped.Stream stream = streamIds.computeIfAbsent(stamped.stream(), s -> s);
        if (actor != event.actor() || secret != event.secret()) {
            event = new Event(secret, event.id(), event.parent(), event.atMillis(), event.action(), actor, event.version(),
                              event.outcome(), event.reason());
        }
        return stream == stamped.stream() && event == stamped.event() ? stamped : new Stamped(stream, stamped.seq(), event);
    }

    private void index(Chain chain, Stamped received) {
        Stamped stamped = shared(received);
        List<Stamped> stream = streams.computeIfAbsent(stamped.stream(), s -> new ArrayList<>());
        if (stamped.seq() == stream.size() + 1) {
            stream.add(stamped);
        } else {
            // Only a record altered or lost on disk can do this; its secret's chain says which.
            LOG.log(System.Logger.Level.ERROR, "custody event " + stamped.seq() + " of " + stamped.stream()
                    + " does not follow event " + stream.size() + "; it is not passed on to other nodes");
        }
        Event event = stamped.event();
        chain.events.add(event);
        if (event.action() == Event.Action.EXPOSED && event.outcome() == Event.Outcome.OK && event.parent() != null) {
            chain.exposedWriters.add(event.parent());
        }
    }

    private static byte[] link(byte[] previous, byte[] content) {
        byte[] both = new byte[previous.length + content.length];
        System.arraycopy(previous, 0, both, 0, previous.length);
        System.arraycopy(content, 0, both, previous.length, content.length);
        return Sha256.digest(both);
    }

    // ---- queries ----

    /** This node's events of {@code secret}, in the order it logged them. */
    public Held held(SecretId secret) {
        synchronized (monitor) {
            Chain chain = chains.get(secret);
            if (chain == null) {
                return new Held(false, List.of());
            }
            return chain.broken ? new Held(true, List.of()) : new Held(false, chain.events);
        }
    }

    /** Whether an exposure named the event that wrote this version (so it must be rotated). */
    public boolean exposed(SecretId secret, EventId writer) {
        synchronized (monitor) {
            Chain chain = chains.get(secret);
            return chain != null && chain.exposedWriters.contains(writer);
        }
    }

    /** Whether any event of {@code secret} is held here. */
    public boolean knows(SecretId secret) {
        synchronized (monitor) {
            return chains.containsKey(secret);
        }
    }

    /** How many events of each stream this node holds. */
    public Map<Stamped.Stream, Long> counts() {
        synchronized (monitor) {
            Map<Stamped.Stream, Long> counts = new HashMap<>();
            streams.forEach((stream, events) -> counts.put(stream, (long) events.size()));
            return counts;
        }
    }

    /**
     * Up to {@code limit} events of the streams {@code which} accepts that a node holding {@code theirs} lacks,
     * oldest first within each stream.
     */
    public List<Stamped> missing(Map<Stamped.Stream, Long> theirs, Predicate<Stamped.Stream> which, int limit) {
        List<Stamped> missing = new ArrayList<>();
        synchronized (monitor) {
            for (Map.Entry<Stamped.Stream, List<Stamped>> entry : streams.entrySet()) {
                if (!which.test(entry.getKey())) {
                    continue;
                }
                List<Stamped> events = entry.getValue();
                long have = theirs.getOrDefault(entry.getKey(), 0L);
                for (long seq = have + 1; seq <= events.size() && missing.size() < limit; seq++) {
                    Stamped event = events.get((int) (seq - 1));
                    if (chains.get(event.event().secret()).broken) {
                        break; // never passed on: the rest of this stream comes from a node whose copy is intact
                    }
                    missing.add(event);
                }
                if (missing.size() >= limit) {
                    break;
                }
            }
        }
        return missing;
    }
}
