package dev.shardvault.vault.txn;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.HistoryReply;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.Messages.TxnStatus;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.store.DecideResult;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShareState;
import dev.shardvault.vault.store.TxnState;
import dev.shardvault.vault.custody.Custody;
import dev.shardvault.vault.custody.Stamped;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CompletableFuture;

/**
 * This node as a participant: what both its own coordinator (in-process) and remote coordinators (through
 * the peer socket) talk to. A log failure surfaces as "unavailable": the node is stopping.
 */
public final class LocalParticipant implements Peer {

    private final int id;
    private final ShardStore store;
    private final InFlight inFlight;
    private final java.util.concurrent.atomic.AtomicLong repairsReceived = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.util.function.BooleanSupplier ready = () -> true;
    private final Custody custody;
    private final long eventWaitMillis;
    private volatile Resolver resolver;

    /** {@code eventWaitMillis}: how long taking shipped events may wait for their fsync before it says unavailable. */
    public LocalParticipant(int id, ShardStore store, InFlight inFlight, Custody custody, long eventWaitMillis) {
        this.id = id;
        this.store = store;
        this.inFlight = inFlight;
        this.custody = custody;
        this.eventWaitMillis = eventWaitMillis;
    }

    @Override
    public Map<Stamped.Stream, Long> shipEvents(List<Stamped> events) throws PeerUnavailableException {
        try {
            custody.accept(events).get(eventWaitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted while logging shipped events", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new PeerUnavailableException("node " + id + " could not log shipped events: " + e, e);
        }
        return custody.counts();
    }

    @Override
    public Custody.Held events(SecretId secret) {
        return custody.held(secret);
    }

    public void resolveWith(Resolver resolver) {
        this.resolver = resolver;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public PrepareResult prepare(PrepareRequest request) throws PeerUnavailableException {
        requireReady("vote");
        try {
            return store.prepare(request.txn(), request.coordinator(), request.ops());
        } catch (IOException e) {
            throw unavailable("prepare", e);
        }
    }

    /**
     * This node's own vote, asked by its own coordinator, is taken on the calling thread: such a prepare queues
     * its records without waiting for them ({@link ShardStore#prepare}), so there is nothing to wait for that a
     * thread of its own would save. A prepare for another coordinator waits for its fsync on a thread of its own.
     */
    @Override
    public CompletableFuture<PrepareResult> prepareAsync(PrepareRequest request) {
        if (request.coordinator() != id) {
            return Peer.super.prepareAsync(request);
        }
        return Peer.now(() -> prepare(request));
    }

    /**
     * A read of this node's share answers on the calling thread (a lookup in memory); only a read that finds the
     * secret in doubt, and may wait for the resolver's peer calls, runs on a thread of its own. The authorization
     * is not checked here: this node's own share serves its own coordination (its gateway-facing API checked
     * the authorization), and the peer API checks it before it calls this.
     */
    @Override
    public CompletableFuture<ShareState> readAsync(SecretId secret, Selector selector, byte[] authorization) {
        if (!ready.getAsBoolean()) {
            return CompletableFuture.failedFuture(notReady("answer a read"));
        }
        ShareState state = store.read(secret, selector);
        if (!state.inDoubt()) {
            return CompletableFuture.completedFuture(state);
        }
        return Peer.onVirtualThread(() -> resolvedIfInDoubt(secret, selector, state));
    }

    /**
     * A decision from a coordinator. A commit reaches participants only after the coordinator's own COMMIT
     * record is durable (that is the commit point), so this node applies it without waiting for its own
     * record's fsync ({@link ShardStore#learnCommit}); an abort is logged before the locks are released.
     */
    @Override
    public DecideReply decide(Decision decision) throws PeerUnavailableException {
        DecideResult result;
        try {
            result = switch (decision) {
                case Decision.Commit commit -> store.learnCommit(commit.committed());
                case Decision.Abort abort -> store.abort(abort.txn());
            };
        } catch (IOException e) {
            throw unavailable("decide", e);
        }
        return switch (result) {
            case DecideResult.Committed committed -> new DecideReply.Done(committed.holdsShares());
            case DecideResult.Aborted aborted -> new DecideReply.Done(false);
            case DecideResult.DecidedOtherwise otherwise -> new DecideReply.Refused();
        };
    }

    /**
     * What this node knows of a transaction. About one it never saw (and is not coordinating) it logs an
     * abort first: it will never vote yes for it, which is what lets an in-doubt participant count it.
     */
    @Override
    public TxnStatus txnStatus(TxnId txn) throws PeerUnavailableException {
        if (inFlight.contains(txn)) {
            return new TxnStatus.InProgress();
        }
        TxnState state = store.status(txn);
        return switch (state) {
            case TxnState.IsCommitted committed -> new TxnStatus.Committed(committed.decision());
            case TxnState.IsAborted aborted -> new TxnStatus.Aborted();
            case TxnState.IsPrepared prepared -> new TxnStatus.Prepared(prepared.coordinator());
            case TxnState.IsUnknown unknown -> {
                // A node rebuilding a lost disk may have voted for it before the loss: it must not refuse it.
                requireReady("refuse a transaction it does not know");
                DecideResult refused;
                try {
                    refused = store.abort(txn);
                } catch (IOException e) {
                    throw unavailable("txn-status", e);
                }
                yield refused instanceof DecideResult.Aborted ? new TxnStatus.Aborted() : txnStatus(txn); // committed meanwhile
            }
        };
    }

    /** Reads this node's share; an in-doubt lock on the secret is resolved first, within the resolver's bounds. */
    @Override
    public ShareState read(SecretId secret, Selector selector, byte[] authorization) throws PeerUnavailableException {
        requireReady("answer a read");
        return resolvedIfInDoubt(secret, selector, store.read(secret, selector));
    }

    /**
     * {@code state}, or the share read again after the resolver settled an in-doubt lock on the secret. A lock
     * this node recovered from its log that stays unresolved means no answer: the transaction may have committed
     * with this node counted among its holders ({@link ShardStore#inDoubtSinceBeforeStart}), and answering the
     * older view could let a read's majority miss every holder that still shows the commit.
     */
    private ShareState resolvedIfInDoubt(SecretId secret, Selector selector, ShareState state)
            throws PeerUnavailableException {
        if (!state.inDoubt()) {
            return state;
        }
        Resolver current = resolver;
        ShareState answer = current != null && current.resolveLocking(secret) ? store.read(secret, selector) : state;
        if (answer.inDoubt() && store.inDoubtSinceBeforeStart(secret)) {
            if (answer.share() != null) {
                java.util.Arrays.fill(answer.share(), (byte) 0);
            }
            throw new PeerUnavailableException("node " + id + " is in doubt about a transaction on " + secret.name()
                                               + " since before it restarted, and cannot resolve it yet", null);
        }
        return answer;
    }

    @Override
    public HistoryReply history(SecretId secret) {
        return new HistoryReply(store.view(secret), store.history(secret));
    }

    @Override
    public ListReply list(String namespace, String after, int limit) {
        return new ListReply(store.list(namespace, after, limit));
    }

    /**
     * Until {@code ready} says so, this node votes on nothing, answers no read and refuses no transaction it does
     * not know (a node rebuilding a lost disk: {@code Rebuilder#ready}); each is answered as unavailable.
     */
    public void joinQuorumsWhen(java.util.function.BooleanSupplier ready) {
        this.ready = ready;
    }

    private void requireReady(String what) throws PeerUnavailableException {
        if (!ready.getAsBoolean()) {
            throw notReady(what);
        }
    }

    private PeerUnavailableException notReady(String what) {
        return new PeerUnavailableException("node " + id + " is rebuilding its shares and does not " + what + " yet", null);
    }

    /** Repaired shares other nodes sent this node (each one share it received). */
    public long repairsReceived() {
        return repairsReceived.get();
    }

    @Override
    public java.util.List<dev.shardvault.vault.protocol.Messages.CatalogueEntry> catalogue(SecretId after, int limit) {
        return store.catalogue(after, limit);
    }

    // A node rebuilding its shares asks other nodes, never itself: its recovery helpers are remote (PeerApi).

    @Override
    public boolean[] recoverSplit(dev.shardvault.vault.protocol.Messages.RecoverSplit split) {
        throw new UnsupportedOperationException("a node is never a recovery helper of its own shares");
    }

    @Override
    public void recoverPiece(dev.shardvault.vault.protocol.Messages.RecoverPiece piece) {
        throw new UnsupportedOperationException("a recovery helper sends its pieces to the other helpers only");
    }

    @Override
    public byte[][] recoverSum(dev.shardvault.vault.protocol.Messages.RecoverSum sum) {
        throw new UnsupportedOperationException("a node is never a recovery helper of its own shares");
    }

    @Override
    public ShardStore.Changes changes(long epoch, long after, int limit) {
        return store.changesAfter(epoch, after, limit);
    }

    @Override
    public ShardStore.RepairOutcome repair(dev.shardvault.vault.protocol.Messages.RepairRequest request)
            throws PeerUnavailableException {
        repairsReceived.incrementAndGet();
        try {
            return store.repair(request.id(), request.incarnation(), request.version(), request.validFromMillis(), request.share());
        } catch (IOException e) {
            throw unavailable("repair", e);
        }
    }

    @Override
    public boolean tombstone(dev.shardvault.vault.protocol.Messages.TombstoneRequest request) throws PeerUnavailableException {
        try {
            return store.learnTombstone(request.id(), request.incarnation(), request.deletedAtMillis());
        } catch (IOException e) {
            throw unavailable("tombstone", e);
        }
    }

    private PeerUnavailableException unavailable(String what, IOException e) {
        return new PeerUnavailableException("node " + id + " cannot " + what + ": its log failed: " + e.getMessage(), e);
    }
}
