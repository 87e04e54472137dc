package dev.shardvault.vault.store;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import java.util.List;

/** A participant's answer to a prepare. */
public sealed interface PrepareResult {

    /** Voted yes: the shares are durable and the names locked; the views are this node's, one per op. */
    record Voted(List<SecretView> views) implements PrepareResult {
        public Voted {
            views = List.copyOf(views);
        }
    }

    /** Voted no: another transaction holds the lock on {@code id}. Nothing was written. */
    record Locked(SecretId id) implements PrepareResult {
    }

    /** The transaction was already decided here (e.g. aborted by a timeout or a refusal). */
    record Decided(TxnState state) implements PrepareResult {
    }

    /** Another attempt of the same request already committed; here is what it decided. */
    record RequestCommitted(Journal.Committed decision) implements PrepareResult {
    }
}
