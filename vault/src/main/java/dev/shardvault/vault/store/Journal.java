package dev.shardvault.vault.store;

import dev.shardvault.log.LogRecord;
import dev.shardvault.log.RecordType;
import dev.shardvault.vault.codec.BinaryReader;
import dev.shardvault.vault.codec.BinaryWriter;
import dev.shardvault.vault.codec.DomainCodec;
import dev.shardvault.vault.codec.MalformedException;
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
 *          op = kind u8 (1 put) | namespace str | name str | putKind u8 (0 create, 1 update)
 *               | expectedVersion i64 | share bytes        (str, bytes = u32 length + bytes)
 * COMMIT   v | txn(24) | outcomeCount u32 | outcome*
 *          outcome = kind u8 (1 applied) | namespace str | name str | incarnation i64 | version i64 | validFromMillis i64
 * ABORT    v | txn(24)
 * </pre>
 * One PREPARE record per operation, so that deleting one secret of a batch erases only its own share.
 */
public final class Journal {

    static final int FORMAT = 1;
    static final int MAX_OPS = 10_000;

    private Journal() {
    }

    /** A decoded payload. */
    public sealed interface Entry {
        TxnId txn();
    }

    /** This node's share of operation {@code opIndex} of {@code opCount} in a transaction. */
    public record Prepared(TxnId txn, int coordinator, int opIndex, int opCount, Op op) implements Entry {
    }

    /** The decision to commit, with what it decided for every operation. */
    public record Committed(TxnId txn, List<Outcome> outcomes) implements Entry {
        public Committed {
            outcomes = List.copyOf(outcomes);
        }

        public List<SecretId> ids() {
            return outcomes.stream().map(Outcome::id).toList();
        }
    }

    /** The decision (or a refusal) to abort. */
    public record Aborted(TxnId txn) implements Entry {
    }

    public static LogRecord encode(Entry entry) {
        BinaryWriter out = new BinaryWriter(128);
        out.u8(FORMAT);
        DomainCodec.writeTxn(out, entry.txn());
        RecordType type = switch (entry) {
            case Prepared prepared -> {
                out.i32(prepared.coordinator()).i32(prepared.opIndex()).i32(prepared.opCount());
                DomainCodec.writeOp(out, prepared.op());
                yield RecordType.PREPARE;
            }
            case Committed committed -> {
                out.i32(committed.outcomes().size());
                committed.outcomes().forEach(outcome -> DomainCodec.writeOutcome(out, outcome));
                yield RecordType.COMMIT;
            }
            case Aborted aborted -> RecordType.ABORT;
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
        TxnId txn = DomainCodec.readTxn(in);
        Entry entry = switch (record.type()) {
            case PREPARE -> {
                int coordinator = in.i32();
                int opIndex = in.i32();
                int opCount = in.i32();
                if (opCount < 1 || opCount > MAX_OPS || opIndex < 0 || opIndex >= opCount) {
                    throw new MalformedException("op " + opIndex + " of " + opCount);
                }
                yield new Prepared(txn, coordinator, opIndex, opCount, DomainCodec.readOp(in));
            }
            case COMMIT -> {
                int count = in.count(MAX_OPS, 1);
                List<Outcome> outcomes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    outcomes.add(DomainCodec.readOutcome(in));
                }
                yield new Committed(txn, outcomes);
            }
            case ABORT -> new Aborted(txn);
            default -> throw new MalformedException("record type " + record.type() + " is not written by this version");
        };
        in.end();
        return entry;
    }
}
