package dev.shardvault.vault.protocol;

import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.store.Journal;
import dev.shardvault.vault.store.VersionMeta;
import java.util.List;
import java.util.Map;

/** The peer protocol's messages that are not already store types. */
public final class Messages {

    private Messages() {
    }

    /** Phase one: the recipient's shares of every operation. */
    public record PrepareRequest(TxnId txn, int coordinator, List<Op> ops) {
        public PrepareRequest {
            ops = List.copyOf(ops);
        }
    }

    /** Phase two. */
    public sealed interface Decision {
        TxnId txn();

        record Commit(Journal.Committed committed) implements Decision {
            @Override
            public TxnId txn() {
                return committed.txn();
            }
        }

        record Abort(TxnId txn) implements Decision {
        }
    }

    /** A participant's answer to a decision. */
    public sealed interface DecideReply {
        /** Logged; {@code holdsShares} says whether this node now holds shares of the committed versions. */
        record Done(boolean holdsShares) implements DecideReply {
        }

        /** The node had already aborted the transaction and did not apply the commit. */
        record Refused() implements DecideReply {
        }
    }

    /** What a node knows of a transaction; asking about one it never saw makes it refuse it for good. */
    public sealed interface TxnStatus {
        record Committed(Journal.Committed decision) implements TxnStatus {
        }

        record Aborted() implements TxnStatus {
        }

        /** Prepared here, undecided. */
        record Prepared(int coordinator) implements TxnStatus {
        }

        /** This node coordinates it and has not decided yet. */
        record InProgress() implements TxnStatus {
        }
    }

    /**
     * A share of an existing version, rebuilt by a reader for a node that lacks it, with the gateway's
     * authorization of the read that rebuilt it.
     */
    public record RepairRequest(SecretId id, long incarnation, long version, long validFromMillis, byte[] share,
                                byte[] authorization) {
        @Override
        public String toString() {
            return "RepairRequest[" + id + ", inc " + incarnation + ", v" + version + "]";
        }
    }

    /** A delete a node missed, as another node's view shows it. */
    public record TombstoneRequest(SecretId id, long incarnation, long deletedAtMillis) {
    }

    public record HistoryReply(SecretView view, List<VersionMeta> versions) {
        public HistoryReply {
            versions = List.copyOf(versions);
        }
    }

    public record ListReply(List<Map.Entry<String, SecretView>> entries) {
        public ListReply {
            entries = List.copyOf(entries);
        }
    }

    // ---- rebuilding a node's shares (docs/model.md, "Rebuilding a lost disk") ----

    /** One version of one secret's incarnation. */
    public record VersionRef(SecretId id, long incarnation, long version) {
    }

    /** What a node knows of one secret: its view and, when live, every version it holds of that incarnation. */
    public record CatalogueEntry(SecretId id, SecretView view, List<VersionMeta> versions) {
        public CatalogueEntry {
            versions = List.copyOf(versions);
        }
    }

    /**
     * Round one of a share recovery, from the node {@code target} that rebuilds its shares to each of the k
     * {@code helpers} (their node ids, which are their share points): compute your term of f(target) for every
     * version in {@code refs} that you hold, and hand one random piece of it to each other helper.
     * {@code session} is 16 random bytes chosen by the target.
     */
    public record RecoverSplit(byte[] session, int target, int[] helpers, List<VersionRef> refs) {
        public RecoverSplit {
            session = session.clone();
            helpers = helpers.clone();
            refs = List.copyOf(refs);
        }

        @Override
        public byte[] session() {
            return session.clone();
        }

        @Override
        public int[] helpers() {
            return helpers.clone();
        }
    }

    /**
     * One helper's pieces for another: for each version of the split, whether the sender holds it and, if so,
     * the receiver's piece of the sender's term ({@code pieces} has null where {@code held} is false).
     * {@code digest} is the SHA-256 of the split's body, so that the receiver only adds pieces of one split.
     */
    public record RecoverPiece(byte[] session, byte[] digest, boolean[] held, byte[][] pieces) {
        @Override
        public String toString() {
            return "RecoverPiece[" + held.length + " versions]";
        }
    }

    /** Round two, from the target to each helper: the sum of the pieces you hold, for every version of the split. */
    public record RecoverSum(byte[] session, byte[] digest) {
    }
}
