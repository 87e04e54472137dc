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

    private record Registered(byte[] key, javax.crypto.Mac mac) {
    }

    private final Map<Long, Registered> keys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Registered> eldest) {
            return size() > MAX_GATEWAY_KEYS;
        }
    };

    /** A MAC keyed with the key registered under {@code keyId} (clone it to use it), or null. */
    synchronized javax.crypto.Mac mac(long keyId) {
        Registered registered = keys.get(keyId);
        return registered == null ? null : registered.mac();
    }

    /** Registers (or refreshes) a gateway's key for this node. */
    public synchronized void put(long keyId, byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("a release key is " + KEY_BYTES + " bytes");
        }
        Registered known = keys.get(keyId);
        if (known == null || !java.security.MessageDigest.isEqual(known.key(), key)) {
            keys.put(keyId, new Registered(key.clone(), ReleaseGrant.mac(key)));
        }
    }

    /** A gateway's keys: a random key id and one random key per node id in {@code nodes}. */
    public record GatewayKeys(long keyId, Map<Integer, byte[]> perNode, Map<Integer, javax.crypto.Mac> macs) {
        public GatewayKeys(long keyId, Map<Integer, byte[]> perNode) {
            this(keyId, perNode, macs(perNode));
        }

        private static Map<Integer, javax.crypto.Mac> macs(Map<Integer, byte[]> perNode) {
            Map<Integer, javax.crypto.Mac> macs = new java.util.TreeMap<>();
            perNode.forEach((node, key) -> macs.put(node, ReleaseGrant.mac(key)));
            return java.util.Collections.unmodifiableMap(macs);
        }

        /** An authorization of this gateway for {@code coordinator}, tagged for every node, with a fresh nonce. */
        public ReleaseGrant issue(ReleaseGrant.Kind kind, int coordinator, String namespace, java.util.List<String> names,
                                  long requestTimeMillis, ReleaseGrant.Audit audit) {
            byte[] nonce = new byte[16]; // unique, not secret: it sits inside what the tags cover
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(nonce);
            return ReleaseGrant.issueKeyed(keyId, macs, kind, coordinator, namespace, names, requestTimeMillis,
                                           System.currentTimeMillis(), nonce, audit);
        }
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
