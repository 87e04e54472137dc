package dev.shardvault.vault.store;

import dev.shardvault.vault.store.Journal.Committed;

/** What a node's log says about one transaction. */
public sealed interface TxnState {

    /** The node logged a commit decision for it. */
    record IsCommitted(Committed decision) implements TxnState {
    }

    /** The node logged an abort (a decision, or a refusal to ever prepare it). */
    record IsAborted() implements TxnState {
    }

    /** The node prepared it (voted yes) and has no decision: it is in doubt. */
    record IsPrepared(int coordinator) implements TxnState {
    }

    /** The node never heard of it. */
    record IsUnknown() implements TxnState {
    }
}
