package dev.shardvault.vault.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * One node's store driven by random scripts of what its peers can send it — prepares of puts and removes, commits
 * and aborts in any order, the same decision again and the opposite one, restarts between any two steps — played
 * as a coordinator that decides from this node's own view would, with deletes learned from a sweep and versions it
 * missed repaired. After every step the invariants hold; after every
 * restart, replaying the log gives exactly the state live application had.
 *
 * <p>Invariants: a transaction is decided at most once and never both ways (the opposite decision is answered
 * {@link DecideResult.DecidedOtherwise} and changes nothing); a name's view never goes back (incarnations only grow,
 * a deleted incarnation never takes a put); versions of an incarnation increase with their validity intervals, which
 * never overlap; a committed share reads back byte for byte; an erased (deleted) version never comes back.
 */
class ShardStoreProperties {

    private static final LogOptions LOG = LogOptions.defaults().withMaxRecordBytes(1 << 16).withSegmentBytes(1 << 20);
    private static final int NAMES = 3;

    @Property(tries = 120)
    void invariantsHoldAndReplayEqualsLiveApplication(@ForAll @Size(max = 50) List<@IntRange(min = 0, max = 9_999) Integer> script)
            throws IOException {
        Path dir = Files.createTempDirectory("store-properties");
        try {
            new Run(dir).play(script);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    /** A transaction this script prepared and has not decided yet. */
    private record Open(TxnId txn, Op op) {
    }

    private static final class Run {
        private final Path dir;
        private ShardStore store;
        private final List<Open> open = new ArrayList<>();
        /** Every decision made, in order: txn to the decision's kind (true = committed). */
        private final Map<TxnId, Boolean> decided = new LinkedHashMap<>();
        private final Map<TxnId, Journal.Committed> commits = new HashMap<>();
        /** The share committed for (name, incarnation, version). */
        private final Map<String, byte[]> committedShares = new HashMap<>();
        /** (name, incarnation) pairs deleted: none of their shares may be readable again. */
        private final Set<String> deletedIncarnations = new java.util.HashSet<>();
        private final Map<SecretId, SecretView> lastViews = new HashMap<>();
        private long clock = 1_000;
        private int shareCounter;

        Run(Path dir) throws IOException {
            this.dir = dir;
            this.store = open();
        }

        private ShardStore open() throws IOException {
            return ShardStore.open(1, dir, LOG, e -> {
                throw new AssertionError("log failure", e);
            });
        }

        void play(List<Integer> script) throws IOException {
            try {
                for (int step : script) {
                    int action = step % 10;
                    SecretId id = new SecretId("default", "N" + (step / 10) % NAMES);
                    int pick = step / (10 * NAMES);
                    switch (action) {
                        case 0, 1 -> preparePut(id, pick % 2 == 0 ? 1 : 2);
                        case 2 -> prepare(new Op.Remove(id), 2);
                        case 3, 4 -> commit(pick);
                        case 5 -> abort(pick);
                        case 6 -> decideAgain(pick);
                        case 7 -> learnTombstone(id);
                        case 8 -> repairMissedVersion(id, 1 + pick % 2);
                        default -> restart();
                    }
                    checkInvariants();
                }
                restart();
                checkInvariants();
            } finally {
                store.close();
            }
        }

        private void preparePut(SecretId id, int coordinator) throws IOException {
            SecretView view = store.view(id);
            byte[] share = new byte[] {(byte) ++shareCounter, (byte) (shareCounter >> 8), 42};
            Op.Put put = view instanceof SecretView.Live live
                    ? new Op.Put(id, Op.Put.Kind.UPDATE, live.latestVersion(), share)
                    : new Op.Put(id, Op.Put.Kind.CREATE, -1, share);
            prepare(put, coordinator);
        }

        private void prepare(Op op, int coordinator) throws IOException {
            TxnId txn = TxnId.newAttempt(RequestId.random());
            PrepareResult result = store.prepare(txn, coordinator, List.of(op));
            switch (result) {
                case PrepareResult.Voted voted -> {
                    assertEquals(List.of(store.view(op.id())), voted.views(), "a vote carries this node's view");
                    open.add(new Open(txn, op));
                }
                case PrepareResult.Locked locked -> assertTrue(
                        open.stream().anyMatch(o -> o.op().id().equals(op.id())), "locked only by an open transaction");
                default -> throw new AssertionError("a new transaction answered " + result);
            }
        }

        /** Commits an open transaction with the outcome a coordinator would decide from this node's view. */
        private void commit(int pick) throws IOException {
            if (open.isEmpty()) {
                return;
            }
            Open chosen = open.remove(pick % open.size());
            SecretId id = chosen.op().id();
            SecretView view = store.view(id);
            Outcome outcome = switch (chosen.op()) {
                case Op.Put put when put.kind() == Op.Put.Kind.UPDATE && view instanceof SecretView.Live live
                                     && live.latestVersion() == put.expectedVersion() ->
                        new Outcome.Applied(id, live.incarnation(), live.latestVersion() + 1, ++clock);
                case Op.Put put when put.kind() == Op.Put.Kind.CREATE && !(view instanceof SecretView.Live) ->
                        new Outcome.Applied(id, view.incarnation() + 1, 1, ++clock);
                case Op.Remove remove when view instanceof SecretView.Live live ->
                        new Outcome.Removed(id, live.incarnation(), ++clock);
                default -> null; // the view moved on since the prepare: this attempt can only abort
            };
            if (outcome == null) {
                assertInstanceOf(DecideResult.Aborted.class, store.abort(chosen.txn()));
                decided.put(chosen.txn(), false);
                return;
            }
            Journal.Committed decision = new Journal.Committed(chosen.txn(), List.of(outcome));
            DecideResult result = store.commit(decision);
            assertInstanceOf(DecideResult.Committed.class, result);
            decided.put(chosen.txn(), true);
            commits.put(chosen.txn(), decision);
            switch (outcome) {
                case Outcome.Applied applied -> {
                    assertTrue(((DecideResult.Committed) result).holdsShares(), "this node prepared the put");
                    committedShares.put(key(id, applied.incarnation(), applied.version()), ((Op.Put) chosen.op()).share());
                }
                case Outcome.Removed removed -> deletedIncarnations.add(id.name() + "#" + removed.incarnation());
                default -> throw new AssertionError(outcome);
            }
        }

        /** A delete this node missed, learned from a peer (the sweep): the incarnation's shares are erased. */
        private void learnTombstone(SecretId id) throws IOException {
            if (store.view(id) instanceof SecretView.Live live && store.learnTombstone(id, live.incarnation(), ++clock)) {
                deletedIncarnations.add(id.name() + "#" + live.incarnation());
            }
        }

        /** Versions committed while this node was away (it missed {@code ahead - 1} of them), its share rebuilt. */
        private void repairMissedVersion(SecretId id, int ahead) throws IOException {
            if (!(store.view(id) instanceof SecretView.Live live)) {
                return;
            }
            long version = live.latestVersion() + ahead;
            clock += ahead;
            byte[] share = new byte[] {(byte) ++shareCounter, (byte) (shareCounter >> 8), 7};
            ShardStore.RepairOutcome outcome = store.repair(id, live.incarnation(), version, clock, share);
            if (outcome == ShardStore.RepairOutcome.STORED) {
                committedShares.put(key(id, live.incarnation(), version), share);
            } else {
                assertEquals(ShardStore.RepairOutcome.LOCKED, outcome, "a repair of a live name");
            }
        }

        private void abort(int pick) throws IOException {
            if (open.isEmpty()) {
                return;
            }
            Open chosen = open.remove(pick % open.size());
            assertInstanceOf(DecideResult.Aborted.class, store.abort(chosen.txn()));
            decided.put(chosen.txn(), false);
        }

        /** The same decision again answers as the first did; the opposite one is refused and changes nothing. */
        private void decideAgain(int pick) throws IOException {
            if (decided.isEmpty()) {
                return;
            }
            List<TxnId> txns = List.copyOf(decided.keySet());
            TxnId txn = txns.get(pick % txns.size());
            Map<String, Object> before = snapshot();
            if (decided.get(txn)) {
                assertInstanceOf(DecideResult.Committed.class, store.commit(commits.get(txn)));
                assertEquals(before, snapshot(), "a repeated commit changed something");
                assertInstanceOf(DecideResult.DecidedOtherwise.class, store.abort(txn));
            } else {
                assertInstanceOf(DecideResult.Aborted.class, store.abort(txn));
                assertEquals(before, snapshot(), "a repeated abort changed something");
                Journal.Committed late = new Journal.Committed(txn, List.of(
                        new Outcome.Applied(new SecretId("default", "N0"), 99, 1, ++clock)));
                assertInstanceOf(DecideResult.DecidedOtherwise.class, store.commit(late));
            }
            assertEquals(before, snapshot(), "the opposite decision changed something");
        }

        private void restart() throws IOException {
            Map<String, Object> live = snapshot();
            store.close();
            store = open();
            assertEquals(live, snapshot(), "replaying the log gave another state than live application");
        }

        private void checkInvariants() {
            for (Map.Entry<TxnId, Boolean> decision : decided.entrySet()) {
                TxnState state = store.status(decision.getKey());
                Class<? extends TxnState> expected = decision.getValue() ? TxnState.IsCommitted.class : TxnState.IsAborted.class;
                assertTrue(expected.isInstance(state), "the decision of " + decision.getKey() + " changed: " + state);
            }
            assertEquals(open.stream().map(Open::txn).collect(Collectors.toSet()),
                         store.inDoubt().stream().map(ShardStore.InDoubt::txn).collect(Collectors.toSet()),
                         "in doubt: exactly the prepared, undecided transactions");
            for (int n = 0; n < NAMES; n++) {
                SecretId id = new SecretId("default", "N" + n);
                SecretView view = store.view(id);
                SecretView last = lastViews.getOrDefault(id, SecretView.ABSENT);
                assertTrue(view.compareTo(last) >= 0, id + " went back from " + last + " to " + view);
                lastViews.put(id, view);

                List<VersionMeta> history = store.history(id);
                for (int i = 1; i < history.size(); i++) {
                    assertTrue(history.get(i).version() > history.get(i - 1).version(), "versions increase: " + history);
                    assertTrue(history.get(i).validFromMillis() >= history.get(i - 1).validFromMillis(),
                               "validity intervals never overlap: " + history);
                }
                if (view instanceof SecretView.Live live) {
                    assertEquals(live.latestVersion(), history.getLast().version());
                    assertEquals(live.latestValidFromMillis(), history.getLast().validFromMillis());
                    for (VersionMeta meta : history) {
                        byte[] share = store.read(id, new Selector.ByVersion(meta.version())).share();
                        assertArrayEquals(committedShares.get(key(id, live.incarnation(), meta.version())), share,
                                          id + " v" + meta.version() + " reads back what was committed");
                    }
                }
                for (long version = 1; version <= 60; version++) {
                    long incarnation = view.incarnation();
                    if (deletedIncarnations.contains(id.name() + "#" + incarnation)) {
                        assertNull(store.read(id, new Selector.ByVersion(version)).share(),
                                   "a share of deleted " + id + " v" + version + " came back");
                    }
                }
            }
        }

        /** Everything a peer can observe of this node, in comparable form. */
        private Map<String, Object> snapshot() {
            Map<String, Object> state = new TreeMap<>();
            for (int n = 0; n < NAMES; n++) {
                SecretId id = new SecretId("default", "N" + n);
                state.put(id + " view", store.view(id));
                List<VersionMeta> history = store.history(id);
                state.put(id + " history", history);
                for (VersionMeta meta : history) {
                    byte[] share = store.read(id, new Selector.ByVersion(meta.version())).share();
                    state.put(id + " v" + meta.version(), share == null ? "none" : java.util.HexFormat.of().formatHex(share));
                }
            }
            for (TxnId txn : decided.keySet()) {
                state.put("txn " + txn, store.status(txn).getClass().getSimpleName());
            }
            state.put("in doubt", store.inDoubt().stream().map(d -> d.txn().toString()).sorted().toList());
            return state;
        }

        private static String key(SecretId id, long incarnation, long version) {
            return id.name() + "#" + incarnation + "v" + version;
        }
    }
}
