package dev.shardvault.vault.read;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.store.ShardStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Brings a node that missed deletes up to date in the background: it compares its view of secrets with a
 * peer's, and where the peer holds a tombstone it missed it learns it (and erases). A newer version it missed
 * is handed to {@code onBehind}: the node's {@link dev.shardvault.vault.rebuild.Rebuilder} recovers its share
 * of it from k helpers without any node rebuilding the value (and a read repairs it sooner).
 *
 * <p>Each pass compares against one peer, the next one in turn: whatever this node missed is held by at least
 * W nodes, so within n - 1 passes it meets a peer that has it (reads repair sooner). The first pass against a
 * peer lists every name the peer holds in every namespace this node knows; later passes ask only for what
 * changed on the peer since the previous pass ({@link ShardStore#changesAfter}), so a pass costs what changed,
 * not what is stored. When the peer cannot continue its numbering (it restarted, or more changed than it
 * keeps), and every {@value #FULL_PASS_EVERY}th pass against a peer regardless, the pass lists everything again.
 */
public final class Sweeper {

    private static final System.Logger LOG = System.getLogger(Sweeper.class.getName());
    private static final int PAGE = 500;
    /** A full listing after this many passes that asked a peer only for its changes: a bound, not a need. */
    static final int FULL_PASS_EVERY = 20;
    /** At most this many unsettled secrets are remembered; past that, passes list everything again. */
    static final int MAX_UNSETTLED = 10_000;

    /** How far this node has compared against one peer: through change {@code through} of {@code epoch}. */
    private record Mark(long epoch, long through, int passesSinceFull) {
    }

    private final ShardStore store;
    private final Peers peers;
    // Guarded by this: passes run one at a time.
    private int passes;
    private final Map<Integer, Mark> marks = new HashMap<>();
    /** Secrets a pass acted on without catching up (name locked, shares unreachable): retried by later passes. */
    private final Map<SecretId, SecretView> unsettled = new LinkedHashMap<>();
    private long compared;
    private long behind;

    private final java.util.function.Consumer<SecretId> onBehind;

    public Sweeper(ShardStore store, Peers peers, java.util.function.Consumer<SecretId> onBehind) {
        this.store = store;
        this.peers = peers;
        this.onBehind = onBehind;
    }

    /** Times a pass found a peer holding a newer version of a secret than this node (handed to the rebuilder). */
    public synchronized long behind() {
        return behind;
    }

    /** One pass; returns how many secrets it acted on. */
    public synchronized int sweep() {
        List<Peer> others = peers.others();
        if (others.isEmpty()) {
            return 0;
        }
        Peer peer = others.get(Math.floorMod(passes++, others.size()));
        try {
            retryUnsettled();
            Mark mark = marks.get(peer.id());
            if (mark != null && mark.passesSinceFull() < FULL_PASS_EVERY) {
                Integer acted = sweepChanges(peer, mark);
                if (acted != null) {
                    return acted;
                }
            }
            return sweepEverything(peer);
        } catch (PeerUnavailableException e) {
            LOG.log(System.Logger.Level.DEBUG, "sweep skipped node " + peer.id() + ": " + e.getMessage());
            return 0;
        } catch (IOException e) {
            return 0; // this node's log failed; it is stopping
        }
    }

    /** Compares against every peer once (tests, and operators who want convergence now). */
    public synchronized int sweepAll() {
        int acted = 0;
        for (int i = 0; i < peers.others().size(); i++) {
            acted += sweep();
        }
        return acted;
    }

    /** Peer entries compared so far (for tests and metrics: a pass over changes compares few). */
    public synchronized long compared() {
        return compared;
    }

    /** What changed on the peer since {@code mark}; null if the peer cannot continue from there. */
    private Integer sweepChanges(Peer peer, Mark mark) throws IOException {
        int acted = 0;
        long through = mark.through();
        while (true) {
            ShardStore.Changes page = peer.changes(mark.epoch(), through, PAGE);
            if (!page.continued()) {
                return null;
            }
            acted += compare(page.entries());
            through = page.through();
            // Advance the mark page by page: a pass cut short by the peer continues where it stopped.
            marks.put(peer.id(), new Mark(mark.epoch(), through, mark.passesSinceFull() + 1));
            if (page.entries().size() < PAGE) {
                return acted;
            }
        }
    }

    private int sweepEverything(Peer peer) throws IOException {
        // Where the peer's numbering stands before the listing: whatever changes during it comes next time.
        ShardStore.Changes start = peer.changes(0, 0, 0);
        int acted = 0;
        for (String namespace : store.namespaces()) {
            String after = null;
            while (true) {
                ListReply page = peer.list(namespace, after, PAGE);
                List<Map.Entry<SecretId, SecretView>> entries = new ArrayList<>(page.entries().size());
                for (Map.Entry<String, SecretView> entry : page.entries()) {
                    entries.add(Map.entry(new SecretId(namespace, entry.getKey()), entry.getValue()));
                }
                acted += compare(entries);
                if (page.entries().size() < PAGE) {
                    break;
                }
                after = page.entries().getLast().getKey();
            }
        }
        marks.put(peer.id(), new Mark(start.epoch(), start.through(), 0));
        return acted;
    }

    /** Acts on every entry where the peer is fresher; returns how many. */
    private int compare(List<Map.Entry<SecretId, SecretView>> entries) throws IOException {
        int acted = 0;
        for (Map.Entry<SecretId, SecretView> entry : entries) {
            compared++;
            if (entry.getValue().compareTo(store.view(entry.getKey())) > 0) {
                acted++;
                catchUp(entry.getKey(), entry.getValue());
            }
        }
        return acted;
    }

    /** Learns the peer's fresher state of one secret; remembers it if this node is still behind afterwards. */
    private void catchUp(SecretId id, SecretView theirs) throws IOException {
        if (theirs instanceof SecretView.Deleted deleted) {
            store.learnTombstone(id, deleted.incarnation(), deleted.deletedAtMillis());
        } else {
            behind++; // a newer version: the rebuilder recovers it (see the class comment)
            onBehind.accept(id);
            return;
        }
        if (theirs.compareTo(store.view(id)) > 0) {
            // A pass over changes will not see this change again: keep it until it settles.
            unsettled.put(id, theirs);
            if (unsettled.size() > MAX_UNSETTLED) {
                unsettled.clear();
                marks.clear();
            }
        } else {
            unsettled.remove(id);
        }
    }

    private void retryUnsettled() throws IOException {
        for (Map.Entry<SecretId, SecretView> entry : List.copyOf(unsettled.entrySet())) {
            if (entry.getValue().compareTo(store.view(entry.getKey())) > 0) {
                catchUp(entry.getKey(), entry.getValue());
            } else {
                unsettled.remove(entry.getKey());
            }
        }
    }
}
