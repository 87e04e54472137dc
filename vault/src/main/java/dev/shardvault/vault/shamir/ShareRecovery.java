package dev.shardvault.vault.shamir;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The arithmetic of rebuilding one node's share without rebuilding the secret (docs/model.md, "Rebuilding a
 * lost disk"). The share node t should hold is f(t) = sum over k helpers j of w_j(t) * f(x_j), where w_j(t) is
 * the Lagrange weight of the helpers' points. Each helper computes only its own term
 * ({@link #contribution}), cuts it into k random pieces that add up to it ({@link #pieces}), keeps one and gives
 * one to each other helper; each helper adds the pieces it holds ({@link #addInto}) and hands that sum to node
 * t, whose sum of the k sums is f(t). No step combines two shares: a helper sees its own share and pieces that
 * are uniformly random on their own, and node t sees k sums of which any k - 1 are uniformly random.
 */
public final class ShareRecovery {

    private ShareRecovery() {
    }

    /**
     * Checks a recovery's points: {@code helpers} are k distinct x in 1..255, {@code target} is another x in
     * 1..255. Throws IllegalArgumentException otherwise.
     */
    public static void checkPoints(int[] helpers, int target) {
        if (helpers.length < 2) {
            throw new IllegalArgumentException("a recovery needs at least 2 helpers, got " + helpers.length);
        }
        boolean[] seen = new boolean[Shamir.MAX_SHARES + 1];
        for (int x : helpers) {
            if (x < 1 || x > Shamir.MAX_SHARES || seen[x]) {
                throw new IllegalArgumentException("helper points must be distinct values in 1..255");
            }
            seen[x] = true;
        }
        if (target < 1 || target > Shamir.MAX_SHARES || seen[target]) {
            throw new IllegalArgumentException("the target point must be in 1..255 and not a helper's");
        }
    }

    /** Helper {@code helpers[index]}'s term of f(target): its share times its Lagrange weight at target. */
    public static byte[] contribution(int[] helpers, int index, int target, byte[] share) {
        checkPoints(helpers, target);
        int weight = Shamir.weight(helpers, index, target);
        byte[] term = new byte[share.length];
        for (int j = 0; j < share.length; j++) {
            term[j] = (byte) GF256.mul(weight, share[j]);
        }
        return term;
    }

    /**
     * {@code count} pieces that add up (XOR) to {@code term}: count - 1 drawn fresh from {@code random}, the last
     * the term minus them. Any count - 1 of them are uniformly random whatever the term.
     */
    public static byte[][] pieces(byte[] term, int count, SecureRandom random) {
        byte[][] pieces = new byte[count][];
        byte[] last = term.clone();
        for (int i = 0; i < count - 1; i++) {
            pieces[i] = new byte[term.length];
            random.nextBytes(pieces[i]);
            addInto(last, pieces[i]);
        }
        pieces[count - 1] = last;
        return pieces;
    }

    /** {@code sum += piece} in GF(256) (XOR); the lengths must match. */
    public static void addInto(byte[] sum, byte[] piece) {
        if (sum.length != piece.length) {
            throw new IllegalArgumentException("pieces of " + sum.length + " and " + piece.length + " bytes");
        }
        for (int j = 0; j < sum.length; j++) {
            sum[j] ^= piece[j];
        }
    }

    /** Zeroes every array given (terms, pieces and sums are as sensitive as shares). */
    public static void wipe(byte[]... arrays) {
        for (byte[] array : arrays) {
            if (array != null) {
                Arrays.fill(array, (byte) 0);
            }
        }
    }
}
