package dev.shardvault.vault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node asked about a transaction it never prepared logs a refusal (an abort) while the same transaction's
 * commit arrives from a retry's coordinator: exactly one of the two decisions may reach the log, or the node
 * cannot replay it. Found by the fault run (seed 1): a restarted node stopped on "both commit and abort records".
 */
class DecisionRaceTest {

    private static final LogOptions SMALL_LOG = LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(2 << 20);

    @TempDir
    Path dir;

    @Test
    void aCommitAndAnAbortOfOneTransactionRacingLogOnlyOneDecision() throws Exception {
        List<TxnId> txns = new ArrayList<>();
        List<Boolean> committed = new ArrayList<>();
        ShardStore store = ShardStore.open(1, dir, SMALL_LOG, e -> {
            throw new AssertionError("log failure", e);
        });
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < 200; i++) {
                TxnId txn = TxnId.newAttempt(RequestId.random());
                Journal.Committed decision = new Journal.Committed(txn, List.of(
                        new Outcome.Applied(new SecretId("default", "S" + i), 1, 1, 1_000)));
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Boolean> commit = pool.submit(() -> {
                    start.await();
                    return store.learnCommit(decision) instanceof DecideResult.Committed;
                });
                Future<Boolean> abort = pool.submit(() -> {
                    start.await();
                    return store.abort(txn) instanceof DecideResult.Aborted;
                });
                boolean commitWon = commit.get();
                boolean abortWon = abort.get();
                assertTrue(commitWon ^ abortWon, "txn " + i + ": commit " + commitWon + ", abort " + abortWon);
                txns.add(txn);
                committed.add(commitWon);
            }
        } finally {
            store.close();
        }
        ShardStore reopened = ShardStore.open(1, dir, SMALL_LOG, e -> {
            throw new AssertionError("log failure", e);
        }); // replay throws if any transaction has both records
        try {
            for (int i = 0; i < txns.size(); i++) {
                TxnState state = reopened.status(txns.get(i));
                Class<? extends TxnState> expected = committed.get(i) ? TxnState.IsCommitted.class : TxnState.IsAborted.class;
                assertEquals(expected, state.getClass(), "txn " + i);
            }
            assertEquals(List.of(), reopened.inDoubt());
        } finally {
            reopened.close();
        }
    }
}
