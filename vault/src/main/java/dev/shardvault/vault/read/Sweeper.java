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
 * Brings a node that was down up to date in the background: it pages through each peer's view of every
 * namespace it knows, and where a peer is fresher it learns the tombstone (and erases) or, for a newer
 * version, runs a repairing read — its missing share is rebuilt from k others, never copied.
 */
public final class Sweeper {

    private static final System.Logger LOG = System.getLogger(Sweeper.class.getName());
    private static final int PAGE = 500;

    private final ShardStore store;
    private final Peers peers;
    private final ReadCoordinator reader;

    public Sweeper(ShardStore store, Peers peers, ReadCoordinator reader) {
        this.store = store;
        this.peers = peers;
        this.reader = reader;
    }

    /** One pass; returns how many secrets it acted on. */
    public int sweep() {
        int acted = 0;
        for (String namespace : store.namespaces()) {
            for (Peer peer : peers.others()) {
                try {
                    acted += sweep(namespace, peer);
                } catch (PeerUnavailableException e) {
                    LOG.log(System.Logger.Level.DEBUG, "sweep skipped node " + peer.id() + ": " + e.getMessage());
                }
            }
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
