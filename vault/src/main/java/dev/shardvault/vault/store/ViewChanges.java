package dev.shardvault.vault.store;

import dev.shardvault.vault.model.SecretId;
import java.util.ArrayList;
import java.util.List;

/**
 * The secrets whose view changed on this node, numbered 1, 2, 3 ... in the order they changed, for the
 * background sweep of other nodes: a peer that has compared everything up to change {@code s} asks only for
 * what changed after it instead of listing every name again.
 *
 * <p>Kept in memory only, in a ring of the last {@code capacity} changes: a restart starts a new numbering
 * (the store's epoch) and a reader that fell more than {@code capacity} changes behind is told so; either way
 * it lists every name once and continues from there. An id may appear more than once. Not thread-safe: the
 * store's monitor guards it.
 */
final class ViewChanges {

    private final SecretId[] ring;
    private long count;

    ViewChanges(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.ring = new SecretId[capacity];
    }

    void record(SecretId id) {
        ring[(int) (count % ring.length)] = id;
        count++;
    }

    /** The number of the latest change (0: none yet). */
    long latest() {
        return count;
    }

    /** Whether every change after {@code after} is still held (and {@code after} is not in the future). */
    boolean holdsAfter(long after) {
        return after >= 0 && after <= count && count - after <= ring.length;
    }

    /** Ids of changes {@code after + 1 ..} up to {@code limit} of them; call only when {@link #holdsAfter} holds. */
    List<SecretId> after(long after, int limit) {
        if (!holdsAfter(after)) {
            throw new IllegalArgumentException("changes after " + after + " are not held (latest " + count + ")");
        }
        int size = (int) Math.min(limit, count - after);
        List<SecretId> ids = new ArrayList<>(size);
        for (long number = after + 1; number <= after + size; number++) {
            ids.add(ring[(int) ((number - 1) % ring.length)]);
        }
        return ids;
    }
}
