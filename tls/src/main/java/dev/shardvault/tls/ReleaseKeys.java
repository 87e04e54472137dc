package dev.shardvault.tls;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The keys under which gateways tag their {@link ReleaseGrant}s. A gateway makes one random 256-bit key per
 * node when it starts ({@link #generate}) and hands node i its key — and only its key — over the mutually
 * authenticated gateway-facing socket, on every health probe (so a restarted node has it again within one probe
 * interval). A node keeps the keys of the most recent {@value #MAX_GATEWAY_KEYS} gateway key ids, in memory
 * only: they are never written to disk or logged.
 */
public final class ReleaseKeys {

    public static final int KEY_BYTES = 32;
    private static final int MAX_GATEWAY_KEYS = 64;

    private final Map<Long, byte[]> keys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
            return size() > MAX_GATEWAY_KEYS;
        }
    };

    /** The key registered under {@code keyId}, or null. */
    public synchronized byte[] get(long keyId) {
        return keys.get(keyId);
    }

    /** Registers (or refreshes) a gateway's key for this node. */
    public synchronized void put(long keyId, byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("a release key is " + KEY_BYTES + " bytes");
        }
        byte[] known = keys.get(keyId);
        if (known == null || !java.security.MessageDigest.isEqual(known, key)) {
            keys.put(keyId, key.clone());
        }
    }

    /** A gateway's keys: a random key id and one random key per node id in {@code nodes}. */
    public record GatewayKeys(long keyId, Map<Integer, byte[]> perNode) {
    }

    public static GatewayKeys generate(Iterable<Integer> nodes) {
        SecureRandom random = new SecureRandom();
        Map<Integer, byte[]> perNode = new HashMap<>();
        for (int node : nodes) {
            byte[] key = new byte[KEY_BYTES];
            random.nextBytes(key);
            perNode.put(node, key);
        }
        return new GatewayKeys(random.nextLong(), Map.copyOf(perNode));
    }
}
