package dev.shardvault.tls;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The gateway's authorization of one forwarded operation, which every vault node checks before it releases a
 * share, accepts a repair, or serves the gateway-facing API. It names what the operation may touch (kind,
 * namespace, names), the node the gateway sent it to (the coordinator: the only caller a peer releases shares
 * to under it), the gateway's {@code requestTime} (the only time a write may be dated with), an expiry at most
 * {@link #MAX_LIFETIME_MILLIS} after it, and a random nonce. It carries one HMAC-SHA256 tag per node, each
 * under a key that only the gateway and that node hold ({@link ReleaseKeys}): a node can check its own tag
 * and cannot make any other node's, so no node alone can obtain a share it was not sent an authorization for.
 *
 * <p>Wire form (big-endian), base64url in the {@value #HEADER} header and as bytes inside peer requests:
 * {@code u8 version=2, i64 keyId, u8 kind, u8 coordinator, u16+UTF-8 namespace, u16 count then u16+UTF-8
 * names, i64 requestTimeMillis, i64 issuedAtMillis, i64 expiresAtMillis, 16 bytes nonce, audit (16 bytes request,
 * u16+UTF-8 token, label, class, expansionFirst), u8 tag count then (u8 node, 32 bytes tag) each}. Each tag is over
 * every byte before the tag count.
 *
 * <p>The {@link Audit} part says on whose behalf the operation runs, for the custody timeline the nodes keep: the
 * gateway vouches for the actor with the same tags, so a node records the actor it was given and nothing else.
 */
public record ReleaseGrant(long keyId, Kind kind, int coordinator, String namespace, List<String> names,
                           long requestTimeMillis, long issuedAtMillis, long expiresAtMillis, Audit audit, byte[] encoded) {

    /**
     * Who asked, for the custody timeline: {@code request} identifies the public request (the same on every node
     * the gateway tries, derived from the client's Idempotency-Key when it sent one), {@code token}, {@code label}
     * and {@code actorClass} the caller's token, and {@code expansionFirst} the first secret of the {@code .env}
     * expansion this read belongs to ({@code ""} when it is not part of one).
     */
    public record Audit(byte[] request, String token, String label, String actorClass, String expansionFirst) {
        public static final int REQUEST_BYTES = 16;

        public Audit {
            if (request.length != REQUEST_BYTES) {
                throw new IllegalArgumentException("a request id is " + REQUEST_BYTES + " bytes");
            }
            request = request.clone();
        }

        /** The request id in lowercase hex. */
        public String requestHex() {
            return java.util.HexFormat.of().formatHex(request);
        }

        public boolean expansion() {
            return !expansionFirst.isEmpty();
        }

        @Override
        public byte[] request() {
            return request.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Audit that && java.util.Arrays.equals(request, that.request) && token.equals(that.token)
                   && label.equals(that.label) && actorClass.equals(that.actorClass)
                   && expansionFirst.equals(that.expansionFirst);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(request) * 31 + token.hashCode();
        }

        @Override
        public String toString() {
            return "Audit[request " + requestHex() + ", token " + token + "]";
        }
    }

    public static final String HEADER = "ShardVault-Authorization";
    public static final long MAX_LIFETIME_MILLIS = 30_000;
    /** How far the clocks of the gateway and a node may disagree. */
    public static final long CLOCK_SKEW_MILLIS = 5_000;
    private static final int VERSION = 2;
    private static final int TAG_BYTES = 32;
    private static final int MAX_NAMES = 1024;
    private static final int MAX_BYTES = 256 * 1024;

    /** What the operation does; reads and writes may gather shares (a write compares a retried body with its commit). */
    public enum Kind {
        READ(1), WRITE(2), DELETE(3), META(4);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        public boolean releasesShares() {
            return this == READ || this == WRITE;
        }

        static Kind of(int code) {
            for (Kind kind : values()) {
                if (kind.code == code) {
                    return kind;
                }
            }
            throw new Refused("unknown kind " + code);
        }
    }

    /** The authorization is missing, malformed, forged, expired or does not cover the operation. */
    public static final class Refused extends RuntimeException {
        public Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    public ReleaseGrant {
        names = List.copyOf(names);
    }

    public boolean names(String namespace, String name) {
        return this.namespace.equals(namespace) && names.contains(name);
    }

    /** The header value. */
    public String header() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(encoded);
    }

    /**
     * Issues an authorization tagged for every node of {@code keys} (node id to that node's key).
     */
    public static ReleaseGrant issue(long keyId, Map<Integer, byte[]> keys, Kind kind, int coordinator, String namespace,
                                     List<String> names, long requestTimeMillis, long issuedAtMillis, byte[] nonce,
                                     Audit audit) {
        Map<Integer, Mac> macs = new java.util.TreeMap<>();
        keys.forEach((node, key) -> macs.put(node, mac(key)));
        return issueKeyed(keyId, macs, kind, coordinator, namespace, names, requestTimeMillis, issuedAtMillis, nonce, audit);
    }

    /** As {@link #issue}, with a keyed MAC per node (each is cloned, never used itself). */
    static ReleaseGrant issueKeyed(long keyId, Map<Integer, Mac> keys, Kind kind, int coordinator, String namespace,
                                   List<String> names, long requestTimeMillis, long issuedAtMillis, byte[] nonce,
                                   Audit audit) {
        long expiresAt = issuedAtMillis + MAX_LIFETIME_MILLIS;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + 24 * names.size() + keys.size() * (TAG_BYTES + 1));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(keyId);
            out.writeByte(kind.code);
            out.writeByte(coordinator);
            writeString(out, namespace);
            out.writeShort(names.size());
            for (String name : names) {
                writeString(out, name);
            }
            out.writeLong(requestTimeMillis);
            out.writeLong(issuedAtMillis);
            out.writeLong(expiresAt);
            out.write(nonce, 0, 16);
            out.write(audit.request);
            writeString(out, audit.token());
            writeString(out, audit.label());
            writeString(out, audit.actorClass());
            writeString(out, audit.expansionFirst());
            out.flush();
            byte[] signed = bytes.toByteArray();
            out.writeByte(keys.size());
            for (Map.Entry<Integer, Mac> key : keys.entrySet()) {
                out.writeByte(key.getKey());
                out.write(tag(key.getValue(), signed, signed.length));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] encoded = bytes.toByteArray();
        return new ReleaseGrant(keyId, kind, coordinator, namespace, names, requestTimeMillis, issuedAtMillis, expiresAt, audit,
                                encoded);
    }

    /** Decodes a header value and verifies it for node {@code self}; see {@link #verify(byte[], int, ReleaseKeys, long)}. */
    public static ReleaseGrant verifyHeader(String header, int self, ReleaseKeys keys, long nowMillis) {
        if (header == null || header.isEmpty()) {
            throw new Refused("no authorization");
        }
        try {
            return verify(Base64.getUrlDecoder().decode(header), self, keys, nowMillis);
        } catch (IllegalArgumentException e) {
            throw new Refused("authorization is not base64url");
        }
    }

    /**
     * Decodes {@code encoded} and checks node {@code self}'s tag with the key registered under its key id, and
     * that {@code nowMillis} is within its lifetime (allowing {@link #CLOCK_SKEW_MILLIS}).
     *
     * @throws Refused if any of that fails; the reason names no secret material
     */
    public static ReleaseGrant verify(byte[] encoded, int self, ReleaseKeys keys, long nowMillis) {
        if (encoded == null || encoded.length == 0) {
            throw new Refused("no authorization");
        }
        if (encoded.length > MAX_BYTES) {
            throw new Refused("authorization too large");
        }
        ByteBuffer in = ByteBuffer.wrap(encoded);
        try {
            if ((in.get() & 0xFF) != VERSION) {
                throw new Refused("unknown authorization version");
            }
            long keyId = in.getLong();
            Kind kind = Kind.of(in.get() & 0xFF);
            int coordinator = in.get() & 0xFF;
            String namespace = readString(in);
            int count = in.getShort() & 0xFFFF;
            if (count > MAX_NAMES) {
                throw new Refused("too many names");
            }
            List<String> names = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                names.add(readString(in));
            }
            long requestTime = in.getLong();
            long issuedAt = in.getLong();
            long expiresAt = in.getLong();
            in.position(in.position() + 16);
            byte[] request = new byte[Audit.REQUEST_BYTES];
            in.get(request);
            Audit audit = new Audit(request, readString(in), readString(in), readString(in), readString(in));
            int signedLength = in.position();
            int tags = in.get() & 0xFF;
            byte[] mine = null;
            for (int i = 0; i < tags; i++) {
                int node = in.get() & 0xFF;
                byte[] tag = new byte[TAG_BYTES];
                in.get(tag);
                if (node == self) {
                    mine = tag;
                }
            }
            if (in.hasRemaining()) {
                throw new Refused("trailing bytes after the authorization");
            }
            Mac key = keys.mac(keyId);
            if (key == null) {
                throw new Refused("authorization under an unknown gateway key");
            }
            if (mine == null || !MessageDigest.isEqual(mine, tag(key, encoded, signedLength))) {
                throw new Refused("authorization tag does not verify");
            }
            if (expiresAt - issuedAt > MAX_LIFETIME_MILLIS || expiresAt < issuedAt) {
                throw new Refused("authorization lifetime over " + MAX_LIFETIME_MILLIS + " ms");
            }
            if (nowMillis > expiresAt + CLOCK_SKEW_MILLIS || nowMillis < issuedAt - CLOCK_SKEW_MILLIS) {
                throw new Refused("authorization expired or not yet valid");
            }
            return new ReleaseGrant(keyId, kind, coordinator, namespace, names, requestTime, issuedAt, expiresAt, audit, encoded);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new Refused("malformed authorization");
        }
    }

    /** A MAC keyed with {@code key}, to be cloned for each use (keying it costs more than the tag). */
    static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is a required JDK algorithm", e);
        }
    }

    private static byte[] tag(Mac keyed, byte[] data, int length) {
        Mac mac;
        try {
            mac = (Mac) keyed.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's HmacSHA256 is cloneable", e);
        }
        mac.update(data, 0, length);
        return mac.doFinal();
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeShort(utf8.length);
        out.write(utf8);
    }

    private static String readString(ByteBuffer in) {
        int length = in.getShort() & 0xFFFF;
        if (length > in.remaining()) {
            throw new Refused("malformed authorization");
        }
        byte[] utf8 = new byte[length];
        in.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ReleaseGrant[" + kind + " " + namespace + "/" + names + " via node " + coordinator + "]";
    }
}
