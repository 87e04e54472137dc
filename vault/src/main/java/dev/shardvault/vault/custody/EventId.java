package dev.shardvault.vault.custody;

import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.Sha256;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * An event's id: 128 bits, shown as 32 lowercase hex digits. Ids are derived, never drawn: the event that wrote
 * a version is named by the version itself (so a reader names it as its parent without asking anyone), and any
 * other event by its request's id, so a retry or a fail-over to another node names the same event again.
 */
public record EventId(long high, long low) implements Comparable<EventId> {

    public static final int BYTES = 16;

    /** The event that wrote version {@code version} of incarnation {@code incarnation} of {@code secret}. */
    public static EventId ofVersion(SecretId secret, long incarnation, long version) {
        return derive("version", secret, incarnation, version, null);
    }

    /** The event of the delete that ended incarnation {@code incarnation}. */
    public static EventId ofDeletion(SecretId secret, long incarnation) {
        return derive("deletion", secret, incarnation, 0, null);
    }

    /** The event of request {@code request} (16 bytes) on {@code secret}, of kind {@code kind}. */
    public static EventId ofRequest(byte[] request, SecretId secret, String kind) {
        return derive(kind, secret, 0, 0, request);
    }

    /** An event that follows {@code cause} (a repair of node {@code node} after a read, say). */
    public static EventId following(EventId cause, String kind, long discriminator) {
        ByteBuffer bytes = ByteBuffer.allocate(BYTES);
        bytes.putLong(cause.high).putLong(cause.low);
        return derive(kind, null, discriminator, 0, bytes.array());
    }

    private static EventId derive(String kind, SecretId secret, long a, long b, byte[] request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96);
        out.writeBytes(("shardvault-event\0" + kind + "\0").getBytes(StandardCharsets.UTF_8));
        if (secret != null) {
            out.writeBytes((secret.namespace() + "\0" + secret.name() + "\0").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(ByteBuffer.allocate(16).putLong(a).putLong(b).array());
        if (request != null) {
            out.writeBytes(request);
        }
        ByteBuffer digest = ByteBuffer.wrap(Sha256.digest(out.toByteArray()));
        return new EventId(digest.getLong(), digest.getLong());
    }

    public static EventId parse(String hex) {
        if (hex == null || !hex.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("an event id is 32 lowercase hex digits");
        }
        return new EventId(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16), 16));
    }

    public String hex() {
        return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
    }

    @Override
    public int compareTo(EventId other) {
        int byHigh = Long.compareUnsigned(high, other.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, other.low);
    }

    @Override
    public String toString() {
        return hex();
    }
}
