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
}
