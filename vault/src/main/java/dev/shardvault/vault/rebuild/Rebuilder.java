package dev.shardvault.vault.rebuild;

import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.config.RebuildSettings;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.Sha256;
import dev.shardvault.vault.protocol.Messages.CatalogueEntry;
import dev.shardvault.vault.protocol.Messages.RecoverSplit;
import dev.shardvault.vault.protocol.Messages.RecoverSum;
import dev.shardvault.vault.protocol.Messages.VersionRef;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.shamir.ShareRecovery;
import dev.shardvault.vault.store.Journal.Repaired;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShardStore.RepairOutcome;
import dev.shardvault.vault.store.VersionMeta;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Brings this node's shares up to what its peers hold: after its disk was replaced (it starts empty), or when it
 * missed writes while it was down. A pass reads every peer's catalogue ({@link ShardStore#catalogue}: names,
 * views, versions with their validity, tombstones) page by page, learns the tombstones it lacks, and recovers
 * its share of every version a peer holds and it does not, without any node rebuilding the value: k helpers
 * that hold the version each send it a sum of random pieces of their Lagrange terms ({@link RecoveryHelper}),
 * and the k sums add up to this node's share, exactly the bytes it held before. Recovered shares are stored by
 * {@link ShardStore#repairAll} under the rules of a read repair (never into a deleted incarnation, never while a
 * transaction holds the name).
 *
 * <p>Recovery runs at most {@link RebuildSettings#versionsPerSecond()} versions per second, in sessions of up to
 * {@link RebuildSettings#batchVersions()}, one at a time, so the foreground keeps most of the node. A version
 * whose helpers are unreachable or whose name is locked stays missing, and the next pass (soon) retries it; the
 * node reports {@code in-sync} once a pass read every peer's whole catalogue and left nothing missing.
 */
public final class Rebuilder {

    private static final System.Logger LOG = System.getLogger(Rebuilder.class.getName());
    private static final int PAGE = 500;
    /** More helper sets than this are not tried for one batch (C(n-1, k) grows fast with n). */
    private static final int MAX_HELPER_SETS = 20;

    /** Where this node stands; {@code state} is rebuilding (no pass finished clean yet), in-sync or behind. */
    /**
     * Where this node stands. {@code state}: rebuilding (no pass finished clean yet), in-sync, or behind (a later
     * pass left versions missing). {@code unrecoverable}: versions the last pass found held by fewer than k
     * reachable peers, so no helper set can recover them (they are under-replicated: reported, not retried soon).
     */
    public record Status(String state, long missing, long unrecoverable, long rebuilt, long tombstonesLearned, long passes,
                         long lastPassMillis, double versionsPerSecond, long sessionsFailed) {
    }

    private final int self;
    private final ClusterConfig cluster;
    private final ShardStore store;
    private final Peers peers;
    private final SecureRandom random;
    private final RebuildSettings settings;
    private final long peerTimeoutMillis;

    /**
     * False while this node, having started empty, may not know versions it held before: its views could be older
     * than what it voted for, so it answers no vote and no read (LocalParticipant) until a pass read the whole
     * catalogue of {@link #peersNeededToJoin()} peers and recovered everything they list (a version fewer than k
     * reachable peers hold is kept as a placeholder: its view without its share).
     */
    private volatile boolean ready;
    private final Runnable onReady;

    // Written by the pass thread, read by health and metrics.
    private volatile String state = "rebuilding";
    private volatile long missing;
    private volatile long unrecoverable;
    /** The versions this pass found held by fewer than k reachable peers (each listed by several peers: a set). */
    private final Set<VersionRef> unrecoverableInPass = new HashSet<>();
    /** Secrets a sweep found behind a peer: the next pass looks at these only, unless a full pass is due. */
    private final Set<SecretId> wanted = new java.util.LinkedHashSet<>();
    private static final int MAX_WANTED = 10_000;
    private boolean fullPassDue = true;
    private volatile long rebuilt;
    private volatile long tombstonesLearned;
    private volatile long passes;
    private volatile long lastPassMillis;
    private volatile double lastRate;
    private volatile long sessionsFailed;
    private long nextSessionNanos = System.nanoTime();

    /**
     * @param startedEmpty this node started with an empty log (a new or replaced disk) or with a rebuild left
     *                     unfinished: it stays out of quorums until {@link #ready()}
     * @param onReady      run once when such a node becomes ready
     */
    public Rebuilder(int self, ClusterConfig cluster, ShardStore store, Peers peers, SecureRandom random,
                     RebuildSettings settings, long peerTimeoutMillis, boolean startedEmpty, Runnable onReady) {
        this.ready = !startedEmpty;
        this.onReady = onReady;
        this.self = self;
        this.cluster = cluster;
        this.store = store;
        this.peers = peers;
        this.random = random;
        this.settings = settings;
        this.peerTimeoutMillis = peerTimeoutMillis;
    }

    public Status status() {
        return new Status(state, missing, unrecoverable, rebuilt, tombstonesLearned, passes, lastPassMillis, lastRate,
                          sessionsFailed);
    }

    /** Whether this node takes part in quorums (votes, read answers): see the field's comment. */
    public boolean ready() {
        return ready;
    }

    /**
     * How many other nodes' whole catalogues a node that started empty must have compared itself with: every
     * version it held was written to W nodes (a delete to D), so at least min(W, D) - 1 of the other n - 1 hold
     * it too, and any n - min(W, D) + 1 of them include one.
     */
    public int peersNeededToJoin() {
        return cluster.n() - Math.min(cluster.writeQuorum(), cluster.deleteQuorum()) + 1;
    }

    /** True once a pass read every peer's catalogue and left nothing missing (and no later pass found more). */
    public boolean inSync() {
        return "in-sync".equals(state);
    }

    /** How long the background loop waits before the next pass, given how the last one ended. */
    public long nextPassDelayMillis() {
        synchronized (wanted) {
            if (!wanted.isEmpty() || fullPassDue) {
                return settings.retryMillis();
            }
        }
        // Soon while something is missing or this node has not joined the quorums; a node that only could not
        // reach a peer (it is down) waits the interval, or until it learns its peers again.
        return !ready || missing > 0 ? settings.retryMillis() : settings.intervalMillis();
    }

    /** A sweep found a peer with a version of {@code id} this node lacks: the next pass, started now, recovers it. */
    public void want(SecretId id) {
        synchronized (wanted) {
            if (wanted.size() < MAX_WANTED) {
                wanted.add(id);
            } else {
                fullPassDue = true;
            }
            wanted.notifyAll();
        }
    }

    /** The set of peers changed (a node learned its peers' addresses): a full pass, now. */
    public void peersChanged() {
        synchronized (wanted) {
            fullPassDue = true;
            wanted.notifyAll();
        }
    }

    /** The background loop's wait: {@link #nextPassDelayMillis()}, cut short by {@link #want}. */
    public void awaitNextStep() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(nextPassDelayMillis());
        synchronized (wanted) {
            long left;
            while (wanted.isEmpty() && !fullPassDue && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(wanted, left);
            }
        }
    }

    /**
     * The background loop's step: a full pass when one is due (at start, after a pass that left versions missing,
     * every {@link RebuildSettings#intervalMillis()}), else a pass over the secrets sweeps found behind.
     */
    public long step() {
        List<SecretId> ids;
        synchronized (wanted) {
            if (fullPassDue || !inSync() || wanted.isEmpty()) {
                wanted.clear();
                fullPassDue = false;
                ids = null;
            } else {
                ids = List.copyOf(wanted);
                wanted.clear();
            }
        }
        return ids == null ? pass() : passOver(ids);
    }

    /** Compares only {@code ids} with every peer (their histories), as a full pass does; returns versions recovered. */
    public synchronized long passOver(List<SecretId> ids) {
        long rebuiltBefore = rebuilt;
        List<Peer> others = peers.others();
        Set<Integer> down = new HashSet<>();
        long left = 0;
        for (Peer peer : others) {
            List<CatalogueEntry> entries = new ArrayList<>();
            try {
                for (SecretId id : ids) {
                    var history = peer.history(id);
                    entries.add(new CatalogueEntry(id, history.view(), history.versions()));
                }
                left += catchUp(entries, peer.id(), others, down);
            } catch (PeerUnavailableException e) {
                down.add(peer.id());
            } catch (IOException e) {
                return rebuilt - rebuiltBefore;
            }
        }
        if (left > 0) {
            synchronized (wanted) {
                fullPassDue = true;
            }
        }
        return rebuilt - rebuiltBefore;
    }

    /** One pass over every peer's catalogue; returns how many versions it recovered. */
    public synchronized long pass() {
        long started = System.nanoTime();
        long rebuiltBefore = rebuilt;
        long left = 0;
        unrecoverableInPass.clear();
        boolean complete = true;
        List<Peer> others = peers.others();
        Set<Integer> down = new HashSet<>();
        if (others.size() < cluster.n() - 1) {
            complete = false; // not connected to every node yet (a node learns its peers after it starts)
        }
        int peersRead = 0;
        for (Peer peer : others) {
            SecretId after = null;
            boolean whole = false;
            while (true) {
                List<CatalogueEntry> page;
                try {
                    page = peer.catalogue(after, PAGE);
                } catch (PeerUnavailableException e) {
                    LOG.log(System.Logger.Level.DEBUG, "rebuild: catalogue of node " + peer.id() + " unavailable: " + e.getMessage());
                    complete = false;
                    down.add(peer.id());
                    break;
                }
                try {
                    left += catchUp(page, peer.id(), others, down);
                } catch (IOException e) {
                    state = "behind";
                    return rebuilt - rebuiltBefore; // the log failed; the node is stopping
                }
                missing = left;
                if (page.size() < PAGE) {
                    whole = true;
                    break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    complete = false;
                    break;
                }
                after = page.getLast().id();
            }
            if (whole) {
                peersRead++;
            }
        }
        missing = left;
        unrecoverable = unrecoverableInPass.size();
        passes++;
        long elapsed = System.nanoTime() - started;
        lastPassMillis = TimeUnit.NANOSECONDS.toMillis(elapsed);
        long done = rebuilt - rebuiltBefore;
        lastRate = elapsed == 0 ? 0 : done * 1e9 / elapsed;
        if (!ready && peersRead >= peersNeededToJoin() && left == 0) {
            ready = true;
            LOG.log(System.Logger.Level.INFO, "rebuild: ready: compared with {0} node(s) and recovered what they hold;"
                    + " this node takes part in quorums again", peersRead);
            onReady.run();
        }
        String before = state;
        state = complete && left == 0 ? "in-sync" : "in-sync".equals(before) || "behind".equals(before) ? "behind" : "rebuilding";
        if (done > 0 || left > 0 || !unrecoverableInPass.isEmpty() || !state.equals(before)) {
            // One line per pass that did or found something; scripts/cluster.sh status shows the last one.
            LOG.log(System.Logger.Level.INFO, "rebuild: {0}, {1} version(s) recovered in {2} ms ({3} since start), {4} missing,"
                    + " {5} held by fewer than k reachable nodes{6}", state, done, lastPassMillis, rebuilt, left,
                    unrecoverableInPass.size(), complete ? "" : ", not every node reachable");
        }
        return done;
    }

    /** Learns this page's tombstones and recovers its missing versions; returns how many are still missing. */
    private long catchUp(List<CatalogueEntry> page, int lister, List<Peer> others, Set<Integer> down) throws IOException {
        List<Missing> wanted = new ArrayList<>();
        long left = 0;
        for (CatalogueEntry entry : page) {
            SecretView mine = store.view(entry.id());
            switch (entry.view()) {
                case SecretView.Deleted deleted when deleted.compareTo(mine) > 0 -> {
                    if (store.learnTombstone(entry.id(), deleted.incarnation(), deleted.deletedAtMillis())) {
                        tombstonesLearned++;
                    } else {
                        left++;
                    }
                }
                case SecretView.Live live when live.incarnation() >= mine.incarnation()
                                               && !(mine instanceof SecretView.Deleted d && d.incarnation() >= live.incarnation()) -> {
                    Set<Long> held = new HashSet<>();
                    if (mine.incarnation() == live.incarnation()) {
                        held.addAll(store.sharesHeld(entry.id()));
                    }
                    for (VersionMeta meta : entry.versions()) {
                        if (!held.contains(meta.version())) {
                            wanted.add(new Missing(new VersionRef(entry.id(), live.incarnation(), meta.version()), meta.validFromMillis()));
                        }
                    }
                }
                default -> {
                }
            }
        }
        for (int from = 0; from < wanted.size(); ) {
            int to = Math.min(wanted.size(), from + settings.batchVersions());
            left += recover(wanted.subList(from, to), lister, others, down);
            from = to;
        }
        return left;
    }

    private record Missing(VersionRef ref, long validFromMillis) {
    }

    /** Recovers a batch, trying helper sets until every version is stored or none is left to try; returns how many remain. */
    private long recover(List<Missing> batch, int lister, List<Peer> others, Set<Integer> down) throws IOException {
        List<Missing> remaining = new ArrayList<>(batch);
        java.util.Map<VersionRef, Set<Integer>> holders = new java.util.HashMap<>();
        boolean everySetAnswered = true;
        for (int[] helpers : helperSets(others, lister, down)) {
            if (remaining.isEmpty()) {
                break;
            }
            if (anyDown(helpers, down)) {
                everySetAnswered = false;
                continue;
            }
            List<Missing> left = session(helpers, remaining, down, holders);
            everySetAnswered &= left != remaining;
            remaining = left;
        }
        if (everySetAnswered && others.size() >= cluster.k()) {
            // Every helper set answered and none holds all of these: fewer than k reachable peers hold them. Keep
            // each as a placeholder (the version without a share), so that this node's view of the secret is not
            // older than one it may have voted for; its share comes if enough holders return.
            List<Missing> underReplicated = remaining.stream()
                    .filter(m -> holders.getOrDefault(m.ref(), Set.of()).size() < cluster.k()).toList();
            List<Repaired> placeholders = underReplicated.stream()
                    .map(m -> new Repaired(m.ref().id(), m.ref().incarnation(), m.ref().version(), m.validFromMillis(), new byte[0]))
                    .toList();
            List<RepairOutcome> outcomes = store.repairAll(placeholders);
            long locked = outcomes.stream().filter(o -> o == RepairOutcome.LOCKED).count();
            underReplicated.forEach(m -> unrecoverableInPass.add(m.ref()));
            return remaining.size() - underReplicated.size() + locked;
        }
        return remaining.size();
    }

    /** One or more sessions with these helpers (halving a batch whose bodies a helper refused as too large). */
    /** Returns the versions still missing (the same list object if the session failed as a whole). */
    private List<Missing> session(int[] helpers, List<Missing> batch, Set<Integer> down,
                                  java.util.Map<VersionRef, Set<Integer>> holders) throws IOException {
        pace(batch.size());
        byte[][] shares;
        List<VersionRef> refs = batch.stream().map(Missing::ref).toList();
        List<boolean[]> held = new ArrayList<>();
        try {
            shares = recoverShares(helpers, refs, held);
        } catch (PeerUnavailableException e) {
            sessionsFailed++;
            if (e.getMessage() != null && e.getMessage().contains(" 413") && batch.size() > 1) {
                int half = batch.size() / 2;
                List<Missing> left = new ArrayList<>(session(helpers, batch.subList(0, half), down, holders));
                left.addAll(session(helpers, batch.subList(half, batch.size()), down, holders));
                return left;
            }
            LOG.log(System.Logger.Level.DEBUG, "rebuild: a recovery session failed: " + e.getMessage());
            noteDown(e, helpers, down);
            return batch;
        }
        for (int h = 0; h < helpers.length; h++) {
            for (int r = 0; r < refs.size() && r < held.get(h).length; r++) {
                if (held.get(h)[r]) {
                    holders.computeIfAbsent(refs.get(r), ref -> new HashSet<>()).add(helpers[h]);
                }
            }
        }
        List<Repaired> repairs = new ArrayList<>();
        List<Missing> recovered = new ArrayList<>();
        List<Missing> left = new ArrayList<>();
        for (int r = 0; r < batch.size(); r++) {
            Missing missing = batch.get(r);
            if (shares[r] == null) {
                left.add(missing);
                continue;
            }
            repairs.add(new Repaired(missing.ref().id(), missing.ref().incarnation(), missing.ref().version(),
                                     missing.validFromMillis(), shares[r]));
            ShareRecovery.wipe(shares[r]);
            recovered.add(missing);
        }
        List<RepairOutcome> outcomes = store.repairAll(repairs);
        for (int i = 0; i < outcomes.size(); i++) {
            switch (outcomes.get(i)) {
                case STORED -> rebuilt++;
                case LOCKED -> left.add(recovered.get(i)); // a transaction holds the name: next pass
                case ALREADY_HELD, DELETED, STALE -> {
                    // nothing left to do: it arrived meanwhile, or it is no longer live
                }
            }
        }
        return left;
    }

    /**
     * Runs the two rounds with {@code helpers}: each computes and hands out its pieces (round one, all at once),
     * then each hands this node its sum (round two). Returns this node's share of each version, or null where
     * not every helper held it; {@code heldOut} receives each helper's answer of round one.
     */
    byte[][] recoverShares(int[] helpers, List<VersionRef> refs, List<boolean[]> heldOut) throws PeerUnavailableException {
        byte[] session = new byte[16];
        random.nextBytes(session);
        RecoverSplit split = new RecoverSplit(session, self, helpers, refs);
        byte[] digest = Sha256.digest(WireCodec.recoverSplit(split));
        List<boolean[]> held = all(helpers, peer -> peer.recoverSplit(split));
        heldOut.addAll(held);
        List<byte[][]> sums = all(helpers, peer -> peer.recoverSum(new RecoverSum(session, digest)));
        byte[][] shares = new byte[refs.size()][];
        for (int r = 0; r < refs.size(); r++) {
            byte[] share = null;
            for (int h = 0; h < helpers.length; h++) {
                byte[] sum = sums.get(h).length == refs.size() ? sums.get(h)[r] : null;
                boolean ok = held.get(h).length == refs.size() && held.get(h)[r] && sum != null
                             && (share == null || share.length == sum.length);
                if (!ok) {
                    ShareRecovery.wipe(share);
                    share = null;
                    break;
                }
                if (share == null) {
                    share = sum.clone();
                } else {
                    ShareRecovery.addInto(share, sum);
                }
            }
            shares[r] = share;
        }
        for (byte[][] perHelper : sums) {
            ShareRecovery.wipe(perHelper);
        }
        return shares;
    }

    private interface HelperCall<T> {
        T call(Peer peer) throws PeerUnavailableException;
    }

    /** Calls every helper at once; fails with the first failure. */
    private <T> List<T> all(int[] helpers, HelperCall<T> call) throws PeerUnavailableException {
        List<CompletableFuture<T>> futures = new ArrayList<>(helpers.length);
        for (int helper : helpers) {
            Peer peer = peers.get(helper);
            futures.add(Peer.onVirtualThread(() -> call.call(peer)));
        }
        List<T> answers = new ArrayList<>(helpers.length);
        for (CompletableFuture<T> future : futures) {
            try {
                answers.add(future.get(2 * peerTimeoutMillis, TimeUnit.MILLISECONDS));
            } catch (ExecutionException e) {
                throw e.getCause() instanceof PeerUnavailableException unavailable ? unavailable
                        : new PeerUnavailableException("recovery call failed: " + e.getCause(), e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw new PeerUnavailableException("a helper did not answer within " + 2 * peerTimeoutMillis + " ms", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PeerUnavailableException("interrupted", e);
            }
        }
        return answers;
    }

    /** Every k-set of the other nodes, those with {@code preferred} (which listed the versions) first, rotated per pass. */
    private List<int[]> helperSets(List<Peer> others, int preferred, Set<Integer> down) {
        List<Integer> ids = others.stream().map(Peer::id).filter(id -> !down.contains(id)).sorted().toList();
        List<int[]> sets = new ArrayList<>();
        combinations(ids, cluster.k(), 0, new int[cluster.k()], 0, sets);
        int rotation = sets.isEmpty() ? 0 : (int) Math.floorMod(passes, sets.size());
        List<int[]> ordered = new ArrayList<>(sets.size());
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < sets.size(); i++) {
                int[] set = sets.get((i + rotation) % sets.size());
                boolean withPreferred = contains(set, preferred);
                if (withPreferred == (pass == 0)) {
                    ordered.add(set);
                }
            }
        }
        return ordered.size() > MAX_HELPER_SETS ? ordered.subList(0, MAX_HELPER_SETS) : ordered;
    }

    private static void combinations(List<Integer> ids, int k, int start, int[] chosen, int depth, List<int[]> out) {
        if (depth == k) {
            out.add(chosen.clone());
            return;
        }
        for (int i = start; i <= ids.size() - (k - depth) && out.size() < 1_000; i++) {
            chosen[depth] = ids.get(i);
            combinations(ids, k, i + 1, chosen, depth + 1, out);
        }
    }

    private static boolean contains(int[] set, int id) {
        for (int member : set) {
            if (member == id) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyDown(int[] helpers, Set<Integer> down) {
        for (int helper : helpers) {
            if (down.contains(helper)) {
                return true;
            }
        }
        return false;
    }

    /** A helper that could not be reached is left out of the rest of this pass (its message names it). */
    private static void noteDown(PeerUnavailableException e, int[] helpers, Set<Integer> down) {
        String message = String.valueOf(e.getMessage());
        for (int helper : helpers) {
            if (message.startsWith("node " + helper + " unreachable") || message.startsWith("node " + helper + " did not answer")) {
                down.add(helper);
            }
        }
    }

    /** Waits until this many versions fit the rate. */
    private void pace(int versions) {
        long now = System.nanoTime();
        long wait = nextSessionNanos - now;
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        nextSessionNanos = Math.max(nextSessionNanos, now) + versions * 1_000_000_000L / settings.versionsPerSecond();
    }
}
