package dev.shardvault.vault.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.log.LogOptions;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An update prepared on this node, then a delete's decision learned before the update's (the update committed
 * first elsewhere; its commit message to this node was slow): the update's commit must not put a share into the
 * deleted incarnation, and the share in this node's prepare record must be erased like the delete's.
 */
class LateCommitAfterDeleteTest {

    private static final SecretId ID = new SecretId("default", "S");
    private static final LogOptions SMALL_LOG = LogOptions.defaults().withMaxRecordBytes(1 << 20).withSegmentBytes(2 << 20);

    @TempDir
    Path dir;

    @Test
    void aPutCommittedAfterTheDeleteArrivedLeavesNoShareInMemoryOrOnDisk() throws IOException {
        SecureRandom random = new SecureRandom();
        byte[] first = new byte[48];
        byte[] late = new byte[48];
        random.nextBytes(first);
        random.nextBytes(late);
        TxnId update = TxnId.newAttempt(RequestId.random());
        try (Store store = new Store(dir)) {
            TxnId create = TxnId.newAttempt(RequestId.random());
            store.it.prepare(create, 2, List.of(new Op.Put(ID, Op.Put.Kind.CREATE, -1, first)));
            store.it.commit(new Journal.Committed(create, List.of(new Outcome.Applied(ID, 1, 1, 1_000))));

            assertInstanceOf(PrepareResult.Voted.class,
                             store.it.prepare(update, 2, List.of(new Op.Put(ID, Op.Put.Kind.UPDATE, -1, late))));
            TxnId delete = TxnId.newAttempt(RequestId.random());
            store.it.learnCommit(new Journal.Committed(delete, List.of(new Outcome.Removed(ID, 1, 3_000))));
            assertTrue(onDisk(dir, late), "the update's share is still prepared, so it is still on disk");

            DecideResult result = store.it.learnCommit(new Journal.Committed(update, List.of(new Outcome.Applied(ID, 1, 2, 2_000))));

            assertEquals(new DecideResult.Committed(false), result, "this node holds no share of a deleted incarnation");
            assertInstanceOf(SecretView.Deleted.class, store.it.view(ID));
            assertNull(store.it.read(ID, new Selector.ByVersion(2)).share());
            assertEquals(List.of(), store.it.inDoubt());
            assertFalse(onDisk(dir, late), "the late update's share survived the delete on disk");
            assertFalse(onDisk(dir, first), "the deleted version's share survived on disk");
        }
        try (Store reopened = new Store(dir)) {
            assertInstanceOf(SecretView.Deleted.class, reopened.it.view(ID));
            assertEquals(List.of(), reopened.it.inDoubt());
            assertInstanceOf(TxnState.IsCommitted.class, reopened.it.status(update), "the update is known committed here");
            assertFalse(onDisk(dir, late));
        }
    }

    private static boolean onDisk(Path dir, byte[] share) {
        return !dev.shardvault.vault.Bytes.filesContaining(dir, List.of(share)).isEmpty();
    }

    private static final class Store implements AutoCloseable {
        final ShardStore it;

        Store(Path dir) throws IOException {
            it = ShardStore.open(1, dir, SMALL_LOG, e -> {
                throw new AssertionError("log failure", e);
            });
        }

        @Override
        public void close() throws IOException {
            it.close();
        }
    }
}
