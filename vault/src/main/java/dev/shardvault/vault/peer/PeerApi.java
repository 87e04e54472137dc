package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.tls.Identity;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The peer socket's routes: {@code POST /peer/v1/<route>} with a binary body, answered by this node's
 * participant. Only other vault nodes get here (the socket's {@link dev.shardvault.vault.http.Callers} filter
 * checked the certificate first), and even they are held to limits before a byte of body is read: a declared
 * length of at most {@code maxBodyBytes}, and at most {@code budgetBytesPerPeer} of bodies being read or
 * handled per calling node at once, so no peer can make this node buffer more than that.
 *
 * <p>Answers: 200 with the reply body; 400 (text reason) for a body that does not decode; 411 without a
 * length; 413 over the limit; 503 when this node cannot act (its log failed) or the caller is over its budget;
 * 500 when this node failed unexpectedly (the reason stays in its log).
 */
public final class PeerApi implements HttpService {

    /** Where the routes live on the peer socket. */
    public static final String PATH = PeerRoutes.BASE;

    private static final System.Logger LOG = System.getLogger(PeerApi.class.getName());
    /** How long a request waits for its peer's budget before it is refused with 503. */
    private static final long BUDGET_WAIT_MILLIS = 1_000;

    private interface Handler {
        byte[] handle(byte[] body) throws PeerUnavailableException;
    }

    private final Map<String, Handler> handlers;
    private final long maxBodyBytes;
    private final int budgetBytesPerPeer;
    private final Map<Identity, Semaphore> budgets = new ConcurrentHashMap<>();

    public PeerApi(Peer local, long maxBodyBytes, int budgetBytesPerPeer) {
        if (maxBodyBytes > budgetBytesPerPeer) {
            throw new IllegalArgumentException("a peer's budget (" + budgetBytesPerPeer + " bytes) must hold its largest body ("
                                               + maxBodyBytes + ")");
        }
        this.handlers = handlers(local);
        this.maxBodyBytes = maxBodyBytes;
        this.budgetBytesPerPeer = budgetBytesPerPeer;
    }

    @Override
    public void routing(HttpRules rules) {
        for (String route : PeerRoutes.ROUTES) {
            Handler handler = handlers.get(route);
            rules.post(route, (req, res) -> answer(route, handler, req, res));
        }
    }

    private static Map<String, Handler> handlers(Peer local) {
        return Map.of(
                "/prepare", body -> WireCodec.prepareResult(local.prepare(WireCodec.prepareRequest(body))),
                "/decide", body -> WireCodec.decideReply(local.decide(WireCodec.decision(body))),
                "/txn-status", body -> WireCodec.txnStatus(local.txnStatus(WireCodec.txn(body))),
                "/read", body -> {
                    WireCodec.ReadRequest read = WireCodec.readRequest(body);
                    return WireCodec.shareState(local.read(read.id(), read.selector()));
                },
                "/history", body -> WireCodec.historyReply(local.history(WireCodec.id(body))),
                "/list", body -> {
                    WireCodec.ListRequest list = WireCodec.listRequest(body);
                    return WireCodec.listReply(local.list(list.namespace(), list.after(), list.limit()));
                },
                "/repair", body -> WireCodec.repairOutcome(local.repair(WireCodec.repairRequest(body))),
                "/changes", body -> {
                    WireCodec.ChangesRequest changes = WireCodec.changesRequest(body);
                    return WireCodec.changesReply(local.changes(changes.epoch(), changes.after(), changes.limit()));
                },
                "/tombstone", body -> WireCodec.bool(local.tombstone(WireCodec.tombstoneRequest(body))));
    }

    private void answer(String route, Handler handler, ServerRequest req, ServerResponse res) {
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
            byte[] body = read(req, (int) length);
            byte[] reply = handler.handle(body);
            res.status(Status.OK_200).header(HeaderValues.create(HeaderNames.CONTENT_TYPE, PeerRoutes.OCTET_STREAM)).send(reply);
        } catch (MalformedException | IllegalArgumentException e) {
            reason(res, Status.BAD_REQUEST_400, "malformed " + route + ": " + e.getMessage());
        } catch (PeerUnavailableException e) {
            reason(res, Status.SERVICE_UNAVAILABLE_503, e.getMessage());
        } catch (UncheckedIOException e) {
            throw e; // the caller's connection broke while its body was read: nothing to answer
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "peer request " + route + " from " + caller + " failed", e);
            reason(res, Status.INTERNAL_SERVER_ERROR_500, "internal error");
        } finally {
            budget.release(permits);
        }
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
            throw new UncheckedIOException(e);
        }
        return body;
    }

    private static void reason(ServerResponse res, Status status, String reason) {
        res.status(status).header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8"))
                .send(String.valueOf(reason).getBytes(StandardCharsets.UTF_8));
    }
}
