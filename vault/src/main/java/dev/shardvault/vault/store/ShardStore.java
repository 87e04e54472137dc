package dev.shardvault.vault.store;

import dev.shardvault.log.LogOptions;
import dev.shardvault.log.LogRecord;
import dev.shardvault.log.LogStats;
import dev.shardvault.log.RecordLog;
import dev.shardvault.log.ReplayReport;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.store.Journal.Aborted;
import dev.shardvault.vault.store.Journal.Committed;
import dev.shardvault.vault.store.Journal.Entry;
import dev.shardvault.vault.store.Journal.Prepared;
import dev.shardvault.vault.store.Journal.Repaired;
import dev.shardvault.vault.store.Journal.Tombstoned;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * This node's shares and its knowledge of every secret and transaction. Every change is appended to the log
 * and made durable before memory changes, so that replaying the log rebuilds exactly this state. One monitor
 * guards the memory; log appends happen outside it so that group commit can batch concurrent transactions.
 *
 * <p>Invariants: a name is locked by at most one prepared transaction; a version is installed only from
 * this node's own prepared share and a durable commit; a transaction is decided at most once here (a second,
 * different decision is a protocol violation and fails loudly).
 */
public final class ShardStore implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ShardStore.class.getName());
    /**
     * Changes held for other nodes' sweeps: about 13 minutes of creates at this machine's measured peak (1,300/s);
     * a sweep that fell further behind lists every name once.
     */
    static final int CHANGES_HELD = 1 << 20;

    private final int nodeId;
    private final RecordLog log;
    private final Consumer<IOException> onLogFailure;
    /** Numbers this process's changes; never 0 ("no epoch known"), new on every start. */
    private final long epoch = newEpoch();
    private final Object monitor = new Object();

    // Guarded by monitor.
    private final TreeMap<SecretId, Secret> secrets = new TreeMap<>(); // in name order, for listing
    private final HashMap<SecretId, Secret> byId = new HashMap<>(); // the same entries, for lookups
    private final Map<TxnId, Pending> pending = new HashMap<>();
    private final Set<TxnId> preparing = new HashSet<>();
    private final Map<TxnId, TxnState> decided = new HashMap<>();
    /**
     * Transactions whose decision record a thread is logging right now. The check of {@link #decided} and the
     * append are not under one monitor (appends wait for the disk), so without this claim a commit and an abort
     * of one transaction (a refusal logged by a node asked about a transaction it never prepared, while a retry
     * re-sends that transaction's commit) could both reach the log, and the node would refuse to replay it.
     */
    private final Map<TxnId, CompletableFuture<Void>> deciding = new HashMap<>();
    private final Map<RequestId, Committed> committedRequests = new HashMap<>();
    /** Replay only: secrets whose share records were seen, and tombstones that followed them. */
    private final Set<SecretId> replayedShares = new HashSet<>();
    private final Map<SecretId, Long> unfinishedErasures = new HashMap<>();
    /** Secrets whose view changed, numbered for the sweep of other nodes; see {@link #changesAfter}. */
    private final ViewChanges changes = new ViewChanges(CHANGES_HELD);
    private final Consumer<SecretId> afterTombstone;
    /** Where replayed custody events go (they are not this store's state). */
    private final Consumer<Journal.Recorded> events;

    /** Holds a name while this node changes it on its own (a learned tombstone, a repair): prepares vote no. */
    private static final TxnId MAINTENANCE = new TxnId(new RequestId(0, 0), 0);

    /** One secret on this node. */
    private static final class Secret {
        long incarnation;
        final TreeMap<Long, Stored> versions = new TreeMap<>();
        long deletedAtMillis = -1;
        TxnId lockedBy;
    }

    /**
     * One version this node holds. An empty share is a placeholder: a version a rebuild learned of but could not
     * recover (fewer than k nodes hold it), kept so that this node's view is not older than one it voted for;
     * it answers reads of it without a share.
     */
    private record Stored(long validFromMillis, byte[] share) {
    }

    /** Holds {@code version} already, as far as a repair carrying {@code share} is concerned. */
    private static boolean holds(Secret secret, long version, byte[] share) {
        Stored stored = secret.versions.get(version);
        return stored != null && (stored.share.length > 0 || share.length == 0);
    }

    /** A prepared, undecided transaction: the ops this node holds shares for, by index. */
    private static final class Pending {
        final TxnId txn;
        final int coordinator;
        final Op[] ops;
        final long preparedAtNanos = System.nanoTime();
        /** Prepared before this process started (found by replay). */
        boolean recovered;

        Pending(TxnId txn, int coordinator, int opCount) {
            this.txn = txn;
            this.coordinator = coordinator;
            this.ops = new Op[opCount];
        }
    }

    /** A transaction this node voted yes for and has no decision on. */
    public record InDoubt(TxnId txn, int coordinator, long preparedAtNanos, List<SecretId> ids) {
    }

    private ShardStore(int nodeId, Path dir, LogOptions options, Consumer<IOException> onLogFailure,
                       Consumer<SecretId> afterTombstone, Consumer<Journal.Recorded> events) throws IOException {
        this.nodeId = nodeId;
        this.onLogFailure = onLogFailure;
        this.afterTombstone = afterTombstone;
        this.events = events;
        this.log = RecordLog.open(dir, options, this::replay);
        Map<SecretId, Long> erasures;
        synchronized (monitor) {
            for (Pending txn : pending.values()) {
                txn.recovered = true;
                for (Op op : txn.ops) {
                    if (op != null) {
                        secret(op.id()).lockedBy = txn.txn;
                    }
                }
            }
            erasures = Map.copyOf(unfinishedErasures);
            unfinishedErasures.clear();
            replayedShares.clear();
        }
        if (!erasures.isEmpty()) {
            // A tombstone is durable but the node stopped before its shares were erased: finish now.
            LOG.log(System.Logger.Level.INFO, "finishing the erasure of {0} deleted secret(s) interrupted by a stop",
                    erasures.size());
            eraseShares(erasures);
        }
    }

    /**
     * Opens the node's log and replays it. {@code onLogFailure} is called once the log can no longer make
     * appends durable: the node must stop, since memory may now be ahead of disk.
     */
    public static ShardStore open(int nodeId, Path dir, LogOptions options, Consumer<IOException> onLogFailure)
            throws IOException {
        return new ShardStore(nodeId, dir, options, onLogFailure, id -> { }, event -> { });
    }

    /**
     * As {@link #open(int, Path, LogOptions, Consumer)}, with a hook called after a tombstone is durable and
     * before the shares are erased (fault-injection tests stop the process there).
     */
    public static ShardStore open(int nodeId, Path dir, LogOptions options, Consumer<IOException> onLogFailure,
                                  Consumer<SecretId> afterTombstone) throws IOException {
        return new ShardStore(nodeId, dir, options, onLogFailure, afterTombstone, event -> { });
    }

    /** As above, handing every replayed custody event to {@code events}, in log order. */
    public static ShardStore open(int nodeId, Path dir, LogOptions options, Consumer<IOException> onLogFailure,
                                  Consumer<SecretId> afterTombstone, Consumer<Journal.Recorded> events) throws IOException {
        return new ShardStore(nodeId, dir, options, onLogFailure, afterTombstone, events);
    }

    /**
     * Queues a custody event for the log, group-committed with every other record; the future completes when it
     * is durable ({@code deferred}: see {@link RecordLog#appendDeferred}). A log failure also reaches
     * {@code onLogFailure} (the node stops).
     */
    public CompletableFuture<Void> appendEvent(Journal.Recorded recorded, boolean deferred) {
        LogRecord record = Journal.encode(recorded);
        CompletableFuture<Void> appended = deferred ? log.appendDeferred(record) : log.append(record);
        appended.whenComplete((ignored, failure) -> {
            if (failure != null) {
                onLogFailure.accept(asIOException(failure));
            }
        });
        return appended;
    }

    public ReplayReport replayReport() {
        return log.replayReport();
    }

    public LogStats logStats() {
        return log.stats();
    }

    // ---- participant: prepare, commit, abort, status ----

    /**
     * Votes on a transaction: try-locks every name (no waiting), makes this node's shares durable, and answers
     * with this node's view of each secret. A lock held by another transaction is a no vote. When this node is
     * the coordinator, its shares are made durable by the fsync of its decision, which follows them in the log.
     */
    public PrepareResult prepare(TxnId txn, int coordinator, List<Op> ops) throws IOException {
        List<SecretId> locked = new ArrayList<>(ops.size());
        synchronized (monitor) {
            Committed earlier = committedRequests.get(txn.request());
            if (earlier != null) {
                return new PrepareResult.RequestCommitted(earlier);
            }
            TxnState state = decided.get(txn);
            if (state != null) {
                return new PrepareResult.Decided(state);
            }
            if (pending.containsKey(txn)) {
                return new PrepareResult.Voted(views(ops));
            }
            if (!preparing.add(txn)) {
                return new PrepareResult.Locked(ops.getFirst().id());
            }
            for (Op op : ops) {
                Secret secret = secret(op.id());
                if (secret.lockedBy != null && !secret.lockedBy.equals(txn)) {
                    locked.forEach(id -> byId.get(id).lockedBy = null);
                    preparing.remove(txn);
                    return new PrepareResult.Locked(op.id());
                }
                secret.lockedBy = txn;
                locked.add(op.id());
            }
        }
        boolean durable = false;
        try {
            // This node's own vote is not waited for: its decision record comes after these in the log and is
            // forced before anyone learns of a commit; should this node stop first, the transaction was never
            // decided here and is presumed aborted.
            boolean own = coordinator == nodeId;
            List<CompletableFuture<Void>> appends = new ArrayList<>(ops.size());
            for (int i = 0; i < ops.size(); i++) {
                LogRecord record = Journal.encode(new Prepared(txn, coordinator, i, ops.size(), ops.get(i)));
                if (own) {
                    appendOrdered(record);
                } else {
                    appends.add(log.append(record));
                }
            }
            await(appends);
            durable = true;
        } catch (IOException e) {
            onLogFailure.accept(e);
            throw e;
        } finally {
            if (!durable) {
                synchronized (monitor) {
                    preparing.remove(txn);
                    locked.forEach(id -> unlock(id, txn));
                }
            }
        }
        synchronized (monitor) {
            preparing.remove(txn);
            TxnState raced = decided.get(txn);
            if (raced != null) {
                // Refused (or aborted by the coordinator's timeout) while the shares were being written.
                locked.forEach(id -> unlock(id, txn));
                return new PrepareResult.Decided(raced);
            }
            Pending prepared = new Pending(txn, coordinator, ops.size());
            for (int i = 0; i < ops.size(); i++) {
                prepared.ops[i] = ops.get(i);
            }
            pending.put(txn, prepared);
            return new PrepareResult.Voted(views(ops));
        }
    }

    /**
     * Logs a commit decision and applies it if this node prepared the transaction: the coordinator's call is
     * the commit point, a participant's call makes its shares part of the secrets.
     *
     * @return {@link DecideResult.Committed}, with whether this node holds shares of the committed operations (it
     *         had prepared them), or {@link DecideResult.DecidedOtherwise} if this node already aborted the
     *         transaction (it refused it, or its termination protocol proved the commit impossible)
     */
    public DecideResult commit(Committed decision) throws IOException {
        return commit(decision, true);
    }

    /**
     * Applies a commit decision that is already durable on its coordinator (the commit point): the record is
     * queued on the log and applied without waiting for its fsync. The log is written in order, so it is
     * durable before any record appended after it (the next prepare of the same names included); should this
     * node stop before that, its prepare is in doubt after the restart and resolves to this commit through the
     * coordinator. A decision with removed outcomes still waits: a node acknowledges a delete only after the
     * tombstone is durable and the shares are erased.
     *
     * @return as {@link #commit(Committed)}
     */
    public DecideResult learnCommit(Committed decision) throws IOException {
        return commit(decision, decision.outcomes().stream().anyMatch(o -> tombstoneOf(o) != null));
    }

    private DecideResult commit(Committed decision, boolean awaitDurable) throws IOException {
        CompletableFuture<Void> claim = new CompletableFuture<>();
        while (true) {
            CompletableFuture<Void> other;
            synchronized (monitor) {
                TxnState state = decided.get(decision.txn());
                if (state instanceof TxnState.IsAborted) {
                    return new DecideResult.DecidedOtherwise(state);
                }
                if (state instanceof TxnState.IsCommitted) {
                    return new DecideResult.Committed(holdsAny(decision));
                }
                other = deciding.putIfAbsent(decision.txn(), claim);
                if (other == null) {
                    // A put that lands in an incarnation deleted here has its prepared share erased below; the
                    // commit must be durable first, or a restart would find the prepare gone and the
                    // transaction unknown here.
                    awaitDurable |= putsIntoDeleted(decision);
                    break;
                }
            }
            other.join(); // another thread is logging a decision of this transaction: look again once it has
        }
        try {
            return new DecideResult.Committed(logAndApplyCommit(decision, awaitDurable));
        } finally {
            release(decision.txn(), claim);
        }
    }

    private void release(TxnId txn, CompletableFuture<Void> claim) {
        synchronized (monitor) {
            deciding.remove(txn, claim);
        }
        claim.complete(null);
    }

    private boolean logAndApplyCommit(Committed decision, boolean awaitDurable) throws IOException {
        if (awaitDurable) {
            append(Journal.encode(decision));
        } else {
            appendOrdered(Journal.encode(decision));
        }
        boolean holds;
        Map<SecretId, Long> removed = new HashMap<>();
        Map<SecretId, Long> deadPuts = new HashMap<>();
        synchronized (monitor) {
            holds = applyCommit(decision, deadPuts);
            for (Outcome outcome : decision.outcomes()) {
                SecretView.Deleted tombstone = tombstoneOf(outcome);
                if (tombstone != null) {
                    removed.put(outcome.id(), tombstone.incarnation());
                }
            }
        }
        if (!deadPuts.isEmpty()) {
            eraseShares(deadPuts);
            synchronized (monitor) {
                holds = holdsAny(decision);
            }
        }
        if (!removed.isEmpty()) {
            removed.keySet().forEach(afterTombstone);
            eraseShares(removed); // before this node acknowledges the delete
            return true;
        }
        return holds;
    }

    /**
     * Applies a tombstone learned from a peer (a delete this node missed): logs it, forgets the shares and
     * erases them from disk. Does nothing if this node already knows a later state; returns false if the name
     * is locked right now (try again later).
     */
    public boolean learnTombstone(SecretId id, long incarnation, long deletedAtMillis) throws IOException {
        synchronized (monitor) {
            Secret secret = byId.get(id);
            if (secret != null && (secret.incarnation > incarnation
                                   || (secret.deletedAtMillis >= 0 && secret.incarnation >= incarnation))) {
                return true;
            }
            if (secret != null && secret.lockedBy != null) {
                return false;
            }
            secret(id).lockedBy = MAINTENANCE;
        }
        try {
            append(Journal.encode(new Tombstoned(id, incarnation, deletedAtMillis)));
            synchronized (monitor) {
                applyTombstone(id, incarnation, deletedAtMillis);
            }
            afterTombstone.accept(id);
            eraseShares(Map.of(id, incarnation));
            return true;
        } finally {
            synchronized (monitor) {
                unlock(id, MAINTENANCE);
            }
        }
    }

    /** What became of a repair. */
    public enum RepairOutcome { STORED, ALREADY_HELD, DELETED, STALE, LOCKED }

    /**
     * Stores this node's share of an existing version, rebuilt by a reader from k other shares. Accepted only
     * for the same incarnation or a newer one (a newer incarnation proves the older was deleted, whose shares
     * are then erased here); never for a deleted incarnation, never while a transaction holds the name.
     */
    public RepairOutcome repair(SecretId id, long incarnation, long version, long validFromMillis, byte[] share)
            throws IOException {
        long deadIncarnation;
        synchronized (monitor) {
            Secret secret = byId.get(id);
            long current = secret == null ? 0 : secret.incarnation;
            if (secret != null && secret.deletedAtMillis >= 0 && current >= incarnation) {
                return RepairOutcome.DELETED;
            }
            if (current > incarnation) {
                return RepairOutcome.STALE;
            }
            if (secret != null && secret.lockedBy != null) {
                return RepairOutcome.LOCKED;
            }
            if (current == incarnation && secret != null && holds(secret, version, share)) {
                return RepairOutcome.ALREADY_HELD;
            }
            deadIncarnation = current < incarnation && secret != null && !secret.versions.isEmpty() ? current : -1;
            secret(id).lockedBy = MAINTENANCE;
        }
        try {
            if (deadIncarnation >= 0) {
                append(Journal.encode(new Tombstoned(id, deadIncarnation, validFromMillis)));
                synchronized (monitor) {
                    applyTombstone(id, deadIncarnation, validFromMillis);
                }
                eraseShares(Map.of(id, deadIncarnation));
            }
            Repaired repaired = new Repaired(id, incarnation, version, validFromMillis, share);
            append(Journal.encode(repaired));
            synchronized (monitor) {
                applyRepair(repaired);
            }
            return RepairOutcome.STORED;
        } finally {
            synchronized (monitor) {
                unlock(id, MAINTENANCE);
            }
        }
    }

    /**
     * Stores many rebuilt shares at once (a rebuild: see {@code Rebuilder}), each under the rules of
     * {@link #repair}, made durable together by group commit. A share for an incarnation newer than one this
     * node holds live goes through {@link #repair} alone (it ends the older incarnation first). Returns each
     * one's outcome, in order.
     */
    public List<RepairOutcome> repairAll(List<Repaired> repairs) throws IOException {
        RepairOutcome[] outcomes = new RepairOutcome[repairs.size()];
        Set<SecretId> claimed = new HashSet<>();
        List<Integer> alone = new ArrayList<>();
        List<Integer> batched = new ArrayList<>();
        synchronized (monitor) {
            for (int i = 0; i < repairs.size(); i++) {
                Repaired repair = repairs.get(i);
                Secret secret = byId.get(repair.id());
                long current = secret == null ? 0 : secret.incarnation;
                if (secret != null && secret.deletedAtMillis >= 0 && current >= repair.incarnation()) {
                    outcomes[i] = RepairOutcome.DELETED;
                } else if (current > repair.incarnation()) {
                    outcomes[i] = RepairOutcome.STALE;
                } else if (current < repair.incarnation() && secret != null && !secret.versions.isEmpty()) {
                    alone.add(i);
                } else if (secret != null && secret.lockedBy != null && !claimed.contains(repair.id())) {
                    outcomes[i] = RepairOutcome.LOCKED;
                } else if (current == repair.incarnation() && secret != null && holds(secret, repair.version(), repair.share())) {
                    outcomes[i] = RepairOutcome.ALREADY_HELD;
                } else {
                    if (claimed.add(repair.id())) {
                        secret(repair.id()).lockedBy = MAINTENANCE;
                    }
                    batched.add(i);
                }
            }
        }
        try {
            List<CompletableFuture<Void>> appends = new ArrayList<>(batched.size());
            for (int i : batched) {
                CompletableFuture<Void> append = log.append(Journal.encode(repairs.get(i)));
                appends.add(append);
            }
            try {
                await(appends);
            } catch (IOException e) {
                onLogFailure.accept(e);
                throw e;
            }
            synchronized (monitor) {
                for (int i : batched) {
                    applyRepair(repairs.get(i));
                    outcomes[i] = RepairOutcome.STORED;
                }
            }
        } finally {
            synchronized (monitor) {
                for (SecretId id : claimed) {
                    unlock(id, MAINTENANCE);
                }
            }
        }
        for (int i : alone) {
            Repaired repair = repairs.get(i);
            outcomes[i] = repair(repair.id(), repair.incarnation(), repair.version(), repair.validFromMillis(), repair.share());
        }
        return List.of(outcomes);
    }

    /**
     * Physically removes every share this node holds of the given secrets' incarnations up to the given ones:
     * prepares of puts that did not commit into a later incarnation, and repairs of those incarnations.
     */
    private void eraseShares(Map<SecretId, Long> upToIncarnation) throws IOException {
        try {
            log.erase(record -> {
                if (record.type() == dev.shardvault.log.RecordType.EVENT) {
                    return false; // custody events hold no share and outlive the secret
                }
                Entry entry = Journal.decode(record);
                SecretId owner = Journal.shareOwner(entry);
                Long dead = owner == null ? null : upToIncarnation.get(owner);
                if (dead == null) {
                    return false;
                }
                synchronized (monitor) {
                    return switch (entry) {
                        case Prepared prepared -> !pending.containsKey(prepared.txn())
                                                  && committedIncarnation(prepared.txn(), owner) <= dead;
                        case Repaired repaired -> repaired.incarnation() <= dead;
                        default -> false;
                    };
                }
            });
        } catch (IOException e) {
            onLogFailure.accept(e);
            throw e;
        }
    }

    /** The incarnation a transaction committed for {@code id}, or 0 if it did not commit a put of it. */
    private long committedIncarnation(TxnId txn, SecretId id) {
        if (decided.get(txn) instanceof TxnState.IsCommitted committed) {
            for (Outcome outcome : committed.decision().outcomes()) {
                if (outcome instanceof Outcome.Applied applied && applied.id().equals(id)) {
                    return applied.incarnation();
                }
            }
        }
        return 0;
    }

    /**
     * Logs an abort (a decision, or a refusal to prepare later) and releases the transaction's locks.
     *
     * @return {@link DecideResult.Aborted}, or {@link DecideResult.DecidedOtherwise} if it committed here first
     */
    public DecideResult abort(TxnId txn) throws IOException {
        CompletableFuture<Void> claim = new CompletableFuture<>();
        while (true) {
            CompletableFuture<Void> other;
            synchronized (monitor) {
                TxnState state = decided.get(txn);
                if (state instanceof TxnState.IsAborted) {
                    return new DecideResult.Aborted();
                }
                if (state instanceof TxnState.IsCommitted) {
                    return new DecideResult.DecidedOtherwise(state);
                }
                other = deciding.putIfAbsent(txn, claim);
                if (other == null) {
                    break;
                }
            }
            other.join();
        }
        try {
            append(Journal.encode(new Aborted(txn)));
            synchronized (monitor) {
                applyAbort(txn);
            }
            return new DecideResult.Aborted();
        } finally {
            release(txn, claim);
        }
    }

    public TxnState status(TxnId txn) {
        synchronized (monitor) {
            TxnState state = decided.get(txn);
            if (state != null) {
                return state;
            }
            Pending prepared = pending.get(txn);
            return prepared != null ? new TxnState.IsPrepared(prepared.coordinator) : new TxnState.IsUnknown();
        }
    }

    public List<InDoubt> inDoubt() {
        synchronized (monitor) {
            return pending.values().stream().map(p -> new InDoubt(p.txn, p.coordinator, p.preparedAtNanos,
                    Arrays.stream(p.ops).filter(java.util.Objects::nonNull).map(Op::id).toList())).toList();
        }
    }

    /**
     * Whether {@code id} is locked by a transaction this node prepared before it last started and still has no
     * decision on. Such a node may have acknowledged that transaction's commit before it stopped (a learned commit
     * is applied, and acknowledged, before its record is durable; {@link #learnCommit}), so its view of {@code id}
     * can be older than a version it counted for: it must not answer a read with that view.
     */
    public boolean inDoubtSinceBeforeStart(SecretId id) {
        synchronized (monitor) {
            Secret secret = byId.get(id);
            if (secret == null || secret.lockedBy == null) {
                return false;
            }
            Pending txn = pending.get(secret.lockedBy);
            return txn != null && txn.recovered;
        }
    }

    // ---- reads ----

    public ShareState read(SecretId id, Selector selector) {
        synchronized (monitor) {
            Secret secret = byId.get(id);
            SecretView view = view(secret);
            boolean inDoubt = secret != null && secret.lockedBy != null;
            if (!(view instanceof SecretView.Live)) {
                return new ShareState(view, 0, 0, -1, null, inDoubt);
            }
            Map.Entry<Long, Stored> picked = switch (selector) {
                case Selector.Latest latest -> secret.versions.lastEntry();
                case Selector.ByVersion byVersion -> {
                    Stored stored = secret.versions.get(byVersion.version());
                    yield stored == null ? null : Map.entry(byVersion.version(), stored);
                }
                case Selector.AsOf asOf -> latestValidAt(secret.versions, asOf.instantMillis());
            };
            if (picked == null) {
                return new ShareState(view, 0, 0, -1, null, inDoubt);
            }
            Map.Entry<Long, Stored> next = secret.versions.higherEntry(picked.getKey());
            return new ShareState(view, picked.getKey(), picked.getValue().validFromMillis,
                                  next == null ? -1 : next.getValue().validFromMillis,
                                  picked.getValue().share.length == 0 ? null : picked.getValue().share.clone(), inDoubt);
        }
    }

    /** The versions of the current incarnation this node holds a share of (placeholders left out), ascending. */
    public List<Long> sharesHeld(SecretId id) {
        synchronized (monitor) {
            Secret secret = byId.get(id);
            if (!(view(secret) instanceof SecretView.Live)) {
                return List.of();
            }
            return secret.versions.entrySet().stream().filter(e -> e.getValue().share.length > 0).map(Map.Entry::getKey).toList();
        }
    }

    /** The versions of the current incarnation this node knows (placeholders included), ascending. */
    public List<VersionMeta> history(SecretId id) {
        synchronized (monitor) {
            Secret secret = byId.get(id);
            if (!(view(secret) instanceof SecretView.Live)) {
                return List.of();
            }
            return secret.versions.entrySet().stream()
                    .map(e -> new VersionMeta(e.getKey(), e.getValue().validFromMillis)).toList();
        }
    }

    public SecretView view(SecretId id) {
        synchronized (monitor) {
            return view(byId.get(id));
        }
    }

    /** Up to {@code limit} secrets of a namespace with names after {@code after} (live or deleted), by name. */
    public List<Map.Entry<String, SecretView>> list(String namespace, String after, int limit) {
        synchronized (monitor) {
            List<Map.Entry<String, SecretView>> page = new ArrayList<>(Math.min(limit, 1024));
            SecretId from = new SecretId(namespace, after == null ? "A" : after);
            NavigableMap<SecretId, Secret> tail = secrets.tailMap(from, after == null);
            for (Map.Entry<SecretId, Secret> entry : tail.entrySet()) {
                if (!entry.getKey().namespace().equals(namespace) || page.size() == limit) {
                    break;
                }
                SecretView view = view(entry.getValue());
                if (!(view instanceof SecretView.Absent)) {
                    page.add(Map.entry(entry.getKey().name(), view));
                }
            }
            return page;
        }
    }

    /**
     * Up to {@code limit} secrets after {@code after} (null: from the first) in id order, every namespace, live
     * or deleted, each with the versions held of its current incarnation: what a rebuilding node compares itself
     * with. Holds no share.
     */
    public List<dev.shardvault.vault.protocol.Messages.CatalogueEntry> catalogue(SecretId after, int limit) {
        synchronized (monitor) {
            List<dev.shardvault.vault.protocol.Messages.CatalogueEntry> page = new ArrayList<>(Math.min(limit, 1024));
            NavigableMap<SecretId, Secret> tail = after == null ? secrets : secrets.tailMap(after, false);
            for (Map.Entry<SecretId, Secret> entry : tail.entrySet()) {
                if (page.size() == limit) {
                    break;
                }
                Secret secret = entry.getValue();
                SecretView view = view(secret);
                if (view instanceof SecretView.Absent) {
                    continue;
                }
                List<VersionMeta> versions = view instanceof SecretView.Live
                        ? secret.versions.entrySet().stream().map(e -> new VersionMeta(e.getKey(), e.getValue().validFromMillis)).toList()
                        : List.of();
                page.add(new dev.shardvault.vault.protocol.Messages.CatalogueEntry(entry.getKey(), view, versions));
            }
            return page;
        }
    }

    /**
     * What changed here after change {@code after} of {@code epoch}: up to {@code limit} secrets of any namespace
     * with this node's current view of each, in the order they changed. {@code continued} is false when the
     * changes after that point are not held (this node restarted since: another epoch; or more than
     * {@value #CHANGES_HELD} changes happened since); the caller then compares every name once and continues
     * from the answer's epoch and {@code through}. {@code through} is the number of the last change included.
     */
    public record Changes(long epoch, long through, boolean continued, List<Map.Entry<SecretId, SecretView>> entries) {
        public Changes {
            entries = List.copyOf(entries);
        }
    }

    public Changes changesAfter(long epoch, long after, int limit) {
        synchronized (monitor) {
            if (epoch != this.epoch || !changes.holdsAfter(after)) {
                return new Changes(this.epoch, changes.latest(), false, List.of());
            }
            List<SecretId> ids = changes.after(after, limit);
            List<Map.Entry<SecretId, SecretView>> entries = new ArrayList<>(ids.size());
            for (SecretId id : ids) {
                entries.add(Map.entry(id, view(byId.get(id))));
            }
            return new Changes(epoch, after + ids.size(), true, entries);
        }
    }

    private static long newEpoch() {
        long epoch;
        do {
            epoch = ThreadLocalRandom.current().nextLong();
        } while (epoch == 0);
        return epoch;
    }

    /** The namespaces this node holds anything of, sorted. */
    public List<String> namespaces() {
        synchronized (monitor) {
            return secrets.keySet().stream().map(SecretId::namespace).distinct().toList();
        }
    }

    @Override
    public void close() throws IOException {
        log.close();
    }

    // ---- state changes (monitor held) ----

    private void replay(LogRecord record) {
        Entry entry = Journal.decode(record);
        if (entry instanceof Journal.Recorded recorded) {
            events.accept(recorded);
            return;
        }
        synchronized (monitor) {
            if (entry instanceof Prepared prepared && prepared.op() instanceof Op.Put put) {
                replayedShares.add(put.id());
            }
            switch (entry) {
                case Prepared prepared -> {
                    if (decided.containsKey(prepared.txn())) {
                        return; // refused or decided before this prepare finished writing
                    }
                    Pending txn = pending.computeIfAbsent(prepared.txn(),
                                                          t -> new Pending(t, prepared.coordinator(), prepared.opCount()));
                    if (txn.ops.length != prepared.opCount()) {
                        throw new IllegalStateException("txn " + prepared.txn() + " has ops of " + txn.ops.length + " and "
                                                        + prepared.opCount());
                    }
                    txn.ops[prepared.opIndex()] = prepared.op();
                }
                case Committed committed -> {
                    // A put into a deleted incarnation that left its share in a prepare record was erased when it
                    // was applied; if that erasure was cut short, the tombstone replayed after that record finishes it.
                    applyCommit(committed, null);
                    for (Outcome outcome : committed.outcomes()) {
                        SecretView.Deleted tombstone = tombstoneOf(outcome);
                        if (tombstone != null) {
                            noteTombstoneInReplay(outcome.id(), tombstone.incarnation());
                        }
                    }
                }
                case Aborted aborted -> applyAbort(aborted.txn());
                case Tombstoned tombstoned -> {
                    applyTombstone(tombstoned.id(), tombstoned.incarnation(), tombstoned.deletedAtMillis());
                    noteTombstoneInReplay(tombstoned.id(), tombstoned.incarnation());
                }
                case Repaired repaired -> {
                    replayedShares.add(repaired.id());
                    applyRepair(repaired);
                }
                case Journal.Recorded recorded -> throw new AssertionError("handled above");
            }
        }
    }

    /** A tombstone replayed after shares of its secret: the erasure may not have finished. */
    private void noteTombstoneInReplay(SecretId id, long incarnation) {
        if (replayedShares.remove(id)) {
            unfinishedErasures.merge(id, incarnation, Math::max);
        }
    }

    private void applyTombstone(SecretId id, long incarnation, long deletedAtMillis) {
        Secret secret = secret(id);
        if (secret.incarnation > incarnation || (secret.deletedAtMillis >= 0 && secret.incarnation >= incarnation)) {
            return;
        }
        wipe(secret.versions);
        secret.incarnation = incarnation;
        secret.deletedAtMillis = deletedAtMillis;
        changes.record(id);
    }

    private void applyRepair(Repaired repaired) {
        Secret secret = secret(repaired.id());
        if (secret.incarnation > repaired.incarnation()
            || (secret.deletedAtMillis >= 0 && secret.incarnation >= repaired.incarnation())) {
            return; // replaying a repair that a later delete superseded (its erasure may be pending)
        }
        if (secret.incarnation < repaired.incarnation()) {
            wipe(secret.versions);
            secret.incarnation = repaired.incarnation();
            secret.deletedAtMillis = -1;
        }
        Stored held = secret.versions.get(repaired.version());
        if (held == null || (held.share.length == 0 && repaired.share().length > 0)) {
            // A share replaces a placeholder (a version this node knew of but could not recover); never the reverse.
            assert fitsBetweenNeighbours(secret.versions, repaired.version(), repaired.validFromMillis())
                    : "repaired " + repaired.id() + " v" + repaired.version() + " overlaps a neighbour's validity";
            secret.versions.put(repaired.version(), new Stored(repaired.validFromMillis(), repaired.share()));
        }
        changes.record(repaired.id());
    }

    /**
     * Applies a commit decision in memory. A put into an incarnation this node already holds as deleted (a
     * delete's decision that arrived before this earlier transaction's) is not applied; its share, still in this
     * node's prepare record, goes into {@code deadPuts} (when not null) to be erased like the delete's.
     */
    private boolean applyCommit(Committed decision, Map<SecretId, Long> deadPuts) {
        TxnState earlier = decided.put(decision.txn(), new TxnState.IsCommitted(decision));
        if (earlier instanceof TxnState.IsAborted) {
            throw new IllegalStateException("txn " + decision.txn() + " has both abort and commit records on node " + nodeId);
        }
        committedRequests.putIfAbsent(decision.txn().request(), decision);
        Pending prepared = pending.remove(decision.txn());
        if (prepared == null) {
            for (Outcome outcome : decision.outcomes()) {
                SecretView.Deleted tombstone = tombstoneOf(outcome);
                if (tombstone != null) {
                    applyTombstone(outcome.id(), tombstone.incarnation(), tombstone.deletedAtMillis());
                }
            }
            return Outcome.refuses(decision.outcomes()); // a refusal is held by recording it
        }
        for (Outcome outcome : decision.outcomes()) {
            switch (outcome) {
                case Outcome.Applied applied -> {
                    Op.Put put = findPut(prepared, applied.id());
                    Secret secret = secret(applied.id());
                    unlock(applied.id(), decision.txn());
                    if (put == null) {
                        continue; // this node's share of that op was erased by a later delete
                    }
                    if (applied.incarnation() < secret.incarnation
                        || (secret.deletedAtMillis >= 0 && applied.incarnation() == secret.incarnation)) {
                        // Deleted (and maybe re-created) since: the share is of a dead incarnation. Only a delete
                        // learned while this put was prepared gets here; the put committed before it elsewhere.
                        if (deadPuts != null) {
                            deadPuts.merge(applied.id(), applied.incarnation(), Math::max);
                        }
                        continue;
                    }
                    if (applied.incarnation() > secret.incarnation) {
                        wipe(secret.versions);
                        secret.incarnation = applied.incarnation();
                        secret.deletedAtMillis = -1;
                    }
                    // The name was locked from this node's vote to here, so nothing newer can have arrived since
                    // (repairs wait for the lock): a committed put is the newest version, and it ends the one before.
                    assert secret.deletedAtMillis < 0 : "a put committed into deleted " + applied.id();
                    assert secret.versions.isEmpty() || applied.version() > secret.versions.lastKey()
                            : applied.id() + " v" + applied.version() + " committed behind v" + secret.versions.lastKey();
                    assert fitsBetweenNeighbours(secret.versions, applied.version(), applied.validFromMillis())
                            : applied.id() + " v" + applied.version() + " overlaps a neighbour's validity";
                    secret.versions.put(applied.version(), new Stored(applied.validFromMillis(), put.share()));
                    changes.record(applied.id());
                }
                case Outcome.Removed removed -> {
                    unlock(removed.id(), decision.txn());
                    applyTombstone(removed.id(), removed.incarnation(), removed.deletedAtMillis());
                }
                case Outcome.Refused refused -> {
                    unlock(refused.id(), decision.txn());
                    if (refused.seen() instanceof SecretView.Deleted tombstone) {
                        applyTombstone(refused.id(), tombstone.incarnation(), tombstone.deletedAtMillis());
                    }
                }
            }
        }
        // Ops the decision does not mention still hold locks only if the decision is malformed.
        for (Op op : prepared.ops) {
            if (op != null) {
                unlock(op.id(), decision.txn());
            }
        }
        return true;
    }

    /**
     * Validity intervals never overlap: version v is valid from its start until the next version's, so it may not
     * start before the version below it, nor after the one above (equal starts leave the lower one an empty
     * interval: the coordinator stamps max(request time, the latest start)).
     */
    private static boolean fitsBetweenNeighbours(TreeMap<Long, Stored> versions, long version, long validFromMillis) {
        Map.Entry<Long, Stored> below = versions.lowerEntry(version);
        Map.Entry<Long, Stored> above = versions.higherEntry(version);
        return (below == null || below.getValue().validFromMillis <= validFromMillis)
               && (above == null || validFromMillis <= above.getValue().validFromMillis);
    }

    private void applyAbort(TxnId txn) {
        TxnState earlier = decided.put(txn, new TxnState.IsAborted());
        if (earlier instanceof TxnState.IsCommitted) {
            throw new IllegalStateException("txn " + txn + " has both commit and abort records on node " + nodeId);
        }
        Pending prepared = pending.remove(txn);
        if (prepared != null) {
            for (Op op : prepared.ops) {
                if (op != null) {
                    unlock(op.id(), txn);
                }
            }
        }
    }

    private boolean putsIntoDeleted(Committed decision) {
        for (Outcome outcome : decision.outcomes()) {
            if (outcome instanceof Outcome.Applied applied) {
                Secret secret = byId.get(applied.id());
                if (secret != null && secret.deletedAtMillis >= 0 && secret.incarnation >= applied.incarnation()) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean holdsAny(Committed decision) {
        for (Outcome outcome : decision.outcomes()) {
            if (outcome instanceof Outcome.Applied applied) {
                Secret secret = byId.get(applied.id());
                if (secret != null && secret.incarnation == applied.incarnation()
                    && secret.versions.containsKey(applied.version())) {
                    return true;
                }
            }
            if (outcome instanceof Outcome.Removed removed) {
                Secret secret = byId.get(removed.id());
                if (secret != null && secret.deletedAtMillis >= 0 && secret.incarnation >= removed.incarnation()) {
                    return true;
                }
            }
            if (outcome instanceof Outcome.Refused) {
                return true; // recorded
            }
        }
        return false;
    }

    /** The tombstone a decision's outcome carries: a delete's, or the one a refusal rests on; else null. */
    private static SecretView.Deleted tombstoneOf(Outcome outcome) {
        return switch (outcome) {
            case Outcome.Removed removed -> new SecretView.Deleted(removed.incarnation(), removed.deletedAtMillis());
            case Outcome.Refused refused -> refused.seen() instanceof SecretView.Deleted deleted ? deleted : null;
            case Outcome.Applied applied -> null;
        };
    }

    private static Op.Put findPut(Pending prepared, SecretId id) {
        for (Op op : prepared.ops) {
            if (op instanceof Op.Put put && put.id().equals(id)) {
                return put;
            }
        }
        return null;
    }

    private void unlock(SecretId id, TxnId txn) {
        Secret secret = byId.get(id);
        if (secret != null && txn.equals(secret.lockedBy)) {
            secret.lockedBy = null;
        }
    }

    private Secret secret(SecretId id) {
        Secret secret = byId.get(id);
        if (secret == null) {
            secret = new Secret();
            byId.put(id, secret);
            secrets.put(id, secret);
        }
        return secret;
    }

    private List<SecretView> views(List<Op> ops) {
        return ops.stream().map(op -> view(byId.get(op.id()))).toList();
    }

    private static SecretView view(Secret secret) {
        if (secret == null) {
            return SecretView.ABSENT;
        }
        if (secret.deletedAtMillis >= 0) {
            return new SecretView.Deleted(secret.incarnation, secret.deletedAtMillis);
        }
        if (secret.versions.isEmpty()) {
            return SecretView.ABSENT;
        }
        Map.Entry<Long, Stored> latest = secret.versions.lastEntry();
        return new SecretView.Live(secret.incarnation, latest.getKey(), latest.getValue().validFromMillis);
    }

    private static Map.Entry<Long, Stored> latestValidAt(TreeMap<Long, Stored> versions, long instantMillis) {
        Map.Entry<Long, Stored> best = null;
        for (Map.Entry<Long, Stored> entry : versions.entrySet()) {
            if (entry.getValue().validFromMillis <= instantMillis) {
                best = entry;
            } else {
                break;
            }
        }
        return best;
    }

    private static void wipe(TreeMap<Long, Stored> versions) {
        versions.values().forEach(stored -> Arrays.fill(stored.share, (byte) 0));
        versions.clear();
    }

    private void append(LogRecord record) throws IOException {
        try {
            log.appendDurably(record);
        } catch (IOException e) {
            onLogFailure.accept(e);
            throw e;
        }
    }

    /**
     * Queues {@code record} as a deferred append (no waiting for its fsync; see {@link RecordLog#appendDeferred}).
     * Throws if the log is already unusable; a later failure to make it durable reaches {@code onLogFailure}
     * (the node stops).
     */
    private void appendOrdered(LogRecord record) throws IOException {
        CompletableFuture<Void> appended = log.appendDeferred(record);
        if (appended.isCompletedExceptionally()) {
            IOException failed = asIOException(appended.exceptionNow());
            onLogFailure.accept(failed);
            throw failed;
        }
        appended.whenComplete((ignored, failure) -> {
            if (failure != null) {
                onLogFailure.accept(asIOException(failure));
            }
        });
    }

    private static IOException asIOException(Throwable failure) {
        return failure instanceof IOException io ? io : new IOException(failure);
    }

    private static void await(List<CompletableFuture<Void>> appends) throws IOException {
        try {
            CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making a prepare durable", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw asIOException(e.getCause());
        }
    }
}
