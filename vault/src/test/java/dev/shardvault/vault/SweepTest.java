package dev.shardvault.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.vault.Client.Answer;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.store.Selector;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The background sweep: the first pass against a peer lists every name, later passes compare only what changed
 * on that peer since; a missed delete is learned either way, a missed version is handed to the rebuilder (no
 * node gathers shares for it).
 */
class SweepTest extends ClusterTestBase {

    private static final int SECRETS = 40;

    /** Creates SECRETS secrets and waits until every node holds all of them. */
    private void populate() {
        for (int i = 0; i < SECRETS; i++) {
            Answer created = cluster.client(1 + i % 5).create("BULK_" + i, "value-" + i);
            assertEquals(201, created.status(), created.toString());
        }
        for (int i = 0; i < SECRETS; i++) {
            awaitLatest(new SecretId("default", "BULK_" + i), 1);
        }
    }

    /** Populates, lets node 5 sweep every peer once (full listings), and returns node 5. */
    private VaultNode populatedAndSweptOnce() {
        populate();
        VaultNode five = cluster.node(5);
        five.sweepNow();
        return five;
    }

    /** Updates {@code name} through node {@code via} while node 5 is cut off; the other four hold version 2. */
    private SecretId updateMissedByNodeFive(String name, int via) {
        SecretId missed = new SecretId("default", name);
        cluster.link.isolate(5);
        assertEquals(200, cluster.client(via).update(name, "newer").status());
        awaitLatest(missed, 2, 1, 2, 3, 4);
        cluster.link.heal(5);
        assertEquals(1, cluster.node(5).store().read(missed, Selector.LATEST).version());
        return missed;
    }

    @Test
    void afterTheFirstPassOnlyChangesAreComparedAndAMissedUpdateIsRecoveredWithoutGatheringShares() {
        VaultNode five = populatedAndSweptOnce();
        long firstPasses = five.sweepCompared();
        assertTrue(firstPasses >= 4L * SECRETS, "the first pass against each peer lists every name: " + firstPasses);

        SecretId missed = updateMissedByNodeFive("BULK_7", 1);

        // The sweep sees the newer version and hands it to the rebuilder, which recovers node 5's share from sums
        // of random pieces: no node asks for shares or combines them (no node alone may rebuild a secret).
        AtomicInteger shareCalls = new AtomicInteger();
        cluster.link.add(send -> (send.route().equals("/read") || send.route().equals("/repair"))
                                 && shareCalls.incrementAndGet() < 0);
        long reconstructions = 0;
        for (int id = 1; id <= 5; id++) {
            reconstructions += cluster.node(id).reconstructions();
        }
        long behindBefore = five.sweepBehind();
        five.sweepNow();
        long laterPasses = five.sweepCompared() - firstPasses;
        assertTrue(laterPasses >= 1 && laterPasses <= 8, "passes over changes compare the changed secret only: " + laterPasses);
        assertTrue(five.sweepBehind() > behindBefore, "the sweep noticed the newer version");
        eventually("node 5 holds the update it missed", () -> five.store().read(missed, Selector.LATEST).version() == 2);
        cluster.link.healAll();
        assertEquals(0, shareCalls.get(), "a node asked for or sent a share");
        long after = 0;
        for (int id = 1; id <= 5; id++) {
            after += cluster.node(id).reconstructions();
        }
        assertEquals(reconstructions, after, "a node combined shares");
        assertEquals("newer", cluster.client(1).read("BULK_7").value());
    }

    @Test
    void aMissedDeleteIsLearnedFromThePeersChanges() {
        VaultNode five = populatedAndSweptOnce();
        SecretId deleted = new SecretId("default", "BULK_3");
        cluster.link.isolate(5);
        Answer answer = cluster.client(2).send("POST", "/internal/v1/deletions/default/BULK_3",
                                               "{\"requestTime\":\"" + Client.now() + "\"}");
        assertEquals(200, answer.status(), answer.toString());
        cluster.link.heal(5);
        assertTrue(five.store().view(deleted) instanceof SecretView.Live);

        long before = five.sweepCompared();
        five.sweepNow();
        assertTrue(five.sweepCompared() - before <= 8, "only the changes were compared");
        assertTrue(five.store().view(deleted) instanceof SecretView.Deleted, "node 5 learned the tombstone");
    }

    @Test
    void aPeerThatRestartedIsListedInFullOnceThenByChangesAgain() {
        VaultNode five = populatedAndSweptOnce();
        cluster.stop(2);
        cluster.restart(2);

        long before = five.sweepCompared();
        five.sweepNow();
        long afterRestart = five.sweepCompared() - before;
        assertTrue(afterRestart >= SECRETS && afterRestart < 2L * SECRETS,
                   "the restarted peer numbers its changes anew, so it is listed in full; the others are not: " + afterRestart);

        before = five.sweepCompared();
        five.sweepNow();
        assertTrue(five.sweepCompared() - before < SECRETS, "and the next pass compares changes only");
    }
}
