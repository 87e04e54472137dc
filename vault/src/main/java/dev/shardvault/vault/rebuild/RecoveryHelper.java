package dev.shardvault.vault.rebuild;

import dev.shardvault.tls.Identity;
import dev.shardvault.vault.config.ClusterConfig;
import dev.shardvault.vault.config.NodeAddress;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.Sha256;
import dev.shardvault.vault.protocol.Messages.RecoverPiece;
import dev.shardvault.vault.protocol.Messages.RecoverSplit;
import dev.shardvault.vault.protocol.Messages.RecoverSum;
import dev.shardvault.vault.protocol.Messages.VersionRef;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.Peers;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.shamir.ShareRecovery;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShareState;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The helper's side of share recovery (docs/model.md, "Rebuilding a lost disk"): this node computes its term of
 * another node's share, hands random pieces of it to the other helpers, and later hands the target the sum of
 * the pieces it holds. It never sends or receives a share.
 *
 * <p>Rules: a split is served only to the node whose share it recovers (its mTLS identity is the split's target,
 * so a node recovers only its own x), with exactly k helpers that are cluster members, this node among them and
 * the target not; pieces are taken only from a helper of the session they name; a sum goes only to the
 * session's target, once, and only when every other helper's pieces of that same split (same SHA-256 of its
 * body) arrived. Sessions are held in memory for {@value #SESSION_MILLIS} ms at most, {@value #MAX_SESSIONS}
 * at once; every term, piece and sum is zeroed when its session ends.
 */
public final class RecoveryHelper {

    static final int MAX_SESSIONS = 64;
    static final long SESSION_MILLIS = 30_000;

    private final int self;
    private final ClusterConfig cluster;
    private final ShardStore store;
    private final Peers peers;
    private final SecureRandom random;
    private final long pieceTimeoutMillis;
    // Guarded by itself.
    private final Map<ByteBuffer, Session> sessions = new HashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong termsComputed = new AtomicLong();
    private final AtomicLong piecesReceived = new AtomicLong();

    /** One recovery this node helps with. */
    private static final class Session {
        final long createdNanos = System.nanoTime();
        /** From this node's own split: null until it arrives. */
        byte[] digest;
        int target;
        int[] helpers;
        boolean[] held;
        byte[][] ownPieces;
        /** Pieces from the other helpers, by sender, possibly before this node's own split. */
        final Map<Identity, RecoverPiece> received = new HashMap<>();

        void wipe() {
            if (ownPieces != null) {
                ShareRecovery.wipe(ownPieces);
            }
            received.values().forEach(piece -> ShareRecovery.wipe(piece.pieces()));
            received.clear();
        }
    }

    /** A request this node will not serve to its caller (answered 403). */
    public static final class Refused extends RuntimeException {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    public RecoveryHelper(int self, ClusterConfig cluster, ShardStore store, Peers peers, SecureRandom random,
                          long pieceTimeoutMillis) {
        this.self = self;
        this.cluster = cluster;
        this.store = store;
        this.peers = peers;
        this.random = random;
        this.pieceTimeoutMillis = pieceTimeoutMillis;
    }

    /** Recovery requests refused since start (wrong caller, wrong helper set). */
    public long refused() {
        return refused.get();
    }

    /** Terms of another node's share this node computed (one per version per split it served). */
    public long termsComputed() {
        return termsComputed.get();
    }

    /** Pieces of other helpers' terms this node received (per version). */
    public long piecesReceived() {
        return piecesReceived.get();
    }

    /**
     * Round one: {@code body} is the split's encoded body (its SHA-256 names the split to the other helpers).
     * Answers, per version, whether this node holds it, once every other helper has its pieces.
     */
    public boolean[] split(Identity caller, byte[] body) throws PeerUnavailableException {
        RecoverSplit split = WireCodec.recoverSplit(body);
        int[] helpers = split.helpers();
        int target = split.target();
        if (!isMember(target) || !caller.equals(Identity.node(target))) {
            throw refuse(caller + " asked for the share of node " + target + "; a node recovers only its own");
        }
        if (helpers.length != cluster.k()) {
            throw refuse("a recovery takes exactly k = " + cluster.k() + " helpers, not " + helpers.length);
        }
        try {
            ShareRecovery.checkPoints(helpers, target);
        } catch (IllegalArgumentException e) {
            throw refuse(e.getMessage());
        }
        int me = -1;
        for (int i = 0; i < helpers.length; i++) {
            if (!isMember(helpers[i])) {
                throw refuse("helper " + helpers[i] + " is not a node of this cluster");
            }
            if (helpers[i] == self) {
                me = i;
            }
        }
        if (me < 0) {
            throw refuse("this node is not one of the helpers named");
        }
        byte[] digest = Sha256.digest(body);
        Session session = session(split.session());
        List<VersionRef> refs = split.refs();
        boolean[] held = new boolean[refs.size()];
        byte[][][] pieces = new byte[refs.size()][][]; // [version][helper]
        for (int r = 0; r < refs.size(); r++) {
            VersionRef ref = refs.get(r);
            ShareState state = store.read(ref.id(), new Selector.ByVersion(ref.version()));
            if (state.share() != null && state.version() == ref.version()
                && state.view() instanceof SecretView.Live live && live.incarnation() == ref.incarnation()) {
                byte[] term = ShareRecovery.contribution(helpers, me, target, state.share());
                ShareRecovery.wipe(state.share());
                pieces[r] = ShareRecovery.pieces(term, helpers.length, random);
                ShareRecovery.wipe(term);
                held[r] = true;
                termsComputed.incrementAndGet();
            }
        }
        byte[][] own = new byte[refs.size()][];
        for (int r = 0; r < refs.size(); r++) {
            own[r] = held[r] ? pieces[r][me] : null;
        }
        synchronized (sessions) {
            if (session.digest != null) {
                ShareRecovery.wipe(own);
                wipeAll(pieces);
                throw refuse("recovery session already split here");
            }
            session.digest = digest;
            session.target = target;
            session.helpers = helpers;
            session.held = held;
            session.ownPieces = own;
        }
        try {
            sendPieces(split.session(), digest, helpers, me, held, pieces);
        } finally {
            for (int r = 0; r < refs.size(); r++) {
                if (pieces[r] != null) {
                    for (int m = 0; m < helpers.length; m++) {
                        if (m != me) {
                            ShareRecovery.wipe(pieces[r][m]);
                        }
                    }
                }
            }
        }
        return held;
    }

    /** Takes one helper's pieces for this node. */
    public void piece(Identity caller, byte[] body) throws PeerUnavailableException {
        RecoverPiece piece = WireCodec.recoverPiece(body);
        if (!isMemberIdentity(caller)) {
            throw refuse(caller + " is not a node of this cluster");
        }
        Session session = session(piece.session());
        synchronized (sessions) {
            if (session.helpers != null && !isHelper(session, caller)) {
                throw refuse(caller + " is not a helper of this recovery");
            }
            RecoverPiece earlier = session.received.put(caller, piece);
            if (earlier != null) {
                ShareRecovery.wipe(earlier.pieces());
            }
        }
        for (boolean held : piece.held()) {
            if (held) {
                piecesReceived.incrementAndGet();
            }
        }
    }

    /** Round two: the sum of the pieces this node holds, per version; the session ends. */
    public byte[][] sum(Identity caller, byte[] body) throws PeerUnavailableException {
        RecoverSum request = WireCodec.recoverSum(body);
        Session session;
        synchronized (sessions) {
            session = sessions.remove(ByteBuffer.wrap(request.session()));
        }
        if (session == null || session.digest == null) {
            throw new PeerUnavailableException("no recovery session split here with that id", null);
        }
        try {
            if (!caller.equals(Identity.node(session.target))) {
                throw refuse(caller + " asked for a sum of the recovery of node " + session.target);
            }
            if (!MessageDigest.isEqual(session.digest, request.digest())) {
                throw new PeerUnavailableException("the sum names another split than this node's", null);
            }
            List<RecoverPiece> others = new ArrayList<>();
            for (int helper : session.helpers) {
                if (helper == self) {
                    continue;
                }
                RecoverPiece piece;
                synchronized (sessions) {
                    piece = session.received.get(Identity.node(helper));
                }
                if (piece == null || !MessageDigest.isEqual(piece.digest(), session.digest)
                    || piece.held().length != session.held.length) {
                    throw new PeerUnavailableException("helper " + helper + "'s pieces of this split did not arrive", null);
                }
                others.add(piece);
            }
            byte[][] sums = new byte[session.held.length][];
            for (int r = 0; r < sums.length; r++) {
                sums[r] = sumOf(session, others, r);
            }
            return sums;
        } finally {
            synchronized (sessions) {
                session.wipe();
            }
        }
    }

    private static byte[] sumOf(Session session, List<RecoverPiece> others, int r) {
        if (!session.held[r]) {
            return null;
        }
        byte[] sum = session.ownPieces[r].clone();
        for (RecoverPiece piece : others) {
            if (!piece.held()[r] || piece.pieces()[r].length != sum.length) {
                ShareRecovery.wipe(sum);
                return null;
            }
            ShareRecovery.addInto(sum, piece.pieces()[r]);
        }
        return sum;
    }

    private void sendPieces(byte[] sessionId, byte[] digest, int[] helpers, int me, boolean[] held, byte[][][] pieces)
            throws PeerUnavailableException {
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int m = 0; m < helpers.length; m++) {
            if (m == me) {
                continue;
            }
            byte[][] theirs = new byte[held.length][];
            for (int r = 0; r < held.length; r++) {
                theirs[r] = held[r] ? pieces[r][m] : null;
            }
            Peer peer = peers.get(helpers[m]);
            RecoverPiece piece = new RecoverPiece(sessionId, digest, held, theirs);
            sent.add(Peer.onVirtualThread(() -> {
                peer.recoverPiece(piece);
                return null;
            }));
        }
        try {
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(pieceTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PeerUnavailableException unavailable ? unavailable
                    : new PeerUnavailableException("handing out pieces failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new PeerUnavailableException("a helper did not take its pieces within " + pieceTimeoutMillis + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted", e);
        }
    }

    /** The session with this id, new if unknown; expired sessions go first, and a full table refuses. */
    private Session session(byte[] id) throws PeerUnavailableException {
        ByteBuffer key = ByteBuffer.wrap(id.clone());
        synchronized (sessions) {
            Session session = sessions.get(key);
            if (session != null) {
                return session;
            }
            long now = System.nanoTime();
            for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
                Session old = it.next();
                if (now - old.createdNanos > TimeUnit.MILLISECONDS.toNanos(SESSION_MILLIS)) {
                    old.wipe();
                    it.remove();
                }
            }
            if (sessions.size() >= MAX_SESSIONS) {
                throw new PeerUnavailableException("this node helps with " + MAX_SESSIONS + " recoveries already", null);
            }
            session = new Session();
            sessions.put(key, session);
            return session;
        }
    }

    private static boolean isHelper(Session session, Identity caller) {
        for (int helper : session.helpers) {
            if (caller.equals(Identity.node(helper))) {
                return true;
            }
        }
        return false;
    }

    private boolean isMember(int node) {
        for (NodeAddress address : cluster.nodes()) {
            if (address.id() == node) {
                return true;
            }
        }
        return false;
    }

    private boolean isMemberIdentity(Identity caller) {
        for (NodeAddress address : cluster.nodes()) {
            if (caller.equals(Identity.node(address.id()))) {
                return true;
            }
        }
        return false;
    }

    private Refused refuse(String reason) {
        refused.incrementAndGet();
        return new Refused(reason);
    }

    private static void wipeAll(byte[][][] pieces) {
        for (byte[][] perVersion : pieces) {
            if (perVersion != null) {
                ShareRecovery.wipe(perVersion);
            }
        }
    }
}
