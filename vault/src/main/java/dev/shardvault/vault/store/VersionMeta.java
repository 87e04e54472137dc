package dev.shardvault.vault.store;

/** A version's number and the start of its validity interval (the end is the next version's start). */
public record VersionMeta(long version, long validFromMillis) {
}
