package dev.shardvault.vault.protocol;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.HistoryReply;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.Messages.TxnStatus;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShareState;
import dev.shardvault.vault.store.ShardStore;
import java.util.concurrent.CompletableFuture;

/**
 * One vault node as another sees it. Every call may throw {@link PeerUnavailableException}: the caller
 * never knows whether an unanswered call took effect, and the protocol is built so that it need not.
 */
public interface Peer {

    int id();

    PrepareResult prepare(PrepareRequest request) throws PeerUnavailableException;

    DecideReply decide(Decision decision) throws PeerUnavailableException;

    TxnStatus txnStatus(TxnId txn) throws PeerUnavailableException;

    /**
     * This node's share of {@code id}; {@code authorization} is the gateway's {@code ReleaseGrant} for the
     * operation that needs it, checked by a remote node (it releases nothing without one naming the secret).
     */
    ShareState read(SecretId id, Selector selector, byte[] authorization) throws PeerUnavailableException;

    HistoryReply history(SecretId id) throws PeerUnavailableException;

    ListReply list(String namespace, String after, int limit) throws PeerUnavailableException;

    /** What changed on the peer after change {@code after} of {@code epoch} ({@link ShardStore#changesAfter}). */
    ShardStore.Changes changes(long epoch, long after, int limit) throws PeerUnavailableException;

    /** Stores a repaired share if that version is still live history here; says what happened. */
    ShardStore.RepairOutcome repair(Messages.RepairRequest request) throws PeerUnavailableException;

    /** Applies a missed delete (and erases); false if the name was busy and it should be retried. */
    boolean tombstone(Messages.TombstoneRequest request) throws PeerUnavailableException;

    /**
     * Takes custody events shipped by another node (durably, before it answers); answers how many events of each
     * stream it now holds, which is what the shipper sends next from.
     */
    java.util.Map<dev.shardvault.vault.custody.Stamped.Stream, Long> shipEvents(
            java.util.List<dev.shardvault.vault.custody.Stamped> events) throws PeerUnavailableException;

    /** The custody events this node holds of {@code id}, or that its stored chain of them is broken. */
    dev.shardvault.vault.custody.Custody.Held events(SecretId id) throws PeerUnavailableException;

    /**
     * Up to {@code limit} secrets this node knows (live or deleted, every namespace) after {@code after} in id
     * order (null: from the first), each with every version it holds of the current incarnation. Reveals no share.
     */
    java.util.List<Messages.CatalogueEntry> catalogue(SecretId after, int limit) throws PeerUnavailableException;

    /**
     * Share recovery, round one (the calling node is {@code split.target()}): answers which versions this
     * helper holds, after handing each other helper its pieces. Only a remote node serves it, and only to the
     * node whose share it recovers.
     */
    boolean[] recoverSplit(Messages.RecoverSplit split) throws PeerUnavailableException;

    /** Share recovery: one helper's pieces for this helper. */
    void recoverPiece(Messages.RecoverPiece piece) throws PeerUnavailableException;

    /** Share recovery, round two: this helper's sum of pieces per version (null where not every helper held it). */
    byte[][] recoverSum(Messages.RecoverSum sum) throws PeerUnavailableException;

    // The hot calls also come without a waiting thread: a remote peer completes the future when the answer
    // arrives (it fails with PeerUnavailableException); by default the call runs on a virtual thread of its own.

    default CompletableFuture<PrepareResult> prepareAsync(PrepareRequest request) {
        return onVirtualThread(() -> prepare(request));
    }

    default CompletableFuture<DecideReply> decideAsync(Decision decision) {
        return onVirtualThread(() -> decide(decision));
    }

    default CompletableFuture<ShareState> readAsync(SecretId id, Selector selector, byte[] authorization) {
        return onVirtualThread(() -> read(id, selector, authorization));
    }

    /** A blocking peer call. */
    interface Call<T> {
        T call() throws PeerUnavailableException;
    }

    /** Runs {@code call} on a new virtual thread; the future fails with PeerUnavailableException if it does. */
    static <T> CompletableFuture<T> onVirtualThread(Call<T> call) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Thread.ofVirtual().name("peer-call").start(() -> run(call, future));
        return future;
    }

    /** Runs {@code call}, which does not block, on the calling thread; its future as {@link #onVirtualThread}'s. */
    static <T> CompletableFuture<T> now(Call<T> call) {
        CompletableFuture<T> future = new CompletableFuture<>();
        run(call, future);
        return future;
    }

    private static <T> void run(Call<T> call, CompletableFuture<T> future) {
        try {
            future.complete(call.call());
        } catch (PeerUnavailableException e) {
            future.completeExceptionally(e);
        } catch (RuntimeException e) {
            // Every expected outcome is a value and HttpPeer reports every transport failure as unavailable, so
            // this is a bug (here or in the local store). It fails this one call, and says so loudly.
            System.getLogger(Peer.class.getName()).log(System.Logger.Level.ERROR, "a peer call failed with a bug", e);
            future.completeExceptionally(e);
        }
    }
}
