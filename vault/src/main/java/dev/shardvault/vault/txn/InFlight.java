package dev.shardvault.vault.txn;

import dev.shardvault.vault.model.TxnId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Transactions this node is coordinating and has not decided: asked about one, it says "in progress". */
public final class InFlight {

    private final Set<TxnId> running = ConcurrentHashMap.newKeySet();

    void add(TxnId txn) {
        running.add(txn);
    }

    void remove(TxnId txn) {
        running.remove(txn);
    }

    public boolean contains(TxnId txn) {
        return running.contains(txn);
    }
}
