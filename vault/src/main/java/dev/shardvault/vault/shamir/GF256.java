package dev.shardvault.vault.shamir;

/**
 * Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B). Addition is XOR.
 * Multiplication is shift-and-add with masks instead of branches, and inversion is a fixed chain of
 * multiplications (a^254), so the time taken never depends on the operands.
 */
final class GF256 {

    private GF256() {
    }

    static int add(int a, int b) {
        return (a ^ b) & 0xFF;
    }

    static int mul(int a, int b) {
        int product = 0;
        int x = a & 0xFF;
        int y = b & 0xFF;
        for (int bit = 0; bit < 8; bit++) {
            product ^= x & -(y & 1);          // add x when the low bit of y is set, without a branch
            int carry = -((x >> 7) & 1);      // all ones when x overflows on the shift
            x = ((x << 1) ^ (0x1B & carry)) & 0xFF;
            y >>= 1;
        }
        return product;
    }

    /** Multiplicative inverse; inv(0) is 0 (never used: callers reject x = 0 and duplicate x). */
    static int inv(int a) {
        // a^254 = a^-1 in GF(256): square-and-multiply over the fixed exponent 0b11111110.
        int a2 = mul(a, a);
        int a4 = mul(a2, a2);
        int a8 = mul(a4, a4);
        int a16 = mul(a8, a8);
        int a32 = mul(a16, a16);
        int a64 = mul(a32, a32);
        int a128 = mul(a64, a64);
        return mul(mul(mul(mul(mul(mul(a128, a64), a32), a16), a8), a4), a2);
    }

    static int div(int a, int b) {
        return mul(a, inv(b));
    }
}
