package dev.shardvault.vault.txn;

import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.FanOut;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.shamir.Shamir;
import dev.shardvault.vault.store.DecideResult;
import dev.shardvault.vault.store.Journal;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.TxnState;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs one write (create, update, or a batch of creates) as a two-phase commit over every node.
 *
 * <ol>
 *   <li>Split each sealed value into n shares (fresh coefficients) and send each node only its own share.</li>
 *   <li>Voting: every node try-locks the names, makes its share durable and votes with its view. A lock
 *       conflict is retried with jittered backoff within the write budget.</li>
 *   <li>Decide once every vote is in, or W yes-votes and a short grace for the rest, or the deadline: from
 *       the freshest view among the yes-voters, commit iff at least W voted yes and every precondition
 *       holds. W yes-voters meet every earlier write's W holders, so the freshest view among them is the
 *       newest committed state. Appending the decision to this node's log is the commit point. A failed
 *       precondition is decided the same way, as a refusal (no version changes), so that no other attempt of
 *       the request can commit after the client was told it was refused.</li>
 *   <li>Writing: send the decision to every yes-voter, and to each later yes-voter as its vote arrives
 *       (a node slower than the grace still gets its share); success once W nodes hold the committed
 *       shares.</li>
 * </ol>
 */
public final class Coordinator {

    /** One change a client asked for. */
    public sealed interface Change {
        SecretId id();
    }

    /** A create or update; {@code sealedValue} is plaintext plus digest, in memory only. */
    public record Put(SecretId id, Op.Put.Kind kind, long expectedVersion, byte[] sealedValue) implements Change {
    }

    /** A delete: ends the secret's incarnation and erases its shares on every node that commits it. */
    public record Remove(SecretId id) implements Change {
    }

    /** Changes committed together: puts (quorum W) or removes (quorum D), not both. */
    /**
     * @param authorization the gateway's grant for this write (a retry compares its values with the committed
     *                      ones, which gathers shares under it)
     */
    public record WriteRequest(RequestId request, long requestTimeMillis, List<? extends Change> puts, byte[] authorization) {
        public WriteRequest {
            puts = List.copyOf(puts);
            Set<SecretId> ids = new HashSet<>();
            for (Change change : puts) {
                if (!ids.add(change.id())) {
                    throw new IllegalArgumentException("a write names " + change.id() + " twice");
                }
            }
            if (puts.isEmpty()) {
                throw new IllegalArgumentException("a write needs at least one change");
            }
            if (puts.stream().anyMatch(c -> c instanceof Remove) && puts.stream().anyMatch(c -> c instanceof Put)) {
                throw new IllegalArgumentException("a transaction either puts or removes");
            }
        }

        boolean removes() {
            return puts.getFirst() instanceof Remove;
        }
    }

    /** Why one put's precondition failed. */
    public sealed interface PreconditionFailure {
        SecretId id();

        record Exists(SecretId id) implements PreconditionFailure {
        }

        record Missing(SecretId id) implements PreconditionFailure {
        }

        record VersionMismatch(SecretId id, long currentVersion) implements PreconditionFailure {
        }
    }

    public sealed interface WriteResult {
        /** Committed and held (for a delete: erased) by {@code holders} >= W (D) nodes. */
        record Committed(List<Outcome> outcomes, int holders) implements WriteResult {
        }

        /** A precondition failed; nothing changed. Decided and recorded by W nodes, as a commit is. */
        record Rejected(List<PreconditionFailure> failures) implements WriteResult {
        }

        /** Voting phase: fewer than W yes-votes; nothing changed. */
        record QuorumUnavailable(int votes, int required) implements WriteResult {
        }

        /** Voting phase: another write held a lock through every retry; nothing changed. */
        record WriteConflict(SecretId id) implements WriteResult {
        }

        /** Writing phase: decided to commit, confirmed by fewer than W nodes so far; retry with the same key. */
        record Unconfirmed(TxnId txn, int holders, int required) implements WriteResult {
        }

        /**
         * The idempotency key already committed a different request (other names or other values), or a request
         * whose secret has since been deleted, so that whether this one is the same can no longer be checked.
         */
        record KeyReused(String detail) implements WriteResult {
            static final String DIFFERENT = "this Idempotency-Key already committed a different request; nothing was written";
        }
    }

    /** Reads back a committed version's value, to tell a true retry from a reused key. */
    public interface CommittedValues {
        /** The value of {@code version} of {@code id}, or empty if it cannot be rebuilt now. */
        java.util.Optional<byte[]> value(SecretId id, long version, byte[] authorization);
    }

    /**
     * Time limits.
     *
     * @param prepareMillis     longest wait for votes
     * @param graceMillis       once W yes-votes are in, how much longer to wait for the rest
     * @param commitMillis      longest wait for W commit confirmations
     * @param budgetMillis      longest a write may take, lock-conflict retries included
     */
    public record Timeouts(long prepareMillis, long graceMillis, long commitMillis, long budgetMillis) {
    }

    private static final System.Logger LOG = System.getLogger(Coordinator.class.getName());
    private static final long MAX_BACKOFF_MILLIS = 200;

    private final int self;
    private final ClusterConfig cluster;
    private final ShardStore store;
    private final Peers peers;
    private final InFlight inFlight;
    private final SecureRandom random;
    private final Timeouts timeouts;
    private final CommittedValues committedValues;

    public Coordinator(int self, ClusterConfig cluster, ShardStore store, Peers peers, InFlight inFlight,
                       SecureRandom random, Timeouts timeouts, CommittedValues committedValues) {
        this.committedValues = committedValues;
        this.self = self;
        this.cluster = cluster;
        this.store = store;
        this.peers = peers;
        this.inFlight = inFlight;
        this.random = random;
        this.timeouts = timeouts;
    }

    public WriteResult write(WriteRequest request) {
        long budgetEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.budgetMillis());
        long backoffMillis = 5;
        while (true) {
            Attempt attempt = new Attempt(TxnId.newAttempt(request.request()), request);
            WriteResult result = attempt.run();
            if (!(result instanceof WriteResult.WriteConflict)) {
                return result;
            }
            long sleepMillis = ThreadLocalRandom.current().nextLong(1, backoffMillis + 1);
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleepMillis) >= budgetEnd) {
                return result;
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return result;
            }
            backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        }
    }

    /** One attempt: one transaction id, one round of votes, one decision. */
    private final class Attempt {
        private final TxnId txn;
        private final WriteRequest request;
        private final Map<Integer, List<SecretView>> yes = new HashMap<>();
        private final Set<Integer> no = new HashSet<>();
        private SecretId lockedName;
        private Journal.Committed earlierCommit;
        private FanOut<PrepareResult> votes;

        Attempt(TxnId txn, WriteRequest request) {
            this.txn = txn;
            this.request = request;
        }

        private int quorum() {
            return request.removes() ? cluster.deleteQuorum() : cluster.writeQuorum();
        }

        WriteResult run() {
            inFlight.add(txn);
            try {
                vote();
                if (earlierCommit != null) {
                    // A retry of a request that already committed: answer its outcome, and finish its writing
                    // phase in case the first attempt's confirmations were lost.
                    abort();
                    return switch (sameRequest(earlierCommit)) {
                        case SAME -> finishEarlier(earlierCommit);
                        case DIFFERENT -> new WriteResult.KeyReused(WriteResult.KeyReused.DIFFERENT);
                        case UNKNOWN -> deletedSince(earlierCommit)
                                .<WriteResult>map(WriteResult.KeyReused::new)
                                .orElseGet(() -> new WriteResult.Unconfirmed(earlierCommit.txn(), 0, quorum()));
                    };
                }
                if (yes.size() < quorum()) {
                    abort();
                    return lockedName != null ? new WriteResult.WriteConflict(lockedName)
                                              : new WriteResult.QuorumUnavailable(yes.size(), quorum());
                }
                List<Outcome.Refused> refusals = new ArrayList<>();
                List<Outcome> outcomes = decide(refusals);
                if (!refusals.isEmpty()) {
                    SecretId unsettled = seenOnTooFew(refusals);
                    if (unsettled != null) {
                        // The state refused from (a version committed on few nodes so far, its commit still on
                        // its way to the rest) could be missed by the next read's majority: answering from it
                        // would let a later read undo this answer. Try again once that commit has spread.
                        abort();
                        return new WriteResult.WriteConflict(unsettled);
                    }
                    // A refusal is decided like a commit: once decided, no other attempt of this request can
                    // commit (the yes-voters stay locked until they learn it, then answer it to any attempt).
                    outcomes = List.copyOf(refusals);
                }
                Journal.Committed decision = new Journal.Committed(txn, outcomes);
                DecideResult logged;
                try {
                    logged = store.commit(decision); // the commit point
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.ERROR, "could not log the commit decision of " + txn, e);
                    return new WriteResult.Unconfirmed(txn, 0, quorum());
                }
                if (!(logged instanceof DecideResult.Committed committed)) {
                    // Nothing here aborts a transaction this node is still running (its status is "in progress"
                    // to every asker, and its resolver skips it): this is a bug, and nothing was committed.
                    throw new IllegalStateException("txn " + txn + " was decided otherwise on its own coordinator: " + logged);
                }
                boolean selfHolds = committed.holdsShares();
                inFlight.remove(txn); // decided: from now on this node answers "committed" about it
                List<Peer> targets = peers.others().stream().filter(peer -> yes.containsKey(peer.id())).toList();
                return confirm(decision, selfHolds, targets, votes);
            } finally {
                inFlight.remove(txn);
            }
        }

        private void vote() {
            int n = cluster.n();
            List<? extends Change> changes = request.puts();
            byte[][][] shares = new byte[changes.size()][][];
            for (int i = 0; i < changes.size(); i++) {
                if (changes.get(i) instanceof Put put) {
                    shares[i] = Shamir.split(put.sealedValue(), n, cluster.k(), random);
                }
            }
            Map<Integer, PrepareRequest> requests = new HashMap<>();
            for (Peer peer : peers.all()) {
                List<Op> ops = new ArrayList<>(changes.size());
                for (int i = 0; i < changes.size(); i++) {
                    ops.add(switch (changes.get(i)) {
                        case Put put -> new Op.Put(put.id(), put.kind(), put.expectedVersion(), shares[i][peer.id() - 1]);
                        case Remove remove -> new Op.Remove(remove.id());
                    });
                }
                requests.put(peer.id(), new PrepareRequest(txn, self, ops));
            }
            for (byte[][] perPut : shares) {
                if (perPut != null) {
                    for (byte[] share : perPut) {
                        Arrays.fill(share, (byte) 0);
                    }
                }
            }
            votes = FanOut.startAsync(peers.all(), peer -> peer.prepareAsync(requests.get(peer.id())));
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.prepareMillis());
            // Waiting for every vote (within a grace once W are in) keeps every node's share in the normal case;
            // on one shared disk, deciding at the W-th vote measured slower, because the commit's fsyncs then
            // queue behind the remaining prepares' fsyncs.
            boolean graceStarted = false;
            FanOut.Reply<PrepareResult> reply;
            while ((reply = votes.next(deadline)) != null) {
                take(reply);
                if (!graceStarted && yes.size() >= quorum()) {
                    graceStarted = true;
                    deadline = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.graceMillis()));
                }
            }
        }

        private void take(FanOut.Reply<PrepareResult> reply) {
            if (!reply.ok()) {
                return;
            }
            switch (reply.value()) {
                case PrepareResult.Voted voted -> yes.put(reply.node(), voted.views());
                case PrepareResult.Locked locked -> {
                    no.add(reply.node());
                    lockedName = locked.id();
                }
                case PrepareResult.Decided decided -> {
                    no.add(reply.node());
                    if (decided.state() instanceof TxnState.IsCommitted committed) {
                        earlierCommit = committed.decision();
                    }
                }
                case PrepareResult.RequestCommitted committed -> {
                    no.add(reply.node());
                    earlierCommit = committed.decision();
                }
            }
        }

        /** Outcomes from the freshest view of each put among the yes-voters; refusals collected. */
        private List<Outcome> decide(List<Outcome.Refused> failures) {
            List<Outcome> outcomes = new ArrayList<>();
            List<? extends Change> changes = request.puts();
            for (int i = 0; i < changes.size(); i++) {
                int index = i;
                SecretView freshest = SecretView.freshest(yes.values().stream().map(views -> views.get(index)).toList());
                if (changes.get(i) instanceof Remove remove) {
                    if (freshest instanceof SecretView.Live live) {
                        outcomes.add(new Outcome.Removed(remove.id(), live.incarnation(),
                                Math.max(request.requestTimeMillis(), live.latestValidFromMillis())));
                    } else {
                        failures.add(new Outcome.Refused(remove.id(), Outcome.Reason.MISSING, freshest));
                    }
                    continue;
                }
                Put put = (Put) changes.get(i);
                switch (put.kind()) {
                    case CREATE -> {
                        if (freshest instanceof SecretView.Live) {
                            failures.add(new Outcome.Refused(put.id(), Outcome.Reason.EXISTS, freshest));
                        } else {
                            outcomes.add(new Outcome.Applied(put.id(), freshest.incarnation() + 1, 1, request.requestTimeMillis()));
                        }
                    }
                    case UPDATE -> {
                        if (!(freshest instanceof SecretView.Live live)) {
                            failures.add(new Outcome.Refused(put.id(), Outcome.Reason.MISSING, freshest));
                        } else if (put.expectedVersion() >= 0 && put.expectedVersion() != live.latestVersion()) {
                            failures.add(new Outcome.Refused(put.id(), Outcome.Reason.VERSION_MISMATCH, live));
                        } else {
                            outcomes.add(new Outcome.Applied(put.id(), live.incarnation(), live.latestVersion() + 1,
                                    Math.max(request.requestTimeMillis(), live.latestValidFromMillis())));
                        }
                    }
                }
            }
            return outcomes;
        }

        /**
         * The first refusal resting on a live state that fewer than n - majority + 1 yes-voters hold (so a read's
         * majority could miss it), or null. A refusal resting on a tombstone needs no such count: every node that
         * learns the refusal takes the tombstone on, and W do before it is answered.
         */
        private SecretId seenOnTooFew(List<Outcome.Refused> refusals) {
            int needed = cluster.n() - (cluster.n() / 2 + 1) + 1;
            for (Outcome.Refused refusal : refusals) {
                if (!(refusal.seen() instanceof SecretView.Live seen)) {
                    continue;
                }
                int index = indexOf(refusal.id());
                long holders = yes.values().stream().map(views -> views.get(index))
                        .filter(view -> view instanceof SecretView.Live live && live.incarnation() == seen.incarnation()
                                        && (refusal.reason() == Outcome.Reason.EXISTS || live.latestVersion() >= seen.latestVersion()))
                        .count();
                if (holders < needed) {
                    return refusal.id();
                }
            }
            return null;
        }

        private int indexOf(SecretId id) {
            for (int i = 0; i < request.puts().size(); i++) {
                if (request.puts().get(i).id().equals(id)) {
                    return i;
                }
            }
            throw new IllegalArgumentException(id + " is not in this request");
        }

        private enum Sameness { SAME, DIFFERENT, UNKNOWN }

        /**
         * Whether the committed request is this one: same names, same values. Values are compared by rebuilding
         * the committed versions in memory; no digest of a value is ever stored for this.
         */
        private Sameness sameRequest(Journal.Committed decision) {
            if (Outcome.refuses(decision.outcomes())) {
                // A refused value was never stored, so only the names and kinds can be compared.
                for (Outcome outcome : decision.outcomes()) {
                    Outcome.Refused refused = (Outcome.Refused) outcome;
                    Change change = request.puts().stream().filter(c -> c.id().equals(refused.id())).findFirst().orElse(null);
                    boolean fits = switch (refused.reason()) {
                        case EXISTS -> change instanceof Put put && put.kind() == Op.Put.Kind.CREATE;
                        case VERSION_MISMATCH -> change instanceof Put put && put.kind() == Op.Put.Kind.UPDATE
                                                 && put.expectedVersion() >= 0;
                        case MISSING -> change instanceof Remove || change instanceof Put put && put.kind() == Op.Put.Kind.UPDATE;
                    };
                    if (!fits) {
                        return Sameness.DIFFERENT;
                    }
                }
                return Sameness.SAME;
            }
            Map<SecretId, Outcome> byId = new HashMap<>();
            decision.outcomes().forEach(outcome -> byId.put(outcome.id(), outcome));
            if (byId.size() != request.puts().size()) {
                return Sameness.DIFFERENT;
            }
            for (Change change : request.puts()) {
                Outcome outcome = byId.get(change.id());
                if (change instanceof Remove) {
                    if (!(outcome instanceof Outcome.Removed)) {
                        return Sameness.DIFFERENT;
                    }
                    continue;
                }
                Put put = (Put) change;
                if (!(outcome instanceof Outcome.Applied applied)) {
                    return Sameness.DIFFERENT;
                }
                java.util.Optional<byte[]> committed = committedValues.value(put.id(), applied.version(), request.authorization());
                if (committed.isEmpty()) {
                    return Sameness.UNKNOWN;
                }
                byte[] asked = dev.shardvault.vault.model.SealedValue.open(put.sealedValue());
                boolean equal = asked != null && java.security.MessageDigest.isEqual(asked, committed.get());
                Arrays.fill(committed.get(), (byte) 0);
                if (asked != null) {
                    Arrays.fill(asked, (byte) 0);
                }
                if (!equal) {
                    return Sameness.DIFFERENT;
                }
            }
            return Sameness.SAME;
        }

        /**
         * When a version the earlier request committed belongs to an incarnation that has since been deleted (as
         * the freshest view of this node and the yes-voters shows), its value is erased: a retry can never be
         * told from a different request again, and waiting will not change that. Empty otherwise.
         */
        private java.util.Optional<String> deletedSince(Journal.Committed decision) {
            for (Outcome outcome : decision.outcomes()) {
                if (!(outcome instanceof Outcome.Applied applied)) {
                    continue;
                }
                List<SecretView> views = new ArrayList<>();
                views.add(store.view(applied.id()));
                for (List<SecretView> voted : yes.values()) {
                    for (int i = 0; i < request.puts().size() && i < voted.size(); i++) {
                        if (request.puts().get(i).id().equals(applied.id())) {
                            views.add(voted.get(i));
                        }
                    }
                }
                SecretView freshest = SecretView.freshest(views);
                if (freshest.incarnation() > applied.incarnation()
                        || freshest.incarnation() == applied.incarnation() && freshest instanceof SecretView.Deleted) {
                    return java.util.Optional.of("this Idempotency-Key committed version " + applied.version() + " of "
                            + applied.id().name() + ", which has since been deleted; whether this request is the same can "
                            + "no longer be checked, and nothing was written: use a new key");
                }
            }
            return java.util.Optional.empty();
        }

        private WriteResult finishEarlier(Journal.Committed decision) {
            DecideResult logged;
            try {
                logged = store.commit(decision);
            } catch (IOException e) {
                return new WriteResult.Unconfirmed(decision.txn(), 0, quorum());
            }
            if (!(logged instanceof DecideResult.Committed committed)) {
                // This node refused that attempt (asked about it before its prepare came) and the others committed
                // it without this node's vote: the outcome stands, but this node holds no share to confirm it with.
                return new WriteResult.Unconfirmed(decision.txn(), 0, quorum());
            }
            return confirm(decision, committed.holdsShares(), peers.others(), null);
        }

        /**
         * Sends the commit to {@code targets}, and to every later yes-voter of {@code pendingVotes} as its vote
         * arrives; waits until W nodes (this one included) hold the shares.
         */
        private WriteResult confirm(Journal.Committed decision, boolean selfHolds, List<Peer> targets,
                                    FanOut<PrepareResult> pendingVotes) {
            Decision.Commit commit = new Decision.Commit(decision);
            FanOut<DecideReply> acks = FanOut.startAsync(targets, peer -> peer.decideAsync(commit));
            if (pendingVotes != null) {
                pendingVotes.onRemaining(late -> {
                    if (late.ok() && late.value() instanceof PrepareResult.Voted) {
                        acks.add(peers.get(late.node()), peer -> peer.decideAsync(commit));
                    }
                });
            }
            int holders = selfHolds ? 1 : 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.commitMillis());
            boolean graceStarted = false;
            FanOut.Reply<DecideReply> reply;
            // Deletes wait a little past D for the rest, so that the answer can say how many nodes erased.
            while ((holders < quorum() || request.removes()) && (reply = acks.next(deadline)) != null) {
                if (reply.ok() && reply.value() instanceof DecideReply.Done done && done.holdsShares()) {
                    holders++;
                }
                if (!graceStarted && holders >= quorum()) {
                    graceStarted = true;
                    deadline = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeouts.graceMillis()));
                }
            }
            if (holders < quorum()) {
                return new WriteResult.Unconfirmed(decision.txn(), holders, quorum());
            }
            return Outcome.refuses(decision.outcomes()) ? new WriteResult.Rejected(failures(decision.outcomes()))
                                                        : new WriteResult.Committed(decision.outcomes(), holders);
        }

        private static List<PreconditionFailure> failures(List<Outcome> refusals) {
            List<PreconditionFailure> failures = new ArrayList<>();
            for (Outcome outcome : refusals) {
                Outcome.Refused refused = (Outcome.Refused) outcome;
                failures.add(switch (refused.reason()) {
                    case EXISTS -> new PreconditionFailure.Exists(refused.id());
                    case MISSING -> new PreconditionFailure.Missing(refused.id());
                    case VERSION_MISMATCH -> new PreconditionFailure.VersionMismatch(
                            refused.id(), ((SecretView.Live) refused.seen()).latestVersion());
                });
            }
            return failures;
        }

        /** Tells every node that may have prepared to release; does not wait. */
        private void abort() {
            List<Peer> targets = peers.all().stream().filter(peer -> !no.contains(peer.id())).toList();
            FanOut.startAsync(targets, peer -> peer.decideAsync(new Decision.Abort(txn)));
        }
    }

}
