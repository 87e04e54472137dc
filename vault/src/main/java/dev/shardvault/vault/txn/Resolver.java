package dev.shardvault.vault.txn;

import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.protocol.FanOut;
import dev.shardvault.vault.protocol.Messages.TxnStatus;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.store.DecideResult;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShardStore.InDoubt;
import dev.shardvault.vault.store.TxnState;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ends in-doubt transactions (this node voted yes and has no decision).
 *
 * <ol>
 *   <li>This node coordinated it and is not running it any more (it restarted): nothing was decided, because
 *       the coordinator logs its decision before telling anyone, so abort (presumed abort).</li>
 *   <li>Ask the coordinator: committed or aborted ends it; "in progress" or "prepared" means wait.</li>
 *   <li>Coordinator unreachable: ask every other node. Any commit ends it committed. A node that never
 *       prepared it refuses it durably when asked; once n-W+1 nodes refused, fewer than W yes-votes are
 *       possible, so it cannot have committed: abort. Otherwise keep the lock and ask again later.</li>
 * </ol>
 * The third rule counts refusals rather than aborting on the first one, because a quorum commit does not need
 * every vote: one node that never prepared does not prove that the coordinator lacked W yes-votes.
 */
public final class Resolver {

    private static final System.Logger LOG = System.getLogger(Resolver.class.getName());

    private final int self;
    private final ClusterConfig cluster;
    private final ShardStore store;
    private final Peers peers;
    private final InFlight inFlight;
    private final long statusTimeoutNanos;

    public Resolver(int self, ClusterConfig cluster, ShardStore store, Peers peers, InFlight inFlight,
                    long statusTimeoutMillis) {
        this.self = self;
        this.cluster = cluster;
        this.store = store;
        this.peers = peers;
        this.inFlight = inFlight;
        this.statusTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(statusTimeoutMillis);
    }

    /** Tries every in-doubt transaction prepared at least {@code minAgeMillis} ago; returns how many ended. */
    public int resolveAll(long minAgeMillis) {
        long now = System.nanoTime();
        int ended = 0;
        for (InDoubt txn : store.inDoubt()) {
            if (now - txn.preparedAtNanos() >= TimeUnit.MILLISECONDS.toNanos(minAgeMillis) && resolve(txn)) {
                ended++;
            }
        }
        return ended;
    }

    /** Aborts what this node coordinated and never decided; run at start, before serving. */
    public void resolveOwn() {
        for (InDoubt txn : store.inDoubt()) {
            if (txn.coordinator() == self) {
                resolve(txn);
            }
        }
    }

    /** Tries the in-doubt transactions that lock {@code id}; true if any ended. */
    public boolean resolveLocking(SecretId id) {
        boolean ended = false;
        for (InDoubt txn : store.inDoubt()) {
            if (txn.ids().contains(id)) {
                ended |= resolve(txn);
            }
        }
        return ended;
    }

    private boolean resolve(InDoubt txn) {
        try {
            if (txn.coordinator() == self) {
                if (inFlight.contains(txn.txn())) {
                    return false;
                }
                // The coordinator decides before it stops tracking a txn, so what the store says now is final:
                // the in-doubt list this txn came from may predate that decision.
                if (!(store.status(txn.txn()) instanceof TxnState.IsPrepared)) {
                    return true;
                }
                LOG.log(System.Logger.Level.INFO, "aborting {0}: coordinated here, undecided, no longer running", txn.txn());
                store.abort(txn.txn()); // or committed meanwhile by a retry of its request: decided either way
                return true;
            }
            try {
                TxnStatus status = peers.get(txn.coordinator()).txnStatus(txn.txn());
                return apply(txn, status);
            } catch (PeerUnavailableException e) {
                return askParticipants(txn);
            }
        } catch (IOException e) {
            return false; // this node's log failed; the node is stopping
        }
    }

    /**
     * A decision learned for a transaction this node holds in doubt. Told the other way than this node already
     * decided, two decisions of one transaction disagree: nothing changes here, and it is logged as the protocol
     * violation it is (the transaction is no longer in doubt here either way).
     */
    private static boolean settled(InDoubt txn, DecideResult result) {
        if (result instanceof DecideResult.DecidedOtherwise otherwise) {
            LOG.log(System.Logger.Level.ERROR, "conflicting decisions for {0}: learned the opposite of {1}", txn.txn(),
                    otherwise.decided().getClass().getSimpleName());
        }
        return true;
    }

    private boolean apply(InDoubt txn, TxnStatus status) throws IOException {
        switch (status) {
            case TxnStatus.Committed committed -> {
                return settled(txn, store.commit(committed.decision()));
            }
            case TxnStatus.Aborted aborted -> {
                return settled(txn, store.abort(txn.txn()));
            }
            case TxnStatus.Prepared prepared -> {
                return false;
            }
            case TxnStatus.InProgress inProgress -> {
                return false;
            }
        }
    }

    private boolean askParticipants(InDoubt txn) throws IOException {
        List<Peer> others = peers.others().stream().filter(peer -> peer.id() != txn.coordinator()).toList();
        FanOut<TxnStatus> replies = FanOut.start(others, peer -> peer.txnStatus(txn.txn()));
        long deadline = System.nanoTime() + statusTimeoutNanos;
        int refusals = 0;
        int needed = cluster.n() - cluster.writeQuorum() + 1;
        FanOut.Reply<TxnStatus> reply;
        while ((reply = replies.next(deadline)) != null) {
            if (!reply.ok()) {
                continue;
            }
            if (reply.value() instanceof TxnStatus.Committed committed) {
                return settled(txn, store.commit(committed.decision()));
            }
            if (reply.value() instanceof TxnStatus.Aborted) {
                refusals++;
            }
        }
        if (refusals >= needed) {
            LOG.log(System.Logger.Level.INFO, "aborting {0}: coordinator {1} unreachable and {2} nodes refused it",
                    txn.txn(), txn.coordinator(), refusals);
            return settled(txn, store.abort(txn.txn()));
        }
        return false;
    }
}
