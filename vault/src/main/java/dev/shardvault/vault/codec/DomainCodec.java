package dev.shardvault.vault.codec;

import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;

/** Encodings of the domain values shared by log payloads and peer messages. */
public final class DomainCodec {

    /** A share is as long as the sealed value: at most a 64 KiB value plus its 32-byte digest. */
    public static final int MAX_SHARE_BYTES = 65536 + 32;
    public static final int MAX_NAME_BYTES = 256;

    private static final int OP_PUT = 1;
    private static final int OP_REMOVE = 2;
    private static final int OUTCOME_APPLIED = 1;
    private static final int OUTCOME_REMOVED = 2;
    private static final int OUTCOME_REFUSED = 3;
    private static final int VIEW_ABSENT = 0;
    private static final int VIEW_LIVE = 1;
    private static final int VIEW_DELETED = 2;

    private DomainCodec() {
    }

    public static void writeTxn(BinaryWriter out, TxnId txn) {
        out.i64(txn.request().high()).i64(txn.request().low()).i64(txn.attempt());
    }

    public static TxnId readTxn(BinaryReader in) {
        return new TxnId(readRequest(in), in.i64());
    }

    public static void writeRequest(BinaryWriter out, RequestId request) {
        out.i64(request.high()).i64(request.low());
    }

    public static RequestId readRequest(BinaryReader in) {
        return new RequestId(in.i64(), in.i64());
    }

    public static void writeId(BinaryWriter out, SecretId id) {
        out.string(id.namespace()).string(id.name());
    }

    public static SecretId readId(BinaryReader in) {
        String namespace = in.string(MAX_NAME_BYTES);
        String name = in.string(MAX_NAME_BYTES);
        try {
            return new SecretId(namespace, name);
        } catch (IllegalArgumentException e) {
            throw new MalformedException(e.getMessage());
        }
    }

    public static void writeOp(BinaryWriter out, Op op) {
        switch (op) {
            case Op.Put put -> {
                out.u8(OP_PUT);
                writeId(out, put.id());
                out.u8(put.kind().ordinal()).i64(put.expectedVersion()).bytes(put.shareView());
            }
            case Op.Remove remove -> {
                out.u8(OP_REMOVE);
                writeId(out, remove.id());
            }
        }
    }

    public static Op readOp(BinaryReader in) {
        int kind = in.u8();
        if (kind == OP_REMOVE) {
            return new Op.Remove(readId(in));
        }
        if (kind != OP_PUT) {
            throw new MalformedException("unknown op kind " + kind);
        }
        SecretId id = readId(in);
        int putKind = in.u8();
        if (putKind >= Op.Put.Kind.values().length) {
            throw new MalformedException("unknown put kind " + putKind);
        }
        return new Op.Put(id, Op.Put.Kind.values()[putKind], in.i64(), in.bytes(MAX_SHARE_BYTES));
    }

    public static void writeOutcome(BinaryWriter out, Outcome outcome) {
        switch (outcome) {
            case Outcome.Applied applied -> {
                out.u8(OUTCOME_APPLIED);
                writeId(out, applied.id());
                out.i64(applied.incarnation()).i64(applied.version()).i64(applied.validFromMillis());
            }
            case Outcome.Removed removed -> {
                out.u8(OUTCOME_REMOVED);
                writeId(out, removed.id());
                out.i64(removed.incarnation()).i64(removed.deletedAtMillis());
            }
            case Outcome.Refused refused -> {
                out.u8(OUTCOME_REFUSED);
                writeId(out, refused.id());
                out.u8(refused.reason().ordinal() + 1);
                writeView(out, refused.seen());
            }
        }
    }

    public static Outcome readOutcome(BinaryReader in) {
        int kind = in.u8();
        return switch (kind) {
            case OUTCOME_APPLIED -> new Outcome.Applied(readId(in), in.i64(), in.i64(), in.i64());
            case OUTCOME_REMOVED -> new Outcome.Removed(readId(in), in.i64(), in.i64());
            case OUTCOME_REFUSED -> {
                SecretId id = readId(in);
                int reason = in.u8();
                if (reason < 1 || reason > Outcome.Reason.values().length) {
                    throw new MalformedException("unknown refusal reason " + reason);
                }
                SecretView seen = readView(in);
                try {
                    yield new Outcome.Refused(id, Outcome.Reason.values()[reason - 1], seen);
                } catch (IllegalArgumentException e) {
                    throw new MalformedException(e.getMessage());
                }
            }
            default -> throw new MalformedException("unknown outcome kind " + kind);
        };
    }

    public static void writeView(BinaryWriter out, SecretView view) {
        switch (view) {
            case SecretView.Absent absent -> out.u8(VIEW_ABSENT);
            case SecretView.Live live -> out.u8(VIEW_LIVE).i64(live.incarnation()).i64(live.latestVersion())
                    .i64(live.latestValidFromMillis());
            case SecretView.Deleted deleted -> out.u8(VIEW_DELETED).i64(deleted.incarnation()).i64(deleted.deletedAtMillis());
        }
    }

    public static SecretView readView(BinaryReader in) {
        int kind = in.u8();
        return switch (kind) {
            case VIEW_ABSENT -> SecretView.ABSENT;
            case VIEW_LIVE -> new SecretView.Live(in.i64(), in.i64(), in.i64());
            case VIEW_DELETED -> new SecretView.Deleted(in.i64(), in.i64());
            default -> throw new MalformedException("unknown view kind " + kind);
        };
    }
}
