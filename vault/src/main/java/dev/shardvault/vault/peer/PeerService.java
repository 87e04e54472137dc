package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;

/** The peer socket's routes: decode, hand to this node's participant, encode. */
public final class PeerService implements HttpService {

    private final Peer local;

    public PeerService(Peer local) {
        this.local = local;
    }

    @Override
    public void routing(HttpRules rules) {
        handlers().forEach((route, handler) -> rules.post(route, (req, res) -> handle(req, res, handler)));
        rules.post("/batch", this::batch);
    }

    /** Every single-message route and what it does; the batch route dispatches to the same handlers. */
    private java.util.Map<String, Handler> handlers() {
        java.util.Map<String, Handler> handlers = new java.util.LinkedHashMap<>();
        handlers.put("/prepare", body -> WireCodec.prepareResult(local.prepare(WireCodec.prepareRequest(body))));
        handlers.put("/decide", body -> WireCodec.decideReply(local.decide(WireCodec.decision(body))));
        handlers.put("/txn-status", body -> WireCodec.txnStatus(local.txnStatus(WireCodec.txn(body))));
        handlers.put("/read", body -> {
            WireCodec.ReadRequest read = WireCodec.readRequest(body);
            return WireCodec.shareState(local.read(read.id(), read.selector()));
        });
        handlers.put("/history", body -> WireCodec.historyReply(local.history(WireCodec.id(body))));
        handlers.put("/list", body -> {
            WireCodec.ListRequest list = WireCodec.listRequest(body);
            return WireCodec.listReply(local.list(list.namespace(), list.after(), list.limit()));
        });
        handlers.put("/repair", body -> WireCodec.repairOutcome(local.repair(WireCodec.repairRequest(body))));
        handlers.put("/tombstone", body -> WireCodec.bool(local.tombstone(WireCodec.tombstoneRequest(body))));
        return handlers;
    }

    private final java.util.Map<String, Handler> byRoute = handlers();

    /** Several messages in one exchange: each runs on its own virtual thread, answers come back in order. */
    private void batch(ServerRequest req, ServerResponse res) {
        java.util.List<Batches.Message> messages;
        try {
            messages = Batches.decodeRequest(req.content().as(byte[].class));
        } catch (MalformedException e) {
            res.status(Status.BAD_REQUEST_400).send(("malformed peer batch: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        java.util.List<java.util.concurrent.Future<Batches.Answer>> answers = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (Batches.Message message : messages) {
                answers.add(pool.submit(() -> {
                    try {
                        return new Batches.Answer(true, byRoute.get(message.route()).handle(message.body()));
                    } catch (MalformedException | IllegalArgumentException | PeerUnavailableException e) {
                        return new Batches.Answer(false, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
                    }
                }));
            }
        }
        java.util.List<Batches.Answer> replies = new java.util.ArrayList<>(answers.size());
        for (var answer : answers) {
            replies.add(answer.resultNow());
        }
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, HttpPeer.OCTETS)).send(Batches.encodeReply(replies));
    }

    private interface Handler {
        byte[] handle(byte[] body) throws PeerUnavailableException;
    }

    private static void handle(ServerRequest req, ServerResponse res, Handler handler) {
        byte[] reply;
        try {
            reply = handler.handle(req.content().as(byte[].class));
        } catch (MalformedException | IllegalArgumentException e) {
            res.status(Status.BAD_REQUEST_400).send(("malformed peer request: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
            return;
        } catch (PeerUnavailableException e) {
            res.status(Status.SERVICE_UNAVAILABLE_503).send(e.getMessage().getBytes(StandardCharsets.UTF_8));
            return;
        }
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, HttpPeer.OCTETS)).send(reply);
    }
}
