package dev.shardvault.vault.shamir;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Split a secret into shares and rebuild it.
 *
 * <p>Share layout: the share for x (1..255) is a byte array as long as the secret; byte j is
 * f_j(x), where f_j is a polynomial of degree k-1 over GF(256) with f_j(0) = secret[j] and the other k-1
 * coefficients drawn fresh from a {@link SecureRandom} for every byte of every split. The x of a share is not
 * stored in it: in ShardVault, node i always holds x = i. Any k shares rebuild the secret; k-1 shares are
 * uniformly distributed whatever the secret.
 */
public final class Shamir {

    /** Largest number of shares: the non-zero elements of GF(256). */
    public static final int MAX_SHARES = 255;

    private Shamir() {
    }

    /**
     * Splits {@code secret} into {@code n} shares, threshold {@code k}; {@code shares[i]} is the share for
     * x = i + 1. Coefficient buffers are zeroed before returning.
     */
    public static byte[][] split(byte[] secret, int n, int k, SecureRandom random) {
        if (secret == null || secret.length == 0) {
            throw new IllegalArgumentException("secret must not be empty");
        }
        if (k < 2) {
            throw new IllegalArgumentException("threshold k must be at least 2, got " + k);
        }
        if (n < k) {
            throw new IllegalArgumentException("share count n must be at least k, got n=" + n + ", k=" + k);
        }
        if (n > MAX_SHARES) {
            throw new IllegalArgumentException("share count n must be at most " + MAX_SHARES + ", got " + n);
        }
        byte[][] shares = new byte[n][secret.length];
        byte[] coefficients = new byte[k - 1];
        for (int j = 0; j < secret.length; j++) {
            random.nextBytes(coefficients);
            for (int i = 0; i < n; i++) {
                int x = i + 1;
                // Horner: ((c_{k-1} x + c_{k-2}) x + ... + c_1) x + secret
                int y = 0;
                for (int c = k - 2; c >= 0; c--) {
                    y = GF256.add(GF256.mul(y, x), coefficients[c]);
                }
                shares[i][j] = (byte) GF256.add(GF256.mul(y, x), secret[j]);
            }
        }
        Arrays.fill(coefficients, (byte) 0);
        return shares;
    }

    /**
     * Rebuilds the secret from shares at distinct points {@code xs}. Exactly the given shares are used; with
     * fewer than the threshold the result is meaningless (and reveals nothing), so callers count first.
     */
    public static byte[] combine(int[] xs, byte[][] shares) {
        return evaluateAt(xs, shares, 0);
    }

    /**
     * Evaluates the polynomial through the given shares at {@code x}: x = 0 is the secret, x in 1..255 is the
     * share that point would hold (read repair uses this to restore a missing share of the same version).
     */
    public static byte[] evaluateAt(int[] xs, byte[][] shares, int x) {
        if (xs.length != shares.length) {
            throw new IllegalArgumentException(xs.length + " points but " + shares.length + " shares");
        }
        if (xs.length < 2) {
            throw new IllegalArgumentException("at least 2 shares are needed, got " + xs.length);
        }
        if (x < 0 || x > MAX_SHARES) {
            throw new IllegalArgumentException("x must be 0..255, got " + x);
        }
        int length = shares[0].length;
        boolean[] seen = new boolean[MAX_SHARES + 1];
        for (int i = 0; i < xs.length; i++) {
            if (xs[i] < 1 || xs[i] > MAX_SHARES) {
                throw new IllegalArgumentException("share x must be 1..255, got " + xs[i]);
            }
            if (seen[xs[i]]) {
                throw new IllegalArgumentException("duplicate share x " + xs[i]);
            }
            seen[xs[i]] = true;
            if (shares[i] == null || shares[i].length != length) {
                throw new IllegalArgumentException("shares have different lengths: " + length + " and "
                                                   + (shares[i] == null ? "null" : shares[i].length));
            }
        }
        // Lagrange basis weights at x; they depend only on the public points, not on share bytes.
        int[] weights = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            weights[i] = weight(xs, i, x);
        }
        byte[] result = new byte[length];
        for (int j = 0; j < length; j++) {
            int y = 0;
            for (int i = 0; i < xs.length; i++) {
                y = GF256.add(y, GF256.mul(weights[i], shares[i][j]));
            }
            result[j] = (byte) y;
        }
        return result;
    }

    /**
     * The Lagrange basis weight of point {@code xs[index]} at {@code x}: the polynomial through the shares at
     * {@code xs} takes at x the sum of weight(i) * share(i). Depends only on the public points. The points must
     * be distinct values in 1..255 (callers check).
     */
    static int weight(int[] xs, int index, int x) {
        int numerator = 1;
        int denominator = 1;
        for (int m = 0; m < xs.length; m++) {
            if (m != index) {
                numerator = GF256.mul(numerator, GF256.add(x, xs[m]));
                denominator = GF256.mul(denominator, GF256.add(xs[index], xs[m]));
            }
        }
        return GF256.div(numerator, denominator);
    }
}
