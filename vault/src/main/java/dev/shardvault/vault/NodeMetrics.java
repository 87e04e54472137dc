package dev.shardvault.vault;

import dev.shardvault.log.LogStats;
import dev.shardvault.vault.custody.Custody;
import dev.shardvault.vault.custody.Shipper;
import dev.shardvault.vault.custody.TimelineReader;
import dev.shardvault.vault.peer.HttpPeer;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.read.ReadCoordinator;
import dev.shardvault.vault.store.ShardStore;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.FunctionalCounter;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import java.util.List;

/**
 * A node's Prometheus meters at {@code /observe/metrics}, tagged with the node id: log appends and fsync
 * batches (group-commit size and time in fsync), in-doubt transactions, read repairs, peer calls coalesced into
 * batches, and write outcomes by two-phase-commit phase.
 */
final class NodeMetrics implements AutoCloseable {

    private final MeterRegistry registry = Metrics.globalRegistry();
    private final List<Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.ConcurrentHashMap<String, Counter> writes = new java.util.concurrent.ConcurrentHashMap<>();
    private final Tag node;

    NodeMetrics(int nodeId, ShardStore store, ReadCoordinator reader, Peers peers, dev.shardvault.vault.peer.ShareRelease release) {
        this.node = Tag.create("node", Integer.toString(nodeId));
        counter("shardvault.vault.log.records", store, s -> s.logStats().records());
        counter("shardvault.vault.log.fsync.batches", store, s -> s.logStats().batches());
        counter("shardvault.vault.log.bytes", store, s -> s.logStats().bytes());
        gauge("shardvault.vault.log.fsync.seconds", store, s -> s.logStats().forceNanos() / 1e9);
        gauge("shardvault.vault.log.fsync.batch.records.max", store, s -> (double) s.logStats().maxBatchRecordsSeen());
        gauge("shardvault.vault.log.fsync.batch.records.mean", store, s -> {
            LogStats stats = s.logStats();
            return stats.batches() == 0 ? 0 : (double) stats.records() / stats.batches();
        });
        gauge("shardvault.vault.in_doubt", store, s -> (double) s.inDoubt().size());
        counter("shardvault.vault.repairs.sent", reader, r -> r.repairCounts().repairsSent());
        counter("shardvault.vault.repairs.stored", reader, r -> r.repairCounts().repairsStored());
        counter("shardvault.vault.tombstones.sent", reader, r -> r.repairCounts().tombstonesSent());
        // Coalescing (calls / batches is the mean batch size), summed over the links to every peer.
        counter("shardvault.vault.peer.batches", peers, p -> sum(p, HttpPeer::batchesSent));
        counter("shardvault.vault.peer.batched.calls", peers, p -> sum(p, HttpPeer::callsBatched));
        counter("shardvault.vault.share.requests.refused", release, dev.shardvault.vault.peer.ShareRelease::refused);
    }

    /** Custody: events recorded here as coordinator, taken from peers, shipped; broken stored chains; refused answers. */
    void custody(Custody custody, Shipper shipper, TimelineReader timelines) {
        counter("shardvault.vault.custody.events.recorded", custody, Custody::recorded);
        counter("shardvault.vault.custody.events.received", custody, Custody::received);
        counter("shardvault.vault.custody.events.shipped", shipper, Shipper::shipped);
        gauge("shardvault.vault.custody.chains.broken", custody, c -> (double) c.brokenChains());
        counter("shardvault.vault.custody.timeline.chains.refused", timelines, TimelineReader::refusedChains);
    }

    /** Rebuild: versions recovered, still missing, unrecoverable; recovery terms served and refused as a helper. */
    void rebuild(dev.shardvault.vault.rebuild.Rebuilder rebuilder, dev.shardvault.vault.rebuild.RecoveryHelper helper) {
        counter("shardvault.vault.rebuild.versions.rebuilt", rebuilder, r -> r.status().rebuilt());
        gauge("shardvault.vault.rebuild.versions.missing", rebuilder, r -> (double) r.status().missing());
        gauge("shardvault.vault.rebuild.versions.unrecoverable", rebuilder, r -> (double) r.status().unrecoverable());
        gauge("shardvault.vault.rebuild.in_sync", rebuilder, r -> r.inSync() ? 1 : 0);
        gauge("shardvault.vault.rebuild.ready", rebuilder, r -> r.ready() ? 1 : 0);
        gauge("shardvault.vault.rebuild.rate", rebuilder, r -> r.status().versionsPerSecond());
        counter("shardvault.vault.rebuild.sessions.failed", rebuilder, r -> r.status().sessionsFailed());
        counter("shardvault.vault.recovery.terms", helper, dev.shardvault.vault.rebuild.RecoveryHelper::termsComputed);
        counter("shardvault.vault.recovery.pieces.received", helper, dev.shardvault.vault.rebuild.RecoveryHelper::piecesReceived);
        counter("shardvault.vault.recovery.refused", helper, dev.shardvault.vault.rebuild.RecoveryHelper::refused);
    }

    /** Reconstructions (k shares combined) and shares received, for checking that a rebuild does neither. */
    void shares(ReadCoordinator reader, java.util.function.LongSupplier received) {
        counter("shardvault.vault.shamir.reconstructions", reader, ReadCoordinator::reconstructions);
        counter("shardvault.vault.shares.received", received, java.util.function.LongSupplier::getAsLong);
    }

    private static long sum(Peers peers, java.util.function.ToLongFunction<HttpPeer> value) {
        long total = 0;
        for (Peer peer : peers.others()) {
            if (peer instanceof HttpPeer remote) {
                total += value.applyAsLong(remote);
            }
        }
        return total;
    }

    /** Counts one write this node coordinated, by outcome: committed, voting (failed), writing (unconfirmed), rejected. */
    void write(String outcome) {
        writes.computeIfAbsent(outcome, key -> {
            Counter counter = registry.getOrCreate(Counter.builder("shardvault.vault.writes")
                                                           .tags(List.of(node, Tag.create("outcome", key))));
            meters.add(counter);
            return counter;
        }).increment();
    }

    private <T> void counter(String name, T state, java.util.function.Function<T, Long> value) {
        meters.add(registry.getOrCreate(FunctionalCounter.builder(name, state, value).tags(List.of(node))));
    }

    private <T> void gauge(String name, T state, java.util.function.ToDoubleFunction<T> value) {
        meters.add(registry.getOrCreate(Gauge.builder(name, state, value).tags(List.of(node))));
    }

    /** Unregisters, so that a node restarted in the same JVM registers meters bound to its new state. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
