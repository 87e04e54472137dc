package dev.shardvault.tls;

/** The TLS files are missing, unreadable or not what a cluster process needs; the message names the file. */
public final class InvalidTlsMaterialException extends Exception {

    public InvalidTlsMaterialException(String message) {
        super(message);
    }

    public InvalidTlsMaterialException(String message, Throwable cause) {
        super(message, cause);
    }
}
