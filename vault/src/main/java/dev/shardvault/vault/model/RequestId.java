package dev.shardvault.vault.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * One client request, across retries: derived from the namespace and the client's Idempotency-Key when one
 * is given (so a retry through any node maps to the same id), random otherwise. 128 bits.
 */
public record RequestId(long high, long low) {

    private static final SecureRandom RANDOM = new SecureRandom();

    public static RequestId random() {
        return new RequestId(RANDOM.nextLong(), RANDOM.nextLong());
    }

    public static RequestId fromIdempotencyKey(String namespace, String key) {
        ByteBuffer digest = ByteBuffer.wrap(sha256("shardvault-request\0" + namespace + "\0" + key));
        return new RequestId(digest.getLong(), digest.getLong());
    }

    static byte[] sha256(String text) {
        return Sha256.digest(text.getBytes(StandardCharsets.UTF_8));
    }

    // Written out rather than generated: a record's generated equals and hashCode run through a method-handle
    // chain, which the JIT does not inline at a call site that sees several key types (HashMap.getNode does),
    // and the store's maps look transactions up on every prepare and decision.
    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof RequestId id && high == id.high && low == id.low;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(high * 31 + low);
    }

    @Override
    public String toString() {
        return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
    }
}
