package dev.shardvault.vault.store;

/** Which version of a secret a read wants. */
public sealed interface Selector {

    record Latest() implements Selector {
    }

    record ByVersion(long version) implements Selector {
    }

    /** The version valid at an instant: the latest with validFrom <= the instant. */
    record AsOf(long instantMillis) implements Selector {
    }

    Selector LATEST = new Latest();
}
