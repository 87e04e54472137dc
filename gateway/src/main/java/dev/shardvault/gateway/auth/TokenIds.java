package dev.shardvault.gateway.auth;

import java.security.SecureRandom;
import java.util.Base64;

/** Token ids ({@code tok_} and 20 base32 characters, not secret) and bearer values (256 random bits). */
public final class TokenIds {

    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenIds() {
    }

    /** A fresh random id. */
    public static String newId() {
        byte[] bits = new byte[13];
        RANDOM.nextBytes(bits);
        return fromBytes(bits);
    }

    /** The id made of the first 100 bits of {@code bytes} (at least 13 bytes). */
    static String fromBytes(byte[] bytes) {
        StringBuilder id = new StringBuilder("tok_");
        long buffer = 0;
        int bits = 0;
        int index = 0;
        while (id.length() < 24) {
            if (bits < 5) {
                buffer = buffer << 8 | (bytes[index++] & 0xFF);
                bits += 8;
            }
            id.append(BASE32[(int) (buffer >>> (bits - 5)) & 31]);
            bits -= 5;
        }
        return id.toString();
    }

    /** A fresh bearer value: {@code svt_} and 43 base64url characters. */
    public static String newBearer() {
        byte[] bits = new byte[32];
        RANDOM.nextBytes(bits);
        return "svt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }
}
