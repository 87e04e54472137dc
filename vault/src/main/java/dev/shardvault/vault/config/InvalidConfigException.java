package dev.shardvault.vault.config;

/** A configuration the node refuses to start with; the message names the rule that failed. */
public final class InvalidConfigException extends RuntimeException {

    public InvalidConfigException(String message) {
        super(message);
    }
}
