package dev.shardvault.vault.model;

/** What a commit decided for one operation. */
public sealed interface Outcome {

    SecretId id();

    /** A put became {@code version} of {@code incarnation}, valid from {@code validFromMillis}. */
    record Applied(SecretId id, long incarnation, long version, long validFromMillis) implements Outcome {
    }

    /** A remove ended {@code incarnation} at {@code deletedAtMillis}: a tombstone. */
    record Removed(SecretId id, long incarnation, long deletedAtMillis) implements Outcome {
    }

    /**
     * A precondition failed: nothing changed, and the refusal is decided like a commit, so that every later
     * attempt of the same request (a resend, or an attempt still retrying on another node) answers it too.
     * {@code seen} is the freshest view the decision rests on; a deleted one is a tombstone that nodes learning
     * the refusal take on, so that a later read cannot miss the delete this refusal answered from.
     */
    record Refused(SecretId id, Reason reason, SecretView seen) implements Outcome {
        public Refused {
            if (reason == Reason.MISSING ? seen instanceof SecretView.Live : !(seen instanceof SecretView.Live)) {
                throw new IllegalArgumentException("a " + reason + " refusal cannot rest on " + seen);
            }
        }
    }

    /** Why a put or a remove was refused. */
    enum Reason {
        /** A create of a live secret. */
        EXISTS,
        /** An update or delete of a secret that is absent or deleted. */
        MISSING,
        /** An update whose expected version is not the latest ({@code seen} has the latest). */
        VERSION_MISMATCH
    }

    /** Whether a decision is a refusal: it changes nothing. */
    static boolean refuses(java.util.List<Outcome> outcomes) {
        return !outcomes.isEmpty() && outcomes.stream().allMatch(o -> o instanceof Refused);
    }
}
