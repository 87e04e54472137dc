package dev.shardvault.vault.model;

/**
 * What one node knows of a secret: never heard of it, a live incarnation with its latest committed
 * version, or a deleted incarnation. A node that missed writes has an older view; the coordinator decides
 * from the freshest view of a quorum, never from one node's.
 */
public sealed interface SecretView extends Comparable<SecretView> {

    /** The incarnation this view is about; 0 when absent. Each delete ends one, each later create starts the next. */
    long incarnation();

    record Absent() implements SecretView {
        @Override
        public long incarnation() {
            return 0;
        }
    }

    record Live(long incarnation, long latestVersion, long latestValidFromMillis) implements SecretView {
    }

    record Deleted(long incarnation, long deletedAtMillis) implements SecretView {
    }

    SecretView ABSENT = new Absent();

    /** Fresher means: later incarnation; in one incarnation, deleted beats live, and a later version beats an earlier. */
    @Override
    default int compareTo(SecretView other) {
        int byIncarnation = Long.compare(incarnation(), other.incarnation());
        if (byIncarnation != 0) {
            return byIncarnation;
        }
        return Long.compare(rank(this), rank(other));
    }

    private static long rank(SecretView view) {
        return switch (view) {
            case Absent a -> -1;
            case Live live -> live.latestVersion();
            case Deleted d -> Long.MAX_VALUE;
        };
    }

    static SecretView freshest(Iterable<SecretView> views) {
        SecretView best = ABSENT;
        for (SecretView view : views) {
            if (view.compareTo(best) > 0) {
                best = view;
            }
        }
        return best;
    }
}
