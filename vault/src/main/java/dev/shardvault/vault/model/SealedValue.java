package dev.shardvault.vault.model;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * What is actually split: the value's UTF-8 bytes followed by their SHA-256. The digest is split with the
 * value, so it is never stored anywhere in the clear; rebuilding checks it, so a damaged share, or shares of
 * two different polynomials combined, is detected instead of returning a value never written.
 */
public final class SealedValue {

    public static final int DIGEST_BYTES = 32;

    private SealedValue() {
    }

    public static byte[] seal(byte[] value) {
        byte[] sealed = Arrays.copyOf(value, value.length + DIGEST_BYTES);
        System.arraycopy(sha256(value), 0, sealed, value.length, DIGEST_BYTES);
        return sealed;
    }

    /** The value, or null if the digest does not match. */
    public static byte[] open(byte[] sealed) {
        if (sealed.length < DIGEST_BYTES) {
            return null;
        }
        byte[] value = Arrays.copyOf(sealed, sealed.length - DIGEST_BYTES);
        byte[] expected = sha256(value);
        byte[] actual = Arrays.copyOfRange(sealed, value.length, sealed.length);
        if (!MessageDigest.isEqual(expected, actual)) {
            Arrays.fill(value, (byte) 0);
            return null;
        }
        return value;
    }

    private static byte[] sha256(byte[] bytes) {
        return Sha256.digest(bytes);
    }
}
