package dev.shardvault.vault.read;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import java.io.IOException;
import java.util.Map;

/**
 * Brings a node that was down up to date in the background: it pages through a peer's view of every
 * namespace it knows, and where the peer is fresher it learns the tombstone (and erases) or, for a newer
 * version, runs a repairing read — its missing share is rebuilt from k others, never copied.
 *
 * <p>Each pass compares against one peer, the next one in turn: a pass costs one listing of every name, not
 * n - 1 of them, and whatever this node missed is held by at least W nodes, so within n - 1 passes it meets
 * a peer that has it (reads repair sooner).
 */
public final class Sweeper {

    private static final System.Logger LOG = System.getLogger(Sweeper.class.getName());
    private static final int PAGE = 500;

    private final ShardStore store;
    private final Peers peers;
    private final ReadCoordinator reader;
    private int passes; // guarded by this: passes run one at a time

    public Sweeper(ShardStore store, Peers peers, ReadCoordinator reader) {
        this.store = store;
        this.peers = peers;
        this.reader = reader;
    }

    /** One pass; returns how many secrets it acted on. */
    public synchronized int sweep() {
        java.util.List<Peer> others = peers.others();
        if (others.isEmpty()) {
            return 0;
        }
        Peer peer = others.get(Math.floorMod(passes++, others.size()));
        int acted = 0;
        for (String namespace : store.namespaces()) {
            try {
                acted += sweep(namespace, peer);
            } catch (PeerUnavailableException e) {
                LOG.log(System.Logger.Level.DEBUG, "sweep skipped node " + peer.id() + ": " + e.getMessage());
            }
        }
        return acted;
    }

    /** Compares against every peer once (tests, and operators who want convergence now). */
    public synchronized int sweepAll() {
        int acted = 0;
        for (int i = 0; i < peers.others().size(); i++) {
            acted += sweep();
        }
        return acted;
    }

    private int sweep(String namespace, Peer peer) throws PeerUnavailableException {
        int acted = 0;
        String after = null;
        while (true) {
            ListReply page = peer.list(namespace, after, PAGE);
            for (Map.Entry<String, SecretView> entry : page.entries()) {
                SecretId id = new SecretId(namespace, entry.getKey());
                SecretView theirs = entry.getValue();
                if (theirs.compareTo(store.view(id)) <= 0) {
                    continue;
                }
                acted++;
                try {
                    if (theirs instanceof SecretView.Deleted deleted) {
                        store.learnTombstone(id, deleted.incarnation(), deleted.deletedAtMillis());
                    } else {
                        reader.read(id, Selector.LATEST, true);
                    }
                } catch (IOException e) {
                    return acted; // this node's log failed; it is stopping
                }
            }
            if (page.entries().size() < PAGE) {
                return acted;
            }
            after = page.entries().getLast().getKey();
        }
    }
}
