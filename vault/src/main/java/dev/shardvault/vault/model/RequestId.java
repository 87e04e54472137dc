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

    @Override
    public String toString() {
        return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
    }
}
