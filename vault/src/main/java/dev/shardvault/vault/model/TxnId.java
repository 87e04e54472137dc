package dev.shardvault.vault.model;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * One attempt at a request: a coordinator that retries after a lock conflict, or a client retry through
 * another node, starts a new attempt of the same request. At most one attempt of a request commits.
 */
public record TxnId(RequestId request, long attempt) {

    private static final SecureRandom RANDOM = new SecureRandom();

    public static TxnId newAttempt(RequestId request) {
        return new TxnId(request, RANDOM.nextLong());
    }

    /** Parses {@link #toString()}. */
    public static TxnId parse(String text) {
        if (text.length() != 49 || text.charAt(32) != '.') {
            throw new IllegalArgumentException("not a txn id: " + text);
        }
        HexFormat hex = HexFormat.of();
        return new TxnId(new RequestId(hex.fromHexDigitsToLong(text, 0, 16), hex.fromHexDigitsToLong(text, 16, 32)),
                         hex.fromHexDigitsToLong(text, 33, 49));
    }

    // Written out for the same reason as RequestId's.
    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof TxnId id && attempt == id.attempt && request.equals(id.request);
    }

    @Override
    public int hashCode() {
        return 31 * request.hashCode() + Long.hashCode(attempt);
    }

    @Override
    public String toString() {
        return request + "." + HexFormat.of().toHexDigits(attempt);
    }
}
