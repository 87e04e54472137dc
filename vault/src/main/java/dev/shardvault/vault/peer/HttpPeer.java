package dev.shardvault.vault.peer;

import dev.shardvault.tls.HandshakeTimeout;
import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.HistoryReply;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.Messages.RepairRequest;
import dev.shardvault.vault.protocol.Messages.TombstoneRequest;
import dev.shardvault.vault.protocol.Messages.TxnStatus;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShareState;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A remote vault node reached on its peer socket ({@link PeerApi}) with Helidon's HTTP/1.1 client over mutual
 * TLS: one pool of kept-alive connections per peer (HTTP/1.1 measured faster here than HTTP/2 streams on one
 * connection; docs/performance.md), each call a {@code POST} of its {@link WireCodec} body.
 *
 * <p>A call fails with {@link PeerUnavailableException} when the node cannot be reached, breaks the connection,
 * answers anything but 200, or does not answer within the read timeout. Every peer call is idempotent, so a call
 * whose kept-alive connection broke (the peer closed it, or restarted) is sent once more on a new one. After a
 * failed connect, calls fail at once for a short pause instead of each trying again.
 */
public final class HttpPeer implements Peer, AutoCloseable {

    private static final long RECONNECT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Kept-alive connections per peer: enough for every call a node has in flight to one peer at a time. */
    private static final int MAX_IDLE_CONNECTIONS = 256;
    private static final io.helidon.http.Header CONTENT_TYPE = HeaderValues.create(HeaderNames.CONTENT_TYPE, PeerRoutes.OCTET_STREAM);

    private final int self;
    private final int id;
    private final URI uri;
    private final Duration readTimeout;
    private final PeerLink link;
    private final Http1Client client;
    private volatile long connectFailedAt;
    private volatile PeerUnavailableException connectFailure;

    public HttpPeer(int self, int id, URI peerUri, Tls tls, Duration connectTimeout, Duration readTimeout, PeerLink link) {
        this.self = self;
        this.id = id;
        this.uri = peerUri;
        this.readTimeout = readTimeout;
        this.link = link;
        this.client = Http1Client.builder()
                .baseUri(peerUri)
                .tls(tls)
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .connectionListener(new HandshakeTimeout(readTimeout))
                .shareConnectionCache(false)
                .connectionCacheSize(MAX_IDLE_CONNECTIONS)
                .followRedirects(false)
                .sendExpectContinue(false)
                .build();
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public PrepareResult prepare(PrepareRequest request) throws PeerUnavailableException {
        return call("/prepare", WireCodec.prepareRequest(request), WireCodec::prepareResult);
    }

    @Override
    public DecideReply decide(Decision decision) throws PeerUnavailableException {
        return call("/decide", WireCodec.decision(decision), WireCodec::decideReply);
    }

    @Override
    public TxnStatus txnStatus(TxnId txn) throws PeerUnavailableException {
        return call("/txn-status", WireCodec.txn(txn), WireCodec::txnStatus);
    }

    @Override
    public ShareState read(SecretId secret, Selector selector) throws PeerUnavailableException {
        return call("/read", WireCodec.readRequest(secret, selector), WireCodec::shareState);
    }

    @Override
    public HistoryReply history(SecretId secret) throws PeerUnavailableException {
        return call("/history", WireCodec.id(secret), WireCodec::historyReply);
    }

    @Override
    public ListReply list(String namespace, String after, int limit) throws PeerUnavailableException {
        return call("/list", WireCodec.listRequest(namespace, after, limit), WireCodec::listReply);
    }

    @Override
    public ShardStore.Changes changes(long epoch, long after, int limit) throws PeerUnavailableException {
        return call("/changes", WireCodec.changesRequest(epoch, after, limit), WireCodec::changesReply);
    }

    @Override
    public ShardStore.RepairOutcome repair(RepairRequest request) throws PeerUnavailableException {
        return call("/repair", WireCodec.repairRequest(request), WireCodec::repairOutcome);
    }

    @Override
    public boolean tombstone(TombstoneRequest request) throws PeerUnavailableException {
        return call("/tombstone", WireCodec.tombstoneRequest(request), WireCodec::bool);
    }

    private <T> T call(String route, byte[] body, Function<byte[], T> decoder) throws PeerUnavailableException {
        long deadlineNanos = System.nanoTime() + readTimeout.toNanos();
        if (link == PeerLink.DIRECT) {
            return send(route, body, decoder, deadlineNanos);
        }
        // A test network may hold the request back by sleeping: never past the caller's deadline.
        CompletableFuture<T> sent = Peer.onVirtualThread(() -> {
            link.beforeSend(self, id, route, body);
            return send(route, body, decoder, deadlineNanos);
        });
        try {
            return sent.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            sent.cancel(false);
            throw new PeerUnavailableException("node " + id + " did not answer " + route + " within " + readTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted waiting for node " + id, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PeerUnavailableException unavailable ? unavailable
                    : new PeerUnavailableException("node " + id + " failed: " + e.getCause(), e.getCause());
        }
    }

    private <T> T send(String route, byte[] body, Function<byte[], T> decoder, long deadlineNanos) throws PeerUnavailableException {
        byte[] reply;
        try {
            reply = exchange(route, body, deadlineNanos);
        } catch (PeerUnavailableException first) {
            if (!(first.getCause() instanceof BrokenConnection)) {
                throw first;
            }
            reply = exchange(route, body, deadlineNanos); // idempotent: once more on a fresh connection
        }
        try {
            return decoder.apply(reply);
        } catch (MalformedException e) {
            throw new PeerUnavailableException("node " + id + " sent a malformed " + route + " reply: " + e.getMessage(), e);
        }
    }

    /** Marks a failure after the request may have left on a kept-alive connection that was already broken. */
    private static final class BrokenConnection extends Exception {
        BrokenConnection(Throwable cause) {
            super(cause.toString(), cause, false, false);
        }
    }

    /** One attempt, answered by {@code deadlineNanos}: the read timeout counts from the call, not from this attempt. */
    private byte[] exchange(String route, byte[] body, long deadlineNanos) throws PeerUnavailableException {
        PeerUnavailableException failure = connectFailure;
        if (failure != null && System.nanoTime() - connectFailedAt < RECONNECT_PAUSE_NANOS) {
            throw failure;
        }
        long leftNanos = deadlineNanos - System.nanoTime();
        if (leftNanos <= 0) {
            throw new PeerUnavailableException("node " + id + " did not answer " + route + " within " + readTimeout.toMillis() + " ms", null);
        }
        try (HttpClientResponse response = client.post(PeerRoutes.BASE + route)
                .readTimeout(Duration.ofNanos(leftNanos))
                .header(CONTENT_TYPE)
                .submit(body)) {
            int status = response.status().code();
            byte[] answer = response.entity().as(byte[].class);
            connectFailure = null;
            if (status == 200) {
                return answer;
            }
            String reason = new String(answer, StandardCharsets.UTF_8);
            throw new PeerUnavailableException("node " + id + " answered " + route + " with " + status + ": " + reason, null);
        } catch (RuntimeException e) {
            if (causedBy(e, ConnectException.class)) {
                connectFailedAt = System.nanoTime();
                connectFailure = new PeerUnavailableException("node " + id + " unreachable at " + uri + ": " + e.getMessage(), e);
                throw connectFailure;
            }
            if (causedBy(e, SocketTimeoutException.class)) {
                throw new PeerUnavailableException("node " + id + " did not answer " + route + " within "
                                                   + readTimeout.toMillis() + " ms", e);
            }
            throw new PeerUnavailableException("node " + id + " failed " + route + ": " + e, new BrokenConnection(e));
        }
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        client.closeResource();
    }

    @Override
    public String toString() {
        return "HttpPeer[" + id + " at " + uri + "]";
    }
}
