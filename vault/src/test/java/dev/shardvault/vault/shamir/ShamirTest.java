package dev.shardvault.vault.shamir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ShamirTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Provide
    Arbitrary<byte[]> secrets() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 300)
    void anyKOfNSharesGiveBackTheSecret(@ForAll("secrets") byte[] secret, @ForAll @IntRange(min = 2, max = 9) int n,
                                        @ForAll @IntRange(min = 2, max = 9) int kWanted, @ForAll long seed) {
        int k = Math.min(kWanted, n);
        byte[][] shares = Shamir.split(secret, n, k, RANDOM);
        List<Integer> xs = new ArrayList<>();
        for (int x = 1; x <= n; x++) {
            xs.add(x);
        }
        Collections.shuffle(xs, new Random(seed));
        int[] points = new int[k];
        byte[][] chosen = new byte[k][];
        for (int i = 0; i < k; i++) {
            points[i] = xs.get(i);
            chosen[i] = shares[xs.get(i) - 1];
        }
        assertArrayEquals(secret, Shamir.combine(points, chosen));
        // Repair: the polynomial through any k shares gives every other node's original share back.
        for (int x = 1; x <= n; x++) {
            assertArrayEquals(shares[x - 1], Shamir.evaluateAt(points, chosen, x));
        }
    }

    @Property(tries = 200)
    void gfMultiplicationHasInversesAndMatchesCarrylessReduction(@ForAll @IntRange(min = 0, max = 255) int a,
                                                                @ForAll @IntRange(min = 0, max = 255) int b) {
        assertEquals(reference(a, b), GF256.mul(a, b));
        if (a != 0) {
            assertEquals(1, GF256.mul(a, GF256.inv(a)));
        }
    }

    private static int reference(int a, int b) {
        int product = 0;
        for (int i = 0; i < 8; i++) {
            if (((b >> i) & 1) == 1) {
                product ^= a << i;
            }
        }
        for (int bit = 14; bit >= 8; bit--) {
            if (((product >> bit) & 1) == 1) {
                product ^= 0x11B << (bit - 8);
            }
        }
        return product;
    }

    /**
     * k-1 shares say nothing: for two very different secrets, the joint distribution of the bytes of shares
     * 1..k-1 is uniform. Chi-square over many splits of a one-byte secret, for k = 3 (pairs of bytes, 65536
     * cells would need too many samples, so test each share byte and the XOR of the pair: both uniform).
     */
    @Test
    void sharesOfFewerThanKNodesAreUniformWhateverTheSecret() {
        int splits = 256 * 400;
        for (byte secret : new byte[] {0, (byte) 0xFF, 0x42}) {
            int[] first = new int[256];
            int[] second = new int[256];
            int[] mixed = new int[256];
            for (int i = 0; i < splits; i++) {
                byte[][] shares = Shamir.split(new byte[] {secret}, 5, 3, RANDOM);
                first[shares[0][0] & 0xFF]++;
                second[shares[1][0] & 0xFF]++;
                mixed[(shares[0][0] ^ shares[1][0]) & 0xFF]++;
            }
            for (int[] histogram : List.of(first, second, mixed)) {
                double chiSquare = chiSquare(histogram, splits);
                // 255 degrees of freedom: p = 0.0001 at about 360. A biased scheme lands far above.
                assertTrue(chiSquare < 360, "secret " + secret + ": chi-square " + chiSquare + " is not uniform");
            }
        }
    }

    private static double chiSquare(int[] histogram, int samples) {
        double expected = samples / 256.0;
        double sum = 0;
        for (int count : histogram) {
            sum += (count - expected) * (count - expected) / expected;
        }
        return sum;
    }

    @Test
    void badInputsHaveTheirOwnErrors() {
        assertEquals("threshold k must be at least 2, got 1",
                     assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[] {1}, 3, 1, RANDOM)).getMessage());
        assertEquals("share count n must be at least k, got n=2, k=3",
                     assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[] {1}, 2, 3, RANDOM)).getMessage());
        assertEquals("share count n must be at most 255, got 256",
                     assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[] {1}, 256, 3, RANDOM)).getMessage());
        assertEquals("secret must not be empty",
                     assertThrows(IllegalArgumentException.class, () -> Shamir.split(new byte[0], 3, 2, RANDOM)).getMessage());
        assertEquals("duplicate share x 2",
                     assertThrows(IllegalArgumentException.class,
                                  () -> Shamir.combine(new int[] {2, 2}, new byte[][] {{1}, {2}})).getMessage());
        assertEquals("shares have different lengths: 1 and 2",
                     assertThrows(IllegalArgumentException.class,
                                  () -> Shamir.combine(new int[] {1, 2}, new byte[][] {{1}, {2, 3}})).getMessage());
        assertEquals("share x must be 1..255, got 0",
                     assertThrows(IllegalArgumentException.class,
                                  () -> Shamir.combine(new int[] {0, 2}, new byte[][] {{1}, {2}})).getMessage());
    }
}
