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
        rules.post("/prepare", (req, res) -> handle(req, res, body ->
                        WireCodec.prepareResult(local.prepare(WireCodec.prepareRequest(body)))))
             .post("/decide", (req, res) -> handle(req, res, body ->
                        WireCodec.decideReply(local.decide(WireCodec.decision(body)))))
             .post("/txn-status", (req, res) -> handle(req, res, body ->
                        WireCodec.txnStatus(local.txnStatus(WireCodec.txn(body)))))
             .post("/read", (req, res) -> handle(req, res, body -> {
                 WireCodec.ReadRequest read = WireCodec.readRequest(body);
                 return WireCodec.shareState(local.read(read.id(), read.selector()));
             }))
             .post("/history", (req, res) -> handle(req, res, body ->
                        WireCodec.historyReply(local.history(WireCodec.id(body)))))
             .post("/list", (req, res) -> handle(req, res, body -> {
                 WireCodec.ListRequest list = WireCodec.listRequest(body);
                 return WireCodec.listReply(local.list(list.namespace(), list.after(), list.limit()));
             }))
             .post("/repair", (req, res) -> handle(req, res, body ->
                        WireCodec.repairOutcome(local.repair(WireCodec.repairRequest(body)))))
             .post("/tombstone", (req, res) -> handle(req, res, body ->
                        WireCodec.bool(local.tombstone(WireCodec.tombstoneRequest(body)))));
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
