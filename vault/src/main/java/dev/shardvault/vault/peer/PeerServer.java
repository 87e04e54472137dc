package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.peer.FrameChannel.Frame;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * The node's peer socket: accepts connections from other vault nodes and answers their framed requests by
 * handing each to this node's participant on a virtual thread of its own, so a slow request (a prepare
 * waiting for its fsync) never holds back the others on the connection. Answers go back as they are ready.
 */
public final class PeerServer implements AutoCloseable {

    /** Requests one connection may have in progress; its reader waits for one to finish beyond that. */
    static final int MAX_IN_PROGRESS_PER_CONNECTION = 1024;
    private static final System.Logger LOG = System.getLogger(PeerServer.class.getName());

    private interface Handler {
        byte[] handle(byte[] body) throws PeerUnavailableException;
    }

    private final ServerSocket server;
    private final List<Handler> handlers;
    private final Set<FrameChannel> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private PeerServer(ServerSocket server, Peer local) {
        this.server = server;
        this.handlers = handlers(local);
        this.acceptor = Thread.ofVirtual().name("peer-acceptor-" + local.id()).start(this::acceptLoop);
    }

    /** Listens on {@code host:port} (0: an ephemeral port) and serves {@code local} there. */
    public static PeerServer start(String host, int port, Peer local) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(host, port), 256);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen for peers on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return new PeerServer(server, local);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Each route's handler, at the index of its code; decoding failures surface as MalformedException. */
    private static List<Handler> handlers(Peer local) {
        Handler[] byCode = new Handler[PeerProtocol.ROUTES.size()];
        byCode[PeerProtocol.code("/prepare")] = body -> WireCodec.prepareResult(local.prepare(WireCodec.prepareRequest(body)));
        byCode[PeerProtocol.code("/decide")] = body -> WireCodec.decideReply(local.decide(WireCodec.decision(body)));
        byCode[PeerProtocol.code("/txn-status")] = body -> WireCodec.txnStatus(local.txnStatus(WireCodec.txn(body)));
        byCode[PeerProtocol.code("/read")] = body -> {
            WireCodec.ReadRequest read = WireCodec.readRequest(body);
            return WireCodec.shareState(local.read(read.id(), read.selector()));
        };
        byCode[PeerProtocol.code("/history")] = body -> WireCodec.historyReply(local.history(WireCodec.id(body)));
        byCode[PeerProtocol.code("/list")] = body -> {
            WireCodec.ListRequest list = WireCodec.listRequest(body);
            return WireCodec.listReply(local.list(list.namespace(), list.after(), list.limit()));
        };
        byCode[PeerProtocol.code("/repair")] = body -> WireCodec.repairOutcome(local.repair(WireCodec.repairRequest(body)));
        byCode[PeerProtocol.code("/changes")] = body -> {
            WireCodec.ChangesRequest changes = WireCodec.changesRequest(body);
            return WireCodec.changesReply(local.changes(changes.epoch(), changes.after(), changes.limit()));
        };
        byCode[PeerProtocol.code("/tombstone")] = body -> WireCodec.bool(local.tombstone(WireCodec.tombstoneRequest(body)));
        return List.of(byCode);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.ERROR, "the peer socket stopped accepting", e);
                }
                return;
            }
            Thread.ofVirtual().name("peer-connection").start(() -> serve(socket));
        }
    }

    private void serve(Socket socket) {
        FrameChannel channel;
        try {
            channel = new FrameChannel(socket);
        } catch (IOException e) {
            closeQuietly(socket);
            return;
        }
        connections.add(channel);
        Semaphore inProgress = new Semaphore(MAX_IN_PROGRESS_PER_CONNECTION);
        try {
            while (!closed) {
                Frame request = channel.read();
                inProgress.acquire();
                Thread.ofVirtual().name("peer-request").start(() -> {
                    try {
                        channel.send(answer(request));
                    } catch (IOException e) {
                        // the connection broke: the reader sees it too and the caller retries or gives up
                    } finally {
                        inProgress.release();
                    }
                });
            }
        } catch (EOFException e) {
            // the other node closed the connection between frames
        } catch (IOException e) {
            if (!closed && !channel.isClosed()) {
                LOG.log(System.Logger.Level.WARNING, "closing peer connection from " + channel.remote() + ": " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.remove(channel);
            channel.close();
        }
    }

    private Frame answer(Frame request) {
        if (request.code() >= handlers.size()) {
            return reason(request, PeerProtocol.MALFORMED, "unknown peer route code " + request.code());
        }
        try {
            return new Frame(request.id(), PeerProtocol.OK, handlers.get(request.code()).handle(request.body()));
        } catch (MalformedException | IllegalArgumentException e) {
            return reason(request, PeerProtocol.MALFORMED, "malformed " + PeerProtocol.ROUTES.get(request.code()) + ": " + e.getMessage());
        } catch (PeerUnavailableException e) {
            return reason(request, PeerProtocol.UNAVAILABLE, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "peer request " + PeerProtocol.ROUTES.get(request.code()) + " failed", e);
            return reason(request, PeerProtocol.FAILED, "internal error");
        }
    }

    private static Frame reason(Frame request, int status, String reason) {
        return new Frame(request.id(), status, String.valueOf(reason).getBytes(StandardCharsets.UTF_8));
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }

    /** Stops accepting and closes every connection; requests in progress finish but their answers are lost. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        connections.forEach(FrameChannel::close);
        acceptor.interrupt();
    }
}
