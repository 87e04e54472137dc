package dev.shardvault.vault.read;

import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.model.SealedValue;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.protocol.FanOut;
import dev.shardvault.vault.protocol.Messages;
import dev.shardvault.vault.protocol.Messages.HistoryReply;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.shamir.Shamir;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShareState;
import dev.shardvault.vault.store.VersionMeta;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Answers reads, history and listings from a quorum of nodes. */
public final class ReadCoordinator {

    public sealed interface ReadResult {
        /** The value (UTF-8 bytes; the caller zeroes them after use) and its validity interval; validTo -1 = open. */
        record Found(byte[] value, long incarnation, long version, long validFromMillis, long validToMillis) implements ReadResult {
            @Override
            public String toString() {
                return "Found[v" + version + "]";
            }
        }

        record NotFound() implements ReadResult {
        }

        /** The secret exists but has no such version (or none valid at that instant). */
        record VersionNotFound() implements ReadResult {
        }

        /**
         * Fewer than k shares of the newest version could be gathered; or, with {@code tombstones}, the newest
         * state is a tombstone that fewer than n - majority + 1 nodes hold yet (a delete still spreading).
         */
        record InsufficientShards(int available, int threshold, boolean tombstones) implements ReadResult {
            public InsufficientShards(int available, int threshold) {
                this(available, threshold, false);
            }
        }

    }

    public sealed interface HistoryResult {
        record Versions(List<VersionMeta> versions, long incarnation) implements HistoryResult {
        }

        record NotFound() implements HistoryResult {
        }

        record QuorumUnavailable(int answered, int required) implements HistoryResult {
        }
    }

    public sealed interface ListResult {
        /** Live secrets by name: name -> view; {@code next} is the cursor for the following page, or null. */
        record Page(List<Map.Entry<String, SecretView.Live>> secrets, String next) implements ListResult {
        }

        record QuorumUnavailable(int answered, int required) implements ListResult {
        }
    }

    private static final System.Logger LOG = System.getLogger(ReadCoordinator.class.getName());

    private final ClusterConfig cluster;
    private final Peers peers;
    private final long timeoutNanos;
    private final java.util.concurrent.atomic.AtomicLong repairsSent = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong repairsStored = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong tombstonesSent = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong sharesGathered = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong reconstructions = new java.util.concurrent.atomic.AtomicLong();

    public ReadCoordinator(ClusterConfig cluster, Peers peers, long timeoutMillis) {
        this.cluster = cluster;
        this.peers = peers;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** Repair messages sent, repairs a node stored, tombstones sent to nodes that missed a delete. */
    public record RepairCounts(long repairsSent, long repairsStored, long tombstonesSent) {
    }

    /** Shares this node gathered as a read's coordinator (its own included). */
    public long sharesGathered() {
        return sharesGathered.get();
    }

    /** Times this node combined k shares (to a value, or to the share a repair restores). */
    public long reconstructions() {
        return reconstructions.get();
    }

    private ShareState counted(ShareState state) {
        if (state.share() != null) {
            sharesGathered.incrementAndGet();
        }
        return state;
    }

    public RepairCounts repairCounts() {
        return new RepairCounts(repairsSent.get(), repairsStored.get(), tombstonesSent.get());
    }

    private int majority() {
        return cluster.n() / 2 + 1;
    }

    /** {@code authorization}: the gateway's grant for this read, which each peer checks before it sends its share. */
    public ReadResult read(SecretId id, Selector selector, byte[] authorization) {
        return read(id, selector, false, authorization, RepairListener.NONE);
    }

    /** Told of each node that stored a share this node's read repair sent it (on the repair's thread). */
    public interface RepairListener {
        RepairListener NONE = (node, version) -> { };

        void repaired(int node, long version);
    }

    /**
     * A read; a latest read that found between k and k + repairTriggerBuffer shares of the newest version
     * (or any latest read, with {@code forceRepair}) restores the share of every node that answered without
     * it — of that same version, evaluated from the rebuilt polynomial. Repairs are sent without waiting: they
     * never fail or slow the read. A tombstone for nodes that missed a delete is waited for only while fewer than
     * n - majority + 1 nodes hold it (then the 404 is final); if that many cannot be reached, the read is a 503.
     */
    public ReadResult read(SecretId id, Selector selector, boolean forceRepair, byte[] authorization) {
        return read(id, selector, forceRepair, authorization, RepairListener.NONE);
    }

    /** As {@link #read(SecretId, Selector, boolean, byte[])}; {@code listener} hears of every repair stored. */
    public ReadResult read(SecretId id, Selector selector, boolean forceRepair, byte[] authorization,
                           RepairListener listener) {
        FanOut<ShareState> fanOut = FanOut.startAsync(peers.all(), peer -> peer.readAsync(id, selector, authorization)
                .thenApply(this::counted));
        long deadline = System.nanoTime() + timeoutNanos;
        Map<Integer, ShareState> answers = new HashMap<>();
        RepairPlan[] plan = new RepairPlan[1];
        FanOut.Reply<ShareState> reply;
        ReadResult result = null;
        while ((reply = fanOut.next(deadline)) != null) {
            if (reply.ok()) {
                answers.put(reply.node(), reply.value());
            }
            if (answers.size() >= majority()) {
                result = decide(id, answers, selector, fanOut.allReceived(), forceRepair, plan, authorization, listener);
                if (result != null) {
                    break;
                }
            }
        }
        if (answers.size() < majority()) {
            // Without a majority the newest version cannot be known, so no value is returned; say how many
            // shares of the freshest version seen were reachable.
            SecretView freshest = SecretView.freshest(answers.values().stream().map(ShareState::view).toList());
            long shares = answers.values().stream().filter(a -> a.share() != null && a.view().equals(freshest)).count();
            wipe(answers);
            return new ReadResult.InsufficientShards((int) shares, cluster.k());
        }
        if (result == null) {
            result = decide(id, answers, selector, true, forceRepair, plan, authorization, listener);
        }
        if (plan[0] != null) {
            RepairPlan repair = plan[0];
            Map<Integer, SecretView> answered = new HashMap<>();
            answers.forEach((node, state) -> answered.put(node, state.view()));
            // Off the read's path: repair who answered without the share, then who answers late.
            repair.start(answered, fanOut);
        } else {
            // Shares that arrive after the answer are not needed: wipe them as they come.
            fanOut.onRemaining(late -> {
                if (late.ok() && late.value().share() != null) {
                    Arrays.fill(late.value().share(), (byte) 0);
                }
            });
        }
        wipe(answers);
        return result;
    }

    /**
     * The answer from what a majority said, or null if more answers could still help (fewer than k shares of
     * the newest version so far and not everyone has answered).
     */
    private ReadResult decide(SecretId id, Map<Integer, ShareState> answers, Selector selector, boolean final_,
                              boolean forceRepair, RepairPlan[] plan, byte[] authorization, RepairListener listener) {
        SecretView freshest = SecretView.freshest(answers.values().stream().map(ShareState::view).toList());
        if (freshest instanceof SecretView.Deleted deleted) {
            int holders = spreadTombstone(id, deleted, answers);
            // A 404 is final only once any later read must meet the tombstone too (ABD's write-back): here the
            // tombstone may be a delete still in flight, seen on a minority, and the next majority may miss it
            // and answer the deleted value. Found by FaultRunTest (docs/model.md, "Consistency").
            return holders >= tombstoneQuorum() ? new ReadResult.NotFound()
                                                : new ReadResult.InsufficientShards(holders, tombstoneQuorum(), true);
        }
        if (!(freshest instanceof SecretView.Live live)) {
            return new ReadResult.NotFound();
        }
        long target = switch (selector) {
            case Selector.Latest latest -> live.latestVersion();
            case Selector.ByVersion byVersion -> byVersion.version();
            case Selector.AsOf asOf -> answers.values().stream()
                    .filter(a -> a.view().incarnation() == live.incarnation() && a.share() != null)
                    .mapToLong(ShareState::version).max().orElse(0);
        };
        if (target < 1 || target > live.latestVersion()) {
            return new ReadResult.VersionNotFound();
        }
        List<Integer> xs = new ArrayList<>();
        List<ShareState> holders = new ArrayList<>();
        for (Map.Entry<Integer, ShareState> answer : answers.entrySet()) {
            ShareState state = answer.getValue();
            if (state.view().incarnation() == live.incarnation() && state.version() == target && state.share() != null) {
                xs.add(answer.getKey());
                holders.add(state);
            }
        }
        if (holders.size() < cluster.k()) {
            if (!final_) {
                return null;
            }
            if (holders.isEmpty() && !(selector instanceof Selector.Latest)) {
                return new ReadResult.VersionNotFound();
            }
            return new ReadResult.InsufficientShards(holders.size(), cluster.k());
        }
        int[] window = new int[1];
        byte[] value = rebuild(xs, holders, window);
        if (value == null) {
            return final_ ? new ReadResult.InsufficientShards(0, cluster.k()) : null;
        }
        if (selector instanceof Selector.Latest
            && (forceRepair || holders.size() <= cluster.k() + cluster.repairTriggerBuffer())) {
            int k = cluster.k();
            int[] points = new int[k];
            byte[][] shares = new byte[k][];
            for (int i = 0; i < k; i++) {
                points[i] = xs.get(window[0] + i);
                shares[i] = holders.get(window[0] + i).share().clone();
            }
            plan[0] = new RepairPlan(id, live.incarnation(), target, holders.getFirst().validFromMillis(), points, shares,
                                     java.util.Set.copyOf(xs), authorization, listener);
        }
        long validFrom = holders.getFirst().validFromMillis();
        long validTo = -1;
        if (target < live.latestVersion()) {
            validTo = holders.stream().mapToLong(ShareState::nextValidFromMillis).filter(t -> t >= 0).min().orElse(-1);
        }
        return new ReadResult.Found(value, live.incarnation(), target, validFrom, validTo);
    }

    /**
     * Combines k shares; if the digest does not match (a damaged share), tries each other window of k among
     * the holders before giving up. Returns null if no window yields a value.
     */
    private byte[] rebuild(List<Integer> xs, List<ShareState> holders, int[] window) {
        int k = cluster.k();
        for (int start = 0; start + k <= holders.size(); start++) {
            window[0] = start;
            int[] points = new int[k];
            byte[][] shares = new byte[k][];
            for (int i = 0; i < k; i++) {
                points[i] = xs.get(start + i);
                shares[i] = holders.get(start + i).share();
            }
            reconstructions.incrementAndGet();
            byte[] sealed = Shamir.combine(points, shares);
            byte[] value = SealedValue.open(sealed);
            Arrays.fill(sealed, (byte) 0);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /**
     * Restores, on each node that answers without a share of {@code version}, its share evaluated at its x
     * from the k shares that rebuilt the value: the same polynomial, so old and restored shares combine.
     */
    private final class RepairPlan {
        private final SecretId id;
        private final long incarnation;
        private final long version;
        private final long validFromMillis;
        private final int[] points;
        private final byte[][] shares;
        private final java.util.Set<Integer> holders;
        private final byte[] authorization;
        private final RepairListener listener;

        RepairPlan(SecretId id, long incarnation, long version, long validFromMillis, int[] points, byte[][] shares,
                   java.util.Set<Integer> holders, byte[] authorization, RepairListener listener) {
            this.authorization = authorization;
            this.listener = listener;
            this.id = id;
            this.incarnation = incarnation;
            this.version = version;
            this.validFromMillis = validFromMillis;
            this.points = points;
            this.shares = shares;
            this.holders = holders;
        }

        /**
         * Repairs the nodes in {@code answered} that lack the share, then each late answer as it arrives (on the
         * thread that delivers it; a repair itself runs on a virtual thread of its own). The k shares are wiped
         * once the last answer is in.
         */
        void start(Map<Integer, SecretView> answered, FanOut<ShareState> late) {
            java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger(late.pending() + 1);
            Runnable oneDone = () -> {
                if (outstanding.decrementAndGet() == 0) {
                    for (byte[] share : shares) {
                        Arrays.fill(share, (byte) 0);
                    }
                }
            };
            late.onRemaining(reply -> {
                try {
                    if (reply.ok()) {
                        ShareState state = reply.value();
                        boolean holds = state.share() != null && state.version() == version
                                        && state.view().incarnation() == incarnation;
                        if (state.share() != null) {
                            Arrays.fill(state.share(), (byte) 0);
                        }
                        if (!holds) {
                            repairIfLacking(reply.node(), state.view());
                        }
                    }
                } finally {
                    oneDone.run();
                }
            });
            try {
                answered.forEach(this::repairIfLacking);
            } finally {
                oneDone.run();
            }
        }

        /** Sends {@code node} its share if it lacks it, without waiting for the answer. */
        private void repairIfLacking(int node, SecretView view) {
            boolean deletedThere = view instanceof SecretView.Deleted d && d.incarnation() >= incarnation;
            if (holders.contains(node) || deletedThere || view.incarnation() > incarnation) {
                return;
            }
            reconstructions.incrementAndGet();
            byte[] share = Shamir.evaluateAt(points, shares, node);
            repairsSent.incrementAndGet();
            Thread.ofVirtual().name("read-repair").start(() -> send(node, share));
        }

        private void send(int node, byte[] share) {
            try {
                if (peers.get(node).repair(new Messages.RepairRequest(id, incarnation, version, validFromMillis, share,
                                                                            authorization))
                    == dev.shardvault.vault.store.ShardStore.RepairOutcome.STORED) {
                    repairsStored.incrementAndGet();
                    listener.repaired(node, version);
                }
            } catch (dev.shardvault.vault.protocol.PeerUnavailableException e) {
                // best effort: the next read or the sweep tries again
            } finally {
                Arrays.fill(share, (byte) 0);
            }
        }
    }

    /** Tells nodes whose view is an older state than a delete about the delete. */
    /** Nodes that must hold a tombstone before a read may answer 404 from it: every majority then meets one. */
    private int tombstoneQuorum() {
        return cluster.n() - majority() + 1;
    }

    /**
     * Sends {@code deleted}'s tombstone to every node that did not answer with it, and returns how many nodes hold
     * it: those that answered with it, plus those that stored it, waited for (within the read's timeout) only
     * while fewer than {@link #tombstoneQuorum()} hold it. The rest are stored without waiting.
     */
    private int spreadTombstone(SecretId id, SecretView.Deleted deleted, Map<Integer, ShareState> answers) {
        List<dev.shardvault.vault.protocol.Peer> behind = new ArrayList<>();
        int holders = 0;
        for (int node = 1; node <= cluster.n(); node++) {
            ShareState answer = answers.get(node);
            if (answer != null && answer.view().compareTo(deleted) >= 0) {
                holders++;
            } else {
                behind.add(peers.get(node)); // behind, or not heard from yet
            }
        }
        if (behind.isEmpty()) {
            return holders;
        }
        tombstonesSent.addAndGet(behind.size());
        Messages.TombstoneRequest request = new Messages.TombstoneRequest(id, deleted.incarnation(), deleted.deletedAtMillis());
        FanOut<Boolean> sent = FanOut.start(behind, peer -> peer.tombstone(request));
        long deadline = System.nanoTime() + timeoutNanos;
        FanOut.Reply<Boolean> reply;
        while (holders < tombstoneQuorum() && (reply = sent.next(deadline)) != null) {
            if (reply.ok() && reply.value()) {
                holders++;
            }
        }
        return holders;
    }

    private static void wipe(Map<Integer, ShareState> answers) {
        for (ShareState state : answers.values()) {
            if (state.share() != null) {
                Arrays.fill(state.share(), (byte) 0);
            }
        }
    }

    /** Asks every node and keeps every answer that arrives before the deadline. */
    private <T> List<T> gather(FanOut.Call<T> call) {
        FanOut<T> fanOut = FanOut.start(peers.all(), call);
        long deadline = System.nanoTime() + timeoutNanos;
        List<T> answers = new ArrayList<>();
        FanOut.Reply<T> reply;
        while ((reply = fanOut.next(deadline)) != null) {
            if (reply.ok()) {
                answers.add(reply.value());
            } else {
                LOG.log(System.Logger.Level.DEBUG, "no answer: " + reply.failure().getMessage());
            }
        }
        return answers;
    }

    /** Every version of the current incarnation any answering node knows, ascending. */
    public HistoryResult history(SecretId id) {
        List<HistoryReply> answers = gather(peer -> peer.history(id));
        if (answers.size() < majority()) {
            return new HistoryResult.QuorumUnavailable(answers.size(), majority());
        }
        SecretView freshest = SecretView.freshest(answers.stream().map(HistoryReply::view).toList());
        if (!(freshest instanceof SecretView.Live live)) {
            return new HistoryResult.NotFound();
        }
        TreeMap<Long, VersionMeta> versions = new TreeMap<>();
        for (HistoryReply answer : answers) {
            if (answer.view().incarnation() == live.incarnation()) {
                answer.versions().forEach(v -> versions.putIfAbsent(v.version(), v));
            }
        }
        return new HistoryResult.Versions(List.copyOf(versions.values()), live.incarnation());
    }

    /** A page of live secret names after {@code after}, merged from a majority. */
    public ListResult list(String namespace, String after, int limit) {
        List<ListReply> answers = gather(peer -> peer.list(namespace, after, limit));
        if (answers.size() < majority()) {
            return new ListResult.QuorumUnavailable(answers.size(), majority());
        }
        // A node that returned a full page may know more names after its last one: only names up to the
        // smallest such last name are certainly complete across the answers.
        String cutoff = null;
        for (ListReply answer : answers) {
            if (answer.entries().size() == limit) {
                String last = answer.entries().getLast().getKey();
                cutoff = cutoff == null || last.compareTo(cutoff) < 0 ? last : cutoff;
            }
        }
        TreeMap<String, SecretView> merged = new TreeMap<>();
        for (ListReply answer : answers) {
            for (Map.Entry<String, SecretView> entry : answer.entries()) {
                if (cutoff == null || entry.getKey().compareTo(cutoff) <= 0) {
                    merged.merge(entry.getKey(), entry.getValue(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                }
            }
        }
        List<Map.Entry<String, SecretView.Live>> page = new ArrayList<>();
        for (Map.Entry<String, SecretView> entry : merged.entrySet()) {
            if (entry.getValue() instanceof SecretView.Live live && page.size() < limit) {
                page.add(Map.entry(entry.getKey(), live));
            }
        }
        String next = page.size() == limit ? page.getLast().getKey() : cutoff;
        return new ListResult.Page(page, next);
    }
}
