package dev.shardvault.vault.store;

import dev.shardvault.log.LogRecord;
import dev.shardvault.log.RecordType;
import dev.shardvault.vault.codec.BinaryReader;
import dev.shardvault.vault.codec.BinaryWriter;
import dev.shardvault.vault.codec.DomainCodec;
import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.custody.EventCodec;
import dev.shardvault.vault.custody.Stamped;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import java.util.ArrayList;
import java.util.List;

/**
 * The vault's log payloads. Each payload starts with a format version byte (1); fields are little-endian.
 * docs/storage-records.md describes every field byte for byte.
 *
 * <pre>
 * PREPARE  v | txn(24) | coordinator u32 | opIndex u32 | opCount u32 | op
 *          op = 1 (put) | namespace str | name str | putKind u8 (0 create, 1 update) | expectedVersion i64 | share bytes
 *             | 2 (remove) | namespace str | name str                 (str, bytes = u32 length + bytes)
 * COMMIT   v | txn(24) | outcomeCount u32 | outcome*
 *          outcome = 1 (applied) | namespace str | name str | incarnation i64 | version i64 | validFromMillis i64
 *                  | 2 (removed) | namespace str | name str | incarnation i64 | deletedAtMillis i64
 * ABORT    v | txn(24)
 * DELETE   v | namespace str | name str | incarnation i64 | deletedAtMillis i64       (a tombstone learned from a peer)
 * REPAIR   v | namespace str | name str | incarnation i64 | version i64 | validFromMillis i64 | share bytes
 * EVENT    v | event (see {@link EventCodec}) | hash 32      (a custody event; hash chains the secret's events here)
 * </pre>
 * One PREPARE record per operation, so that deleting one secret of a batch erases only its own share.
 */
public final class Journal {

    static final int FORMAT = 1;
    static final int MAX_OPS = 10_000;
    static final int HASH_BYTES = 32;

    private Journal() {
    }

    /** A decoded payload. */
    public sealed interface Entry {
    }

    /** An entry of a two-phase-commit transaction. */
    public sealed interface TxnEntry extends Entry {
        TxnId txn();
    }

    /** A tombstone this node learned from a peer (a delete it missed). */
    public record Tombstoned(SecretId id, long incarnation, long deletedAtMillis) implements Entry {
    }

    /** A share of an existing version, restored by read repair: it never makes a new version. */
    public record Repaired(SecretId id, long incarnation, long version, long validFromMillis, byte[] share) implements Entry {
        public Repaired {
            share = share.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Repaired that && id.equals(that.id) && incarnation == that.incarnation
                   && version == that.version && validFromMillis == that.validFromMillis
                   && java.util.Arrays.equals(share, that.share);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(id, incarnation, version);
        }

        @Override
        public String toString() {
            return "Repaired[" + id + ", inc " + incarnation + ", v" + version + ", share=<" + share.length + " bytes>]";
        }
    }

    /**
     * A custody event: {@code content} is its {@link EventCodec} bytes, {@code hash} = SHA-256(the previous EVENT
     * record's hash for the same secret on this node, 32 zero bytes for the first || content).
     */
    public record Recorded(Stamped stamped, byte[] content, byte[] hash) implements Entry {
        @Override
        public String toString() {
            return "Recorded[" + stamped.event().secret() + " " + stamped.event().id() + "]";
        }
    }

    /** This node's share of operation {@code opIndex} of {@code opCount} in a transaction. */
    public record Prepared(TxnId txn, int coordinator, int opIndex, int opCount, Op op) implements TxnEntry {
    }

    /** The decision to commit, with what it decided for every operation. */
    public record Committed(TxnId txn, List<Outcome> outcomes) implements TxnEntry {
        public Committed {
            outcomes = List.copyOf(outcomes);
        }

        public List<SecretId> ids() {
            return outcomes.stream().map(Outcome::id).toList();
        }
    }

    /** The decision (or a refusal) to abort. */
    public record Aborted(TxnId txn) implements TxnEntry {
    }

    public static LogRecord encode(Entry entry) {
        BinaryWriter out = new BinaryWriter(128);
        out.u8(FORMAT);
        RecordType type = switch (entry) {
            case Prepared prepared -> {
                DomainCodec.writeTxn(out, prepared.txn());
                out.i32(prepared.coordinator()).i32(prepared.opIndex()).i32(prepared.opCount());
                DomainCodec.writeOp(out, prepared.op());
                yield RecordType.PREPARE;
            }
            case Committed committed -> {
                DomainCodec.writeTxn(out, committed.txn());
                out.i32(committed.outcomes().size());
                committed.outcomes().forEach(outcome -> DomainCodec.writeOutcome(out, outcome));
                yield RecordType.COMMIT;
            }
            case Aborted aborted -> {
                DomainCodec.writeTxn(out, aborted.txn());
                yield RecordType.ABORT;
            }
            case Tombstoned tombstoned -> {
                DomainCodec.writeId(out, tombstoned.id());
                out.i64(tombstoned.incarnation()).i64(tombstoned.deletedAtMillis());
                yield RecordType.DELETE;
            }
            case Repaired repaired -> {
                DomainCodec.writeId(out, repaired.id());
                out.i64(repaired.incarnation()).i64(repaired.version()).i64(repaired.validFromMillis()).bytes(repaired.share);
                yield RecordType.REPAIR;
            }
            case Recorded recorded -> {
                out.raw(recorded.content()).raw(recorded.hash());
                yield RecordType.EVENT;
            }
        };
        LogRecord record = new LogRecord(type, out.toByteArray());
        out.wipe();
        return record;
    }

    public static Entry decode(LogRecord record) {
        BinaryReader in = new BinaryReader(record.payloadBuffer());
        int format = in.u8();
        if (format != FORMAT) {
            throw new MalformedException("unknown " + record.type() + " payload format " + format);
        }
        Entry entry = switch (record.type()) {
            case PREPARE -> {
                TxnId txn = DomainCodec.readTxn(in);
                int coordinator = in.i32();
                int opIndex = in.i32();
                int opCount = in.i32();
                if (opCount < 1 || opCount > MAX_OPS || opIndex < 0 || opIndex >= opCount) {
                    throw new MalformedException("op " + opIndex + " of " + opCount);
                }
                yield new Prepared(txn, coordinator, opIndex, opCount, DomainCodec.readOp(in));
            }
            case COMMIT -> {
                TxnId txn = DomainCodec.readTxn(in);
                int count = in.count(MAX_OPS, 1);
                List<Outcome> outcomes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    outcomes.add(DomainCodec.readOutcome(in));
                }
                yield new Committed(txn, outcomes);
            }
            case ABORT -> new Aborted(DomainCodec.readTxn(in));
            case DELETE -> new Tombstoned(DomainCodec.readId(in), in.i64(), in.i64());
            case REPAIR -> new Repaired(DomainCodec.readId(in), in.i64(), in.i64(), in.i64(), in.bytes(DomainCodec.MAX_SHARE_BYTES));
            case EVENT -> {
                Stamped stamped = EventCodec.read(in);
                byte[] payload = record.payload();
                byte[] content = java.util.Arrays.copyOfRange(payload, 1, payload.length - HASH_BYTES);
                yield new Recorded(stamped, content, in.raw(HASH_BYTES));
            }
        };
        in.end();
        return entry;
    }

    /** The secret whose share this record carries, or null (records without a share). */
    static SecretId shareOwner(Entry entry) {
        return switch (entry) {
            case Prepared prepared when prepared.op() instanceof Op.Put put -> put.id();
            case Repaired repaired -> repaired.id();
            default -> null;
        };
    }
}
