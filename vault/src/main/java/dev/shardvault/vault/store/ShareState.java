package dev.shardvault.vault.store;

import dev.shardvault.vault.model.SecretView;

/**
 * One node's answer to a read: its view of the secret and, when it holds one, its share of the version the
 * selector picks from this node's own history.
 *
 * @param version             the picked version, or 0 when none
 * @param validFromMillis     its validFrom
 * @param nextValidFromMillis validFrom of the next version this node knows, or -1 (the picked one is its latest)
 * @param share               this node's share of the picked version, or null
 * @param inDoubt             a prepared, undecided transaction holds this secret's lock here
 */
public record ShareState(SecretView view, long version, long validFromMillis, long nextValidFromMillis, byte[] share,
                         boolean inDoubt) {

    @Override
    public String toString() {
        return "ShareState[" + view + ", v" + version + ", share=" + (share == null ? "none" : "<" + share.length + " bytes>")
               + (inDoubt ? ", in doubt" : "") + "]";
    }
}
