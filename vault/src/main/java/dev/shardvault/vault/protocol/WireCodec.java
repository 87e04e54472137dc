package dev.shardvault.vault.protocol;

import dev.shardvault.vault.codec.BinaryReader;
import dev.shardvault.vault.codec.BinaryWriter;
import dev.shardvault.vault.codec.DomainCodec;
import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.HistoryReply;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.Messages.TxnStatus;
import dev.shardvault.vault.store.Journal;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShareState;
import dev.shardvault.vault.store.TxnState;
import dev.shardvault.vault.store.VersionMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Binary bodies of the peer protocol (HTTP POST, {@code application/octet-stream}). Every body starts with
 * the protocol version byte; a node refuses a version it does not speak. Field encodings are those of
 * {@link DomainCodec}; docs/storage-records.md lists them.
 */
public final class WireCodec {

    static final int VERSION = 1;
    private static final int MAX_OPS = 10_000;
    private static final int MAX_LIST = 1_000;
    private static final int MAX_VERSIONS = 10_000_000;

    private WireCodec() {
    }

    // ---- prepare ----

    public static byte[] prepareRequest(PrepareRequest request) {
        return write(out -> {
            DomainCodec.writeTxn(out, request.txn());
            out.i32(request.coordinator()).i32(request.ops().size());
            request.ops().forEach(op -> DomainCodec.writeOp(out, op));
        });
    }

    public static PrepareRequest prepareRequest(byte[] body) {
        return read(body, in -> {
            TxnId txn = DomainCodec.readTxn(in);
            int coordinator = in.i32();
            int count = in.count(MAX_OPS, 8);
            if (count == 0) {
                throw new MalformedException("a prepare needs at least one op");
            }
            List<Op> ops = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ops.add(DomainCodec.readOp(in));
            }
            return new PrepareRequest(txn, coordinator, ops);
        });
    }

    public static byte[] prepareResult(PrepareResult result) {
        return write(out -> {
            switch (result) {
                case PrepareResult.Voted voted -> {
                    out.u8(1).i32(voted.views().size());
                    voted.views().forEach(view -> DomainCodec.writeView(out, view));
                }
                case PrepareResult.Locked locked -> {
                    out.u8(2);
                    DomainCodec.writeId(out, locked.id());
                }
                case PrepareResult.Decided decided -> {
                    out.u8(3);
                    writeTxnState(out, decided.state());
                }
                case PrepareResult.RequestCommitted committed -> {
                    out.u8(4);
                    writeCommitted(out, committed.decision());
                }
            }
        });
    }

    public static PrepareResult prepareResult(byte[] body) {
        return read(body, in -> switch (in.u8()) {
            case 1 -> {
                int count = in.count(MAX_OPS, 1);
                List<SecretView> views = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    views.add(DomainCodec.readView(in));
                }
                yield new PrepareResult.Voted(views);
            }
            case 2 -> new PrepareResult.Locked(DomainCodec.readId(in));
            case 3 -> new PrepareResult.Decided(readTxnState(in));
            case 4 -> new PrepareResult.RequestCommitted(readCommitted(in));
            default -> throw new MalformedException("unknown prepare result");
        });
    }

    // ---- decide ----

    public static byte[] decision(Decision decision) {
        return write(out -> {
            switch (decision) {
                case Decision.Commit commit -> {
                    out.u8(1);
                    writeCommitted(out, commit.committed());
                }
                case Decision.Abort abort -> {
                    out.u8(2);
                    DomainCodec.writeTxn(out, abort.txn());
                }
            }
        });
    }

    public static Decision decision(byte[] body) {
        return read(body, in -> switch (in.u8()) {
            case 1 -> new Decision.Commit(readCommitted(in));
            case 2 -> new Decision.Abort(DomainCodec.readTxn(in));
            default -> throw new MalformedException("unknown decision");
        });
    }

    public static byte[] decideReply(DecideReply reply) {
        return write(out -> {
            switch (reply) {
                case DecideReply.Done done -> out.u8(1).bool(done.holdsShares());
                case DecideReply.Refused refused -> out.u8(2);
            }
        });
    }

    public static DecideReply decideReply(byte[] body) {
        return read(body, in -> switch (in.u8()) {
            case 1 -> new DecideReply.Done(in.bool());
            case 2 -> new DecideReply.Refused();
            default -> throw new MalformedException("unknown decide reply");
        });
    }

    // ---- txn status ----

    public static byte[] txn(TxnId txn) {
        return write(out -> DomainCodec.writeTxn(out, txn));
    }

    public static TxnId txn(byte[] body) {
        return read(body, DomainCodec::readTxn);
    }

    public static byte[] txnStatus(TxnStatus status) {
        return write(out -> {
            switch (status) {
                case TxnStatus.Committed committed -> {
                    out.u8(1);
                    writeCommitted(out, committed.decision());
                }
                case TxnStatus.Aborted aborted -> out.u8(2);
                case TxnStatus.Prepared prepared -> out.u8(3).i32(prepared.coordinator());
                case TxnStatus.InProgress inProgress -> out.u8(4);
            }
        });
    }

    public static TxnStatus txnStatus(byte[] body) {
        return read(body, in -> switch (in.u8()) {
            case 1 -> new TxnStatus.Committed(readCommitted(in));
            case 2 -> new TxnStatus.Aborted();
            case 3 -> new TxnStatus.Prepared(in.i32());
            case 4 -> new TxnStatus.InProgress();
            default -> throw new MalformedException("unknown txn status");
        });
    }

    // ---- reads ----

    /** The gateway's authorization travels with every request for a share ({@code ReleaseGrant}, at most this long). */
    public static final int MAX_AUTHORIZATION_BYTES = 64 * 1024;

    public static byte[] readRequest(SecretId id, Selector selector, byte[] authorization) {
        return write(out -> {
            DomainCodec.writeId(out, id);
            switch (selector) {
                case Selector.Latest latest -> out.u8(1);
                case Selector.ByVersion byVersion -> out.u8(2).i64(byVersion.version());
                case Selector.AsOf asOf -> out.u8(3).i64(asOf.instantMillis());
            }
            out.bytes(authorization);
        });
    }

    public record ReadRequest(SecretId id, Selector selector, byte[] authorization) {
    }

    public static ReadRequest readRequest(byte[] body) {
        return read(body, in -> {
            SecretId id = DomainCodec.readId(in);
            Selector selector = switch (in.u8()) {
                case 1 -> Selector.LATEST;
                case 2 -> new Selector.ByVersion(in.i64());
                case 3 -> new Selector.AsOf(in.i64());
                default -> throw new MalformedException("unknown selector");
            };
            return new ReadRequest(id, selector, in.bytes(MAX_AUTHORIZATION_BYTES));
        });
    }

    public static byte[] shareState(ShareState state) {
        BinaryWriter out = new BinaryWriter(128 + (state.share() == null ? 0 : state.share().length));
        out.u8(VERSION);
        DomainCodec.writeView(out, state.view());
        out.i64(state.version()).i64(state.validFromMillis()).i64(state.nextValidFromMillis());
        out.bool(state.share() != null);
        if (state.share() != null) {
            out.bytes(state.share());
        }
        out.bool(state.inDoubt());
        byte[] bytes = out.toByteArray();
        out.wipe();
        return bytes;
    }

    public static ShareState shareState(byte[] body) {
        return read(body, in -> {
            SecretView view = DomainCodec.readView(in);
            long version = in.i64();
            long validFrom = in.i64();
            long nextValidFrom = in.i64();
            byte[] share = in.bool() ? in.bytes(DomainCodec.MAX_SHARE_BYTES) : null;
            return new ShareState(view, version, validFrom, nextValidFrom, share, in.bool());
        });
    }

    public static byte[] id(SecretId id) {
        return write(out -> DomainCodec.writeId(out, id));
    }

    public static SecretId id(byte[] body) {
        return read(body, DomainCodec::readId);
    }

    public static byte[] historyReply(HistoryReply reply) {
        return write(out -> {
            DomainCodec.writeView(out, reply.view());
            out.i32(reply.versions().size());
            reply.versions().forEach(v -> out.i64(v.version()).i64(v.validFromMillis()));
        });
    }

    public static HistoryReply historyReply(byte[] body) {
        return read(body, in -> {
            SecretView view = DomainCodec.readView(in);
            int count = in.count(MAX_VERSIONS, 16);
            List<VersionMeta> versions = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                versions.add(new VersionMeta(in.i64(), in.i64()));
            }
            return new HistoryReply(view, versions);
        });
    }

    public record ListRequest(String namespace, String after, int limit) {
    }

    public static byte[] listRequest(String namespace, String after, int limit) {
        return write(out -> {
            out.string(namespace).bool(after != null);
            if (after != null) {
                out.string(after);
            }
            out.i32(limit);
        });
    }

    public static ListRequest listRequest(byte[] body) {
        return read(body, in -> {
            String namespace = in.string(DomainCodec.MAX_NAME_BYTES);
            String after = in.bool() ? in.string(DomainCodec.MAX_NAME_BYTES) : null;
            int limit = in.i32();
            if (limit < 1 || limit > MAX_LIST) {
                throw new MalformedException("list limit " + limit);
            }
            return new ListRequest(namespace, after, limit);
        });
    }

    public static byte[] listReply(ListReply reply) {
        return write(out -> {
            out.i32(reply.entries().size());
            for (Map.Entry<String, SecretView> entry : reply.entries()) {
                out.string(entry.getKey());
                DomainCodec.writeView(out, entry.getValue());
            }
        });
    }

    public static ListReply listReply(byte[] body) {
        return read(body, in -> {
            int count = in.count(MAX_LIST, 5);
            List<Map.Entry<String, SecretView>> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                entries.add(Map.entry(in.string(DomainCodec.MAX_NAME_BYTES), DomainCodec.readView(in)));
            }
            return new ListReply(entries);
        });
    }

    public record ChangesRequest(long epoch, long after, int limit) {
    }

    public static byte[] changesRequest(long epoch, long after, int limit) {
        return write(out -> out.i64(epoch).i64(after).i32(limit));
    }

    public static ChangesRequest changesRequest(byte[] body) {
        return read(body, in -> {
            long epoch = in.i64();
            long after = in.i64();
            int limit = in.i32();
            if (after < 0 || limit < 0 || limit > MAX_LIST) {
                throw new MalformedException("changes after " + after + ", limit " + limit);
            }
            return new ChangesRequest(epoch, after, limit);
        });
    }

    public static byte[] changesReply(ShardStore.Changes changes) {
        return write(out -> {
            out.i64(changes.epoch()).i64(changes.through()).bool(changes.continued()).i32(changes.entries().size());
            for (Map.Entry<SecretId, SecretView> entry : changes.entries()) {
                DomainCodec.writeId(out, entry.getKey());
                DomainCodec.writeView(out, entry.getValue());
            }
        });
    }

    public static ShardStore.Changes changesReply(byte[] body) {
        return read(body, in -> {
            long epoch = in.i64();
            long through = in.i64();
            boolean continued = in.bool();
            int count = in.count(MAX_LIST, 6);
            List<Map.Entry<SecretId, SecretView>> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                entries.add(Map.entry(DomainCodec.readId(in), DomainCodec.readView(in)));
            }
            return new ShardStore.Changes(epoch, through, continued, entries);
        });
    }

    // ---- repair and tombstones ----

    public static byte[] repairRequest(Messages.RepairRequest request) {
        BinaryWriter out = new BinaryWriter(64 + request.share().length + request.authorization().length);
        out.u8(VERSION);
        DomainCodec.writeId(out, request.id());
        out.i64(request.incarnation()).i64(request.version()).i64(request.validFromMillis()).bytes(request.share())
           .bytes(request.authorization());
        byte[] bytes = out.toByteArray();
        out.wipe();
        return bytes;
    }

    public static Messages.RepairRequest repairRequest(byte[] body) {
        return read(body, in -> new Messages.RepairRequest(DomainCodec.readId(in), in.i64(), in.i64(), in.i64(),
                                                           in.bytes(DomainCodec.MAX_SHARE_BYTES),
                                                           in.bytes(MAX_AUTHORIZATION_BYTES)));
    }

    public static byte[] repairOutcome(dev.shardvault.vault.store.ShardStore.RepairOutcome outcome) {
        return write(out -> out.u8(outcome.ordinal()));
    }

    public static dev.shardvault.vault.store.ShardStore.RepairOutcome repairOutcome(byte[] body) {
        return read(body, in -> {
            int ordinal = in.u8();
            var values = dev.shardvault.vault.store.ShardStore.RepairOutcome.values();
            if (ordinal >= values.length) {
                throw new MalformedException("unknown repair outcome " + ordinal);
            }
            return values[ordinal];
        });
    }

    public static byte[] tombstoneRequest(Messages.TombstoneRequest request) {
        return write(out -> {
            DomainCodec.writeId(out, request.id());
            out.i64(request.incarnation()).i64(request.deletedAtMillis());
        });
    }

    public static Messages.TombstoneRequest tombstoneRequest(byte[] body) {
        return read(body, in -> new Messages.TombstoneRequest(DomainCodec.readId(in), in.i64(), in.i64()));
    }

    public static byte[] bool(boolean value) {
        return write(out -> out.bool(value));
    }

    public static boolean bool(byte[] body) {
        return read(body, BinaryReader::bool);
    }

    // ---- rebuild: catalogue and share recovery ----

    /** Largest catalogue page, and most versions one recovery session names. */
    public static final int MAX_CATALOGUE = 1_000;
    public static final int MAX_RECOVER_REFS = 4_096;
    private static final int SESSION_BYTES = 16;
    private static final int DIGEST_BYTES = 32;

    public record CatalogueRequest(SecretId after, int limit) {
    }

    public static byte[] catalogueRequest(SecretId after, int limit) {
        return write(out -> {
            out.bool(after != null);
            if (after != null) {
                DomainCodec.writeId(out, after);
            }
            out.i32(limit);
        });
    }

    public static CatalogueRequest catalogueRequest(byte[] body) {
        return read(body, in -> {
            SecretId after = in.bool() ? DomainCodec.readId(in) : null;
            int limit = in.i32();
            if (limit < 1 || limit > MAX_CATALOGUE) {
                throw new MalformedException("catalogue limit " + limit);
            }
            return new CatalogueRequest(after, limit);
        });
    }

    public static byte[] catalogueReply(List<Messages.CatalogueEntry> entries) {
        return write(out -> {
            out.i32(entries.size());
            for (Messages.CatalogueEntry entry : entries) {
                DomainCodec.writeId(out, entry.id());
                DomainCodec.writeView(out, entry.view());
                out.i32(entry.versions().size());
                entry.versions().forEach(v -> out.i64(v.version()).i64(v.validFromMillis()));
            }
        });
    }

    public static List<Messages.CatalogueEntry> catalogueReply(byte[] body) {
        return read(body, in -> {
            int count = in.count(MAX_CATALOGUE, 9);
            List<Messages.CatalogueEntry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                SecretId id = DomainCodec.readId(in);
                SecretView view = DomainCodec.readView(in);
                int versions = in.count(MAX_VERSIONS, 16);
                List<VersionMeta> metas = new ArrayList<>(versions);
                for (int v = 0; v < versions; v++) {
                    metas.add(new VersionMeta(in.i64(), in.i64()));
                }
                entries.add(new Messages.CatalogueEntry(id, view, metas));
            }
            return entries;
        });
    }

    public static byte[] recoverSplit(Messages.RecoverSplit split) {
        return write(out -> {
            out.raw(split.session()).i32(split.target());
            int[] helpers = split.helpers();
            out.i32(helpers.length);
            for (int helper : helpers) {
                out.i32(helper);
            }
            out.i32(split.refs().size());
            for (Messages.VersionRef ref : split.refs()) {
                DomainCodec.writeId(out, ref.id());
                out.i64(ref.incarnation()).i64(ref.version());
            }
        });
    }

    public static Messages.RecoverSplit recoverSplit(byte[] body) {
        return read(body, in -> {
            byte[] session = in.raw(SESSION_BYTES);
            int target = in.i32();
            int[] helpers = new int[in.count(255, 4)];
            for (int i = 0; i < helpers.length; i++) {
                helpers[i] = in.i32();
            }
            int count = in.count(MAX_RECOVER_REFS, 24);
            List<Messages.VersionRef> refs = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                refs.add(new Messages.VersionRef(DomainCodec.readId(in), in.i64(), in.i64()));
            }
            return new Messages.RecoverSplit(session, target, helpers, refs);
        });
    }

    public static byte[] held(boolean[] held) {
        return write(out -> {
            out.i32(held.length);
            for (boolean h : held) {
                out.bool(h);
            }
        });
    }

    public static boolean[] held(byte[] body) {
        return read(body, WireCodec::readHeld);
    }

    private static boolean[] readHeld(BinaryReader in) {
        boolean[] held = new boolean[in.count(MAX_RECOVER_REFS, 1)];
        for (int i = 0; i < held.length; i++) {
            held[i] = in.bool();
        }
        return held;
    }

    public static byte[] recoverPiece(Messages.RecoverPiece piece) {
        return write(out -> {
            out.raw(piece.session()).raw(piece.digest()).i32(piece.held().length);
            for (int i = 0; i < piece.held().length; i++) {
                out.bool(piece.held()[i]);
                if (piece.held()[i]) {
                    out.bytes(piece.pieces()[i]);
                }
            }
        });
    }

    public static Messages.RecoverPiece recoverPiece(byte[] body) {
        return read(body, in -> {
            byte[] session = in.raw(SESSION_BYTES);
            byte[] digest = in.raw(DIGEST_BYTES);
            boolean[] held = new boolean[in.count(MAX_RECOVER_REFS, 1)];
            byte[][] pieces = new byte[held.length][];
            for (int i = 0; i < held.length; i++) {
                held[i] = in.bool();
                if (held[i]) {
                    pieces[i] = in.bytes(DomainCodec.MAX_SHARE_BYTES);
                }
            }
            return new Messages.RecoverPiece(session, digest, held, pieces);
        });
    }

    public static byte[] recoverSum(Messages.RecoverSum sum) {
        return write(out -> out.raw(sum.session()).raw(sum.digest()));
    }

    public static Messages.RecoverSum recoverSum(byte[] body) {
        return read(body, in -> new Messages.RecoverSum(in.raw(SESSION_BYTES), in.raw(DIGEST_BYTES)));
    }

    /** Per version of the split, the helper's sum of pieces, or null where not every helper held that version. */
    public static byte[] sums(byte[][] sums) {
        return write(out -> {
            out.i32(sums.length);
            for (byte[] sum : sums) {
                out.bool(sum != null);
                if (sum != null) {
                    out.bytes(sum);
                }
            }
        });
    }

    public static byte[][] sums(byte[] body) {
        return read(body, in -> {
            byte[][] sums = new byte[in.count(MAX_RECOVER_REFS, 1)][];
            for (int i = 0; i < sums.length; i++) {
                sums[i] = in.bool() ? in.bytes(DomainCodec.MAX_SHARE_BYTES) : null;
            }
            return sums;
        });
    }

    // ---- batch: several calls to one peer in one exchange ----

    /** Calls one batch may carry; a sender splits anything beyond it into further batches. */
    public static final int MAX_BATCH_CALLS = 1_024;

    /**
     * One call inside a batch: on the way out {@code code} is the route's code and {@code body} its request; on
     * the way back {@code code} is how the call went and {@code body} its reply (or a UTF-8 reason).
     */
    public record Batched(int code, byte[] body) {
    }

    public static byte[] batch(List<Batched> calls) {
        int bytes = 8;
        for (Batched call : calls) {
            bytes += 5 + call.body().length;
        }
        BinaryWriter out = new BinaryWriter(bytes);
        out.u8(VERSION).i32(calls.size());
        for (Batched call : calls) {
            out.u8(call.code()).bytes(call.body());
        }
        byte[] encoded = out.toByteArray();
        out.wipe(); // prepares carry shares
        return encoded;
    }

    public static List<Batched> batch(byte[] body) {
        return read(body, in -> {
            int count = in.count(MAX_BATCH_CALLS, 5);
            if (count == 0) {
                throw new MalformedException("a batch holds at least one call");
            }
            List<Batched> calls = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                calls.add(new Batched(in.u8(), in.bytes(body.length)));
            }
            return calls;
        });
    }

    // ---- shared pieces ----

    private static void writeCommitted(BinaryWriter out, Journal.Committed committed) {
        DomainCodec.writeTxn(out, committed.txn());
        out.i32(committed.outcomes().size());
        committed.outcomes().forEach(outcome -> DomainCodec.writeOutcome(out, outcome));
    }

    private static Journal.Committed readCommitted(BinaryReader in) {
        TxnId txn = DomainCodec.readTxn(in);
        int count = in.count(MAX_OPS, 1);
        List<Outcome> outcomes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            outcomes.add(DomainCodec.readOutcome(in));
        }
        return new Journal.Committed(txn, outcomes);
    }

    private static void writeTxnState(BinaryWriter out, TxnState state) {
        switch (state) {
            case TxnState.IsCommitted committed -> {
                out.u8(1);
                writeCommitted(out, committed.decision());
            }
            case TxnState.IsAborted aborted -> out.u8(2);
            case TxnState.IsPrepared prepared -> out.u8(3).i32(prepared.coordinator());
            case TxnState.IsUnknown unknown -> out.u8(4);
        }
    }

    private static TxnState readTxnState(BinaryReader in) {
        return switch (in.u8()) {
            case 1 -> new TxnState.IsCommitted(readCommitted(in));
            case 2 -> new TxnState.IsAborted();
            case 3 -> new TxnState.IsPrepared(in.i32());
            case 4 -> new TxnState.IsUnknown();
            default -> throw new MalformedException("unknown txn state");
        };
    }

    private static byte[] write(Consumer<BinaryWriter> body) {
        BinaryWriter out = new BinaryWriter(256);
        out.u8(VERSION);
        body.accept(out);
        byte[] bytes = out.toByteArray();
        out.wipe();
        return bytes;
    }

    private static <T> T read(byte[] body, Function<BinaryReader, T> decoder) {
        BinaryReader in = new BinaryReader(body);
        int version = in.u8();
        if (version != VERSION) {
            throw new MalformedException("peer protocol version " + version + " is not " + VERSION);
        }
        T value = decoder.apply(in);
        in.end();
        return value;
    }
}
