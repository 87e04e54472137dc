package dev.shardvault.vault.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Every node of the cluster as a {@link Peer}, this node included (in-process). */
public final class Peers {

    private final int self;
    private volatile Map<Integer, Peer> byId;

    public Peers(int self, Map<Integer, Peer> byId) {
        this.self = self;
        this.byId = Map.copyOf(byId);
    }

    public int self() {
        return self;
    }

    public Peer get(int id) {
        return Objects.requireNonNull(byId.get(id), () -> "no peer " + id);
    }

    public List<Peer> all() {
        return new ArrayList<>(byId.values());
    }

    public List<Peer> others() {
        return byId.values().stream().filter(peer -> peer.id() != self).toList();
    }

    /**
     * Replaces the remote peers (tests that start nodes on ephemeral ports learn addresses after start);
     * returns the peers replaced, for the caller to close.
     */
    public java.util.Collection<Peer> replace(Map<Integer, Peer> peers) {
        Map<Integer, Peer> old = this.byId;
        this.byId = Map.copyOf(peers);
        return old.values();
    }
}
