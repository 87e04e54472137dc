package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.custody.EventCodec;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.vault.protocol.Messages;
import dev.shardvault.vault.rebuild.RecoveryHelper;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The peer socket's routes: {@code POST /peer/v1/<route>} with a binary body, answered by this node's
 * participant. Only other vault nodes get here (the socket's {@link dev.shardvault.vault.http.Callers} filter
 * checked the certificate first), and even they are held to limits before a byte of body is read: a declared
 * length of at most {@code maxBodyBytes}, and at most {@code budgetBytesPerPeer} of bodies being read or
 * handled per calling node at once, so no peer can make this node buffer more than that.
 *
 * <p>Answers: 200 with the reply body; 400 (text reason) for a body that does not decode; 411 without a
 * length; 413 over the limit; 503 when this node cannot act (its log failed) or the caller is over its budget;
 * 500 when this node failed unexpectedly (the reason stays in its log). {@code POST /peer/v1/batch} carries
 * several calls ({@link WireCodec#batch(List)}) and answers 200 with one outcome per call, the same four.
 */
public final class PeerApi implements HttpService {

    /** Where the routes live on the peer socket. */
    public static final String PATH = PeerRoutes.BASE;

    private static final System.Logger LOG = System.getLogger(PeerApi.class.getName());
    /** How long a request waits for its peer's budget before it is refused with 503. */
    private static final long BUDGET_WAIT_MILLIS = 1_000;
    private static final Header OCTET_STREAM = HeaderValues.create(HeaderNames.CONTENT_TYPE, PeerRoutes.OCTET_STREAM);
    private static final Header TEXT_PLAIN = HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");

    private interface Handler {
        byte[] handle(Identity caller, byte[] body) throws PeerUnavailableException;
    }

    private final Map<String, Handler> handlers;
    private final long maxBodyBytes;
    private final int budgetBytesPerPeer;
    private final Map<Identity, Semaphore> budgets = new ConcurrentHashMap<>();

    public PeerApi(Peer local, ShareRelease release, RecoveryHelper recovery, long maxBodyBytes, int budgetBytesPerPeer) {
        if (maxBodyBytes > budgetBytesPerPeer) {
            throw new IllegalArgumentException("a peer's budget (" + budgetBytesPerPeer + " bytes) must hold its largest body ("
                                               + maxBodyBytes + ")");
        }
        this.handlers = handlers(local, release, recovery);
        this.maxBodyBytes = maxBodyBytes;
        this.budgetBytesPerPeer = budgetBytesPerPeer;
    }

    @Override
    public void routing(HttpRules rules) {
        for (String route : PeerRoutes.ROUTES) {
            Handler handler = handlers.get(route);
            rules.post(route, (req, res) -> answer(route, req, res, (caller, body) -> single(route, handler, caller, body, res)));
        }
        rules.post(PeerRoutes.BATCH, (req, res) -> answer(PeerRoutes.BATCH, req, res, (caller, body) -> batch(caller, body, res)));
    }

    /** What one call came to: an outcome code of {@link PeerRoutes} and the reply or a UTF-8 reason. */
    private record Answer(int outcome, byte[] body) {
    }

    private static Map<String, Handler> handlers(Peer local, ShareRelease release, RecoveryHelper recovery) {
        Map<String, Handler> handlers = new java.util.HashMap<>();
        handlers.put("/prepare", (caller, body) -> WireCodec.prepareResult(local.prepare(WireCodec.prepareRequest(body))));
        handlers.put("/decide", (caller, body) -> WireCodec.decideReply(local.decide(WireCodec.decision(body))));
        handlers.put("/txn-status", (caller, body) -> WireCodec.txnStatus(local.txnStatus(WireCodec.txn(body))));
        handlers.put("/read", (caller, body) -> {
            WireCodec.ReadRequest read = WireCodec.readRequest(body);
            release.check(caller, read.authorization(), read.id());
            return WireCodec.shareState(local.read(read.id(), read.selector(), read.authorization()));
        });
        handlers.put("/history", (caller, body) -> WireCodec.historyReply(local.history(WireCodec.id(body))));
        handlers.put("/list", (caller, body) -> {
            WireCodec.ListRequest list = WireCodec.listRequest(body);
            return WireCodec.listReply(local.list(list.namespace(), list.after(), list.limit()));
        });
        handlers.put("/repair", (caller, body) -> {
            Messages.RepairRequest repair = WireCodec.repairRequest(body);
            release.check(caller, repair.authorization(), repair.id()); // the store keeps the share it accepts
            return WireCodec.repairOutcome(local.repair(repair));
        });
        handlers.put("/changes", (caller, body) -> {
            WireCodec.ChangesRequest changes = WireCodec.changesRequest(body);
            return WireCodec.changesReply(local.changes(changes.epoch(), changes.after(), changes.limit()));
        });
        handlers.put("/tombstone", (caller, body) -> WireCodec.bool(local.tombstone(WireCodec.tombstoneRequest(body))));
        // Events a peer ships were recorded by a coordinator under a gateway's authorization; a node takes them
        // from any cluster member (a compromised one could add events, never remove any: readers merge by union).
        handlers.put("/ship-events", (caller, body) -> EventCodec.encodeCounts(local.shipEvents(decodedEvents(body))));
        handlers.put("/events", (caller, body) -> EventCodec.encodeHeld(local.events(WireCodec.id(body))));
        // Rebuilding a node's shares: the catalogue reveals no share; recovery serves a node only its own share,
        // and only as sums of random pieces (RecoveryHelper checks the caller against the split).
        handlers.put("/catalogue", (caller, body) -> {
            WireCodec.CatalogueRequest request = WireCodec.catalogueRequest(body);
            return WireCodec.catalogueReply(local.catalogue(request.after(), request.limit()));
        });
        handlers.put("/recover-split", (caller, body) -> WireCodec.held(recovery.split(caller, body)));
        handlers.put("/recover-piece", (caller, body) -> {
            try {
                recovery.piece(caller, body);
            } finally {
                Arrays.fill(body, (byte) 0); // the helper keeps its own copy of the pieces
            }
            return WireCodec.bool(true);
        });
        handlers.put("/recover-sum", (caller, body) -> WireCodec.sums(recovery.sum(caller, body)));
        return handlers;
    }

    private static List<dev.shardvault.vault.custody.Stamped> decodedEvents(byte[] body) {
        dev.shardvault.vault.codec.BinaryReader in = new dev.shardvault.vault.codec.BinaryReader(body);
        List<dev.shardvault.vault.custody.Stamped> events = EventCodec.decodeAll(in);
        in.end();
        return events;
    }

    /** Checks the declared length and the caller's budget, reads the body within it and hands it on. */
    private void answer(String route, ServerRequest req, ServerResponse res, BiConsumer<Identity, byte[]> respond) {
        long length = req.headers().contentLength().orElse(-1);
        if (length < 0) {
            reason(res, Status.LENGTH_REQUIRED_411, route + " needs a Content-Length");
            return;
        }
        if (length > maxBodyBytes) {
            reason(res, Status.REQUEST_ENTITY_TOO_LARGE_413, route + " body of " + length + " bytes is over " + maxBodyBytes);
            return;
        }
        Identity caller = req.context().get(Identity.class).orElseThrow();
        Semaphore budget = budgets.computeIfAbsent(caller, id -> new Semaphore(budgetBytesPerPeer));
        int permits = Math.max(1, (int) length);
        try {
            if (!budget.tryAcquire(permits, BUDGET_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                reason(res, Status.SERVICE_UNAVAILABLE_503, caller + " has too many request bytes in progress");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason(res, Status.SERVICE_UNAVAILABLE_503, "interrupted");
            return;
        }
        try {
            byte[] body;
            try {
                body = read(req, (int) length);
            } catch (MalformedException e) {
                reason(res, Status.BAD_REQUEST_400, "malformed " + route + ": " + e.getMessage());
                return;
            }
            respond.accept(caller, body);
        } finally {
            budget.release(permits);
        }
    }

    private void single(String route, Handler handler, Identity caller, byte[] body, ServerResponse res) {
        Answer answer = handle(route, handler, caller, body);
        switch (answer.outcome()) {
            case PeerRoutes.OK -> res.status(Status.OK_200).header(OCTET_STREAM).send(answer.body());
            case PeerRoutes.MALFORMED -> reason(res, Status.BAD_REQUEST_400, answer.body());
            case PeerRoutes.REFUSED -> reason(res, Status.FORBIDDEN_403, answer.body());
            case PeerRoutes.UNAVAILABLE -> reason(res, Status.SERVICE_UNAVAILABLE_503, answer.body());
            default -> reason(res, Status.INTERNAL_SERVER_ERROR_500, answer.body());
        }
    }

    /**
     * Every call of the batch at once, each on a virtual thread of its own (as separate requests would be: a
     * prepare waiting for its fsync holds back nothing, and the prepares of one batch share one group commit),
     * answered together when the last is done.
     */
    private void batch(Identity caller, byte[] body, ServerResponse res) {
        List<WireCodec.Batched> calls;
        try {
            calls = WireCodec.batch(body);
        } catch (MalformedException e) {
            reason(res, Status.BAD_REQUEST_400, "malformed " + PeerRoutes.BATCH + ": " + e.getMessage());
            return;
        } finally {
            Arrays.fill(body, (byte) 0); // prepares carry shares; each call has its own copy now
        }
        List<CompletableFuture<Answer>> answers = new ArrayList<>(calls.size());
        for (int i = 1; i < calls.size(); i++) {
            WireCodec.Batched call = calls.get(i);
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            Thread.ofVirtual().name("peer-batch-call").start(() -> answer.complete(handle(caller, call)));
            answers.add(answer);
        }
        List<WireCodec.Batched> replies = new ArrayList<>(calls.size());
        Answer first = handle(caller, calls.getFirst());
        replies.add(new WireCodec.Batched(first.outcome(), first.body()));
        for (CompletableFuture<Answer> answer : answers) {
            Answer done = answer.join();
            replies.add(new WireCodec.Batched(done.outcome(), done.body()));
        }
        res.status(Status.OK_200).header(OCTET_STREAM).send(WireCodec.batch(replies));
    }

    private Answer handle(Identity caller, WireCodec.Batched call) {
        if (call.code() >= PeerRoutes.ROUTES.size()) {
            return reason(PeerRoutes.MALFORMED, "no peer route has code " + call.code());
        }
        String route = PeerRoutes.ROUTES.get(call.code());
        return handle(route, handlers.get(route), caller, call.body());
    }

    private Answer handle(String route, Handler handler, Identity caller, byte[] body) {
        try {
            return new Answer(PeerRoutes.OK, handler.handle(caller, body));
        } catch (ReleaseGrant.Refused | RecoveryHelper.Refused e) {
            LOG.log(System.Logger.Level.INFO, "refused " + route + " from " + caller.uri() + ": " + e.getMessage());
            return reason(PeerRoutes.REFUSED, "refused: " + e.getMessage());
        } catch (MalformedException | IllegalArgumentException e) {
            return reason(PeerRoutes.MALFORMED, "malformed " + route + ": " + e.getMessage());
        } catch (PeerUnavailableException e) {
            return reason(PeerRoutes.UNAVAILABLE, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "peer request " + route + " failed", e);
            return reason(PeerRoutes.FAILED, "internal error");
        }
    }

    private static Answer reason(int outcome, String reason) {
        return new Answer(outcome, String.valueOf(reason).getBytes(StandardCharsets.UTF_8));
    }

    /** Exactly the declared length; a body that ends early is malformed. */
    private static byte[] read(ServerRequest req, int length) throws MalformedException {
        byte[] body = new byte[length];
        try (InputStream in = req.content().inputStream()) {
            int read = in.readNBytes(body, 0, length);
            if (read != length) {
                throw new MalformedException("body ended after " + read + " of " + length + " bytes");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the caller's connection broke while its body was read: nothing to answer
        }
        return body;
    }

    private static void reason(ServerResponse res, Status status, String reason) {
        reason(res, status, String.valueOf(reason).getBytes(StandardCharsets.UTF_8));
    }

    private static void reason(ServerResponse res, Status status, byte[] reason) {
        res.status(status).header(TEXT_PLAIN).send(reason);
    }
}
