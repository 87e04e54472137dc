package dev.shardvault.vault.shamir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Share recovery's arithmetic: k helpers' sums of random pieces add up to the missing share, exactly. */
class ShareRecoveryTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Runs both rounds for {@code target} with helpers {@code xs} (1-based points) over {@code shares}. */
    private static byte[] recover(byte[][] shares, int[] xs, int target) {
        int k = xs.length;
        byte[][][] pieces = new byte[k][][]; // [from][to]
        for (int j = 0; j < k; j++) {
            byte[] term = ShareRecovery.contribution(xs, j, target, shares[xs[j] - 1]);
            pieces[j] = ShareRecovery.pieces(term, k, RANDOM);
        }
        byte[] share = new byte[shares[0].length];
        for (int m = 0; m < k; m++) {
            byte[] sum = new byte[share.length];
            for (int j = 0; j < k; j++) {
                ShareRecovery.addInto(sum, pieces[j][m]);
            }
            ShareRecovery.addInto(share, sum);
        }
        return share;
    }

    @Property(tries = 200)
    void anyKHelpersRecoverAnyOtherNodesShareExactly(@ForAll @IntRange(min = 2, max = 7) int k,
                                                     @ForAll @IntRange(min = 0, max = 4) int extra,
                                                     @ForAll @IntRange(min = 1, max = 80) int length,
                                                     @ForAll long seed) {
        int n = k + 1 + extra;
        Random random = new Random(seed);
        byte[] secret = new byte[length];
        random.nextBytes(secret);
        byte[][] shares = Shamir.split(secret, n, k, RANDOM);
        List<Integer> points = new ArrayList<>();
        for (int x = 1; x <= n; x++) {
            points.add(x);
        }
        Collections.shuffle(points, random);
        int target = points.get(0);
        int[] helpers = points.subList(1, k + 1).stream().mapToInt(Integer::intValue).toArray();
        assertArrayEquals(shares[target - 1], recover(shares, helpers, target));
    }

    @Test
    void aPieceOnItsOwnIsNotTheTermAndThePiecesAddUpToIt() {
        byte[] term = new byte[64];
        RANDOM.nextBytes(term);
        byte[][] pieces = ShareRecovery.pieces(term, 3, RANDOM);
        byte[] sum = new byte[term.length];
        for (byte[] piece : pieces) {
            assertTrue(!java.util.Arrays.equals(piece, term), "a piece equals the term it hides");
            ShareRecovery.addInto(sum, piece);
        }
        assertArrayEquals(term, sum);
    }

    @Test
    void theTargetIsNeverAHelperNorZero() {
        byte[] share = {1, 2, 3};
        assertThrows(IllegalArgumentException.class, () -> ShareRecovery.contribution(new int[] {1, 2, 3}, 0, 2, share));
        assertThrows(IllegalArgumentException.class, () -> ShareRecovery.contribution(new int[] {1, 2, 3}, 0, 0, share));
        assertThrows(IllegalArgumentException.class, () -> ShareRecovery.contribution(new int[] {1, 1, 3}, 0, 4, share));
    }
}
