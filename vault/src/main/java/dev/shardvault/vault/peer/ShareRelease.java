package dev.shardvault.vault.peer;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.tls.ReleaseKeys;
import dev.shardvault.vault.model.SecretId;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rule of the peer API for shares: this node hands out its share of a secret, or takes a repaired share of
 * it, only to the node the gateway sent the operation to, and only under a gateway authorization for this node
 * that names that secret and lets the operation gather shares (a read, or a write comparing a retried body
 * with its commit). Everything else about a secret (history, listings, changes, tombstones, two-phase commit)
 * reveals no share and needs no authorization. Refusals are counted.
 */
public final class ShareRelease {

    private final int self;
    private final ReleaseKeys keys;
    private final AtomicLong refused = new AtomicLong();

    public ShareRelease(int self, ReleaseKeys keys) {
        this.self = self;
        this.keys = keys;
    }

    /**
     * Checks {@code authorization} for {@code caller} and {@code id}.
     *
     * @throws ReleaseGrant.Refused with the reason (no secret material in it)
     */
    public void check(Identity caller, byte[] authorization, SecretId id) {
        try {
            ReleaseGrant grant = ReleaseGrant.verify(authorization, self, keys, System.currentTimeMillis());
            if (!caller.equals(Identity.node(grant.coordinator()))) {
                throw new ReleaseGrant.Refused("the authorization was issued to node " + grant.coordinator() + ", not " + caller.uri());
            }
            if (!grant.kind().releasesShares()) {
                throw new ReleaseGrant.Refused("a " + grant.kind() + " authorization releases no share");
            }
            if (!grant.names(id.namespace(), id.name())) {
                throw new ReleaseGrant.Refused("the authorization does not name " + id);
            }
        } catch (ReleaseGrant.Refused e) {
            refused.incrementAndGet();
            throw e;
        }
    }

    /** Share and repair requests refused since start. */
    public long refused() {
        return refused.get();
    }
}
