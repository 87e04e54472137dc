package dev.shardvault.vault.codec;

/** Bytes that do not decode: truncated, oversized, or of an unknown kind or version. */
public final class MalformedException extends RuntimeException {

    public MalformedException(String message) {
        super(message);
    }
}
