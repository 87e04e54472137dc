package dev.shardvault.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A gateway authorization verifies for each node under its own key only, within its lifetime, untampered. */
class ReleaseGrantTest {

    private static final ReleaseKeys.GatewayKeys GATEWAY = ReleaseKeys.generate(List.of(1, 2, 3));
    private static final byte[] NONCE = new byte[16];

    private static final ReleaseGrant.Audit AUDIT = new ReleaseGrant.Audit(new byte[16], "tok_1", "ci", "machine", "");

    private static ReleaseKeys keysOf(int node) {
        ReleaseKeys keys = new ReleaseKeys();
        keys.put(GATEWAY.keyId(), GATEWAY.perNode().get(node));
        return keys;
    }

    private static ReleaseGrant issue(long issuedAt) {
        return ReleaseGrant.issue(GATEWAY.keyId(), GATEWAY.perNode(), ReleaseGrant.Kind.READ, 2, "default",
                                  List.of("API_KEY"), 1_000, issuedAt, NONCE, AUDIT);
    }

    private static String refusal(byte[] encoded, int node, ReleaseKeys keys, long now) {
        return assertThrows(ReleaseGrant.Refused.class, () -> ReleaseGrant.verify(encoded, node, keys, now)).getMessage();
    }

    @Test
    void verifiesForEveryNodeItWasIssuedForAndRoundTripsItsFields() {
        long now = System.currentTimeMillis();
        ReleaseGrant grant = issue(now);
        for (int node = 1; node <= 3; node++) {
            ReleaseGrant verified = ReleaseGrant.verifyHeader(grant.header(), node, keysOf(node), now);
            assertEquals(ReleaseGrant.Kind.READ, verified.kind());
            assertEquals(2, verified.coordinator());
            assertTrue(verified.names("default", "API_KEY"));
            assertEquals(1_000, verified.requestTimeMillis());
            assertEquals(AUDIT, verified.audit());
        }
    }

    @Test
    void anyOtherKeyATamperedByteAnExpiryOrAStrangerIsRefused() {
        long now = System.currentTimeMillis();
        byte[] encoded = issue(now).encoded();
        // Node 1's key does not make node 2's tag: a node cannot forge for another.
        ReleaseKeys wrongKey = new ReleaseKeys();
        wrongKey.put(GATEWAY.keyId(), GATEWAY.perNode().get(1));
        assertTrue(refusal(encoded, 2, wrongKey, now).contains("does not verify"));
        assertTrue(refusal(encoded, 2, new ReleaseKeys(), now).contains("unknown gateway key"));
        assertTrue(refusal(encoded, 4, keysOf(1), now).contains("does not verify"), "no tag for node 4");
        for (int i = 1; i < encoded.length - 33 * 3; i++) {
            byte[] tampered = encoded.clone();
            tampered[i] ^= 0x40;
            int at = i;
            assertThrows(ReleaseGrant.Refused.class, () -> ReleaseGrant.verify(tampered, 2, keysOf(2), now), "byte " + at);
        }
        assertTrue(refusal(issue(now - 60_000).encoded(), 2, keysOf(2), now).contains("expired"));
        assertTrue(refusal(issue(now + 60_000).encoded(), 2, keysOf(2), now).contains("not yet valid"));
        assertTrue(refusal(new byte[0], 2, keysOf(2), now).contains("no authorization"));
        assertTrue(refusal(new byte[] {2, 2, 3}, 2, keysOf(2), now).contains("malformed"));
        assertTrue(refusal(new byte[] {1, 2, 3}, 2, keysOf(2), now).contains("unknown authorization version"));
    }
}
