package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.peer.FrameChannel.Frame;
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
import dev.shardvault.vault.protocol.Timers;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShardStore;
import dev.shardvault.vault.store.ShareState;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A remote vault node reached on its peer socket ({@link PeerServer}) over one long-lived connection that
 * every call to that node shares: requests are framed and numbered, answers are matched by number as they
 * arrive, so concurrent calls neither wait for each other nor pay a connection or an HTTP exchange each.
 *
 * <p>No thread waits for an answer unless the caller chooses to: the connection's reader completes the
 * call's future. A call fails with {@link PeerUnavailableException} when the node cannot be reached, breaks
 * the connection, or does not answer within the read timeout (a watchdog on the node's timer thread, ticking
 * at a tenth of the timeout, fails overdue calls; no call arms a timer of its own). Every peer call is
 * idempotent, so a call that was in flight on a connection that broke is sent once more on a new connection
 * (a peer that restarted).
 */
public final class SocketPeer implements Peer, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SocketPeer.class.getName());
    /** After a failed connect, calls fail at once for this long instead of each trying again. */
    private static final long RECONNECT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final ScheduledThreadPoolExecutor TIMEOUTS = Timers.scheduler();
    /** The watchdog ticks at a tenth of the read timeout, within these bounds. */
    private static final long MIN_TICK_MILLIS = 5;
    private static final long MAX_TICK_MILLIS = 100;

    private final int self;
    private final int id;
    private final InetSocketAddress address;
    private final int connectTimeoutMillis;
    private final long readTimeoutMillis;
    private final long readTimeoutNanos;
    private final PeerLink link;
    private final AtomicLong requestIds = new AtomicLong();
    /** Every call not answered yet, by its reply, for the watchdog. */
    private final ConcurrentHashMap<CompletableFuture<byte[]>, Call> unanswered = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> watchdog;
    private final ReentrantLock connecting = new ReentrantLock();
    private volatile Connection connection;
    private volatile long connectFailedAt;
    private volatile PeerUnavailableException connectFailure;
    private volatile boolean closed;

    public SocketPeer(int self, int id, URI peerUri, Duration connectTimeout, Duration readTimeout, PeerLink link) {
        this.self = self;
        this.id = id;
        this.address = new InetSocketAddress(peerUri.getHost(), peerUri.getPort());
        this.connectTimeoutMillis = Math.toIntExact(connectTimeout.toMillis());
        this.readTimeoutMillis = readTimeout.toMillis();
        this.readTimeoutNanos = readTimeout.toNanos();
        this.link = link;
        long tickMillis = Math.clamp(readTimeoutMillis / 10, MIN_TICK_MILLIS, MAX_TICK_MILLIS);
        this.watchdog = TIMEOUTS.scheduleWithFixedDelay(this::expireOverdue, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public PrepareResult prepare(PrepareRequest request) throws PeerUnavailableException {
        return await(prepareAsync(request));
    }

    @Override
    public CompletableFuture<PrepareResult> prepareAsync(PrepareRequest request) {
        return call("/prepare", WireCodec.prepareRequest(request), WireCodec::prepareResult);
    }

    @Override
    public DecideReply decide(Decision decision) throws PeerUnavailableException {
        return await(decideAsync(decision));
    }

    @Override
    public CompletableFuture<DecideReply> decideAsync(Decision decision) {
        return call("/decide", WireCodec.decision(decision), WireCodec::decideReply);
    }

    @Override
    public TxnStatus txnStatus(TxnId txn) throws PeerUnavailableException {
        return await(call("/txn-status", WireCodec.txn(txn), WireCodec::txnStatus));
    }

    @Override
    public ShareState read(SecretId secret, Selector selector) throws PeerUnavailableException {
        return await(readAsync(secret, selector));
    }

    @Override
    public CompletableFuture<ShareState> readAsync(SecretId secret, Selector selector) {
        return call("/read", WireCodec.readRequest(secret, selector), WireCodec::shareState);
    }

    @Override
    public HistoryReply history(SecretId secret) throws PeerUnavailableException {
        return await(call("/history", WireCodec.id(secret), WireCodec::historyReply));
    }

    @Override
    public ListReply list(String namespace, String after, int limit) throws PeerUnavailableException {
        return await(call("/list", WireCodec.listRequest(namespace, after, limit), WireCodec::listReply));
    }

    @Override
    public ShardStore.Changes changes(long epoch, long after, int limit) throws PeerUnavailableException {
        return await(call("/changes", WireCodec.changesRequest(epoch, after, limit), WireCodec::changesReply));
    }

    @Override
    public ShardStore.RepairOutcome repair(RepairRequest request) throws PeerUnavailableException {
        return await(call("/repair", WireCodec.repairRequest(request), WireCodec::repairOutcome));
    }

    @Override
    public boolean tombstone(TombstoneRequest request) throws PeerUnavailableException {
        return await(call("/tombstone", WireCodec.tombstoneRequest(request), WireCodec::bool));
    }

    // ---- calls ----

    /** One call in flight; {@code resent} once it has been sent again after its connection broke. */
    private record Call(String route, byte[] body, CompletableFuture<byte[]> reply, long deadlineNanos, boolean resent) {
        Call resend() {
            return new Call(route, body, reply, deadlineNanos, true);
        }
    }

    private <T> CompletableFuture<T> call(String route, byte[] body, Function<byte[], T> decoder) {
        Call call = new Call(route, body, new CompletableFuture<>(), System.nanoTime() + readTimeoutNanos, false);
        unanswered.put(call.reply, call);
        call.reply.whenComplete((reply, failure) -> unanswered.remove(call.reply));
        if (link == PeerLink.DIRECT) {
            send(call);
        } else {
            // The test network may delay a message by sleeping: never on the caller's thread.
            Thread.ofVirtual().name("peer-" + id + "-link").start(() -> {
                try {
                    link.beforeSend(self, id, route, body);
                    send(call);
                } catch (PeerUnavailableException e) {
                    call.reply.completeExceptionally(e);
                }
            });
        }
        return call.reply.thenApply(reply -> {
            try {
                return decoder.apply(reply);
            } catch (MalformedException e) {
                throw new CompletionException(new PeerUnavailableException(
                        "node " + id + " sent a malformed " + route + " reply: " + e.getMessage(), e));
            }
        });
    }

    /** The watchdog's tick: fails every call whose answer is overdue. */
    private void expireOverdue() {
        long now = System.nanoTime();
        for (Call call : unanswered.values()) {
            if (now - call.deadlineNanos >= 0) {
                call.reply.completeExceptionally(new PeerUnavailableException(
                        "node " + id + " did not answer " + call.route + " within " + readTimeoutMillis + " ms", null));
            }
        }
    }

    private void send(Call call) {
        if (call.reply.isDone()) {
            return; // timed out before it left
        }
        Connection current;
        try {
            current = connection();
        } catch (PeerUnavailableException e) {
            call.reply.completeExceptionally(e);
            return;
        }
        current.send(call);
    }

    private <T> T await(CompletableFuture<T> future) throws PeerUnavailableException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted waiting for node " + id, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof PeerUnavailableException unavailable ? unavailable
                    : new PeerUnavailableException("node " + id + " failed: " + e.getCause(), e.getCause());
        }
    }

    // ---- the connection ----

    private Connection connection() throws PeerUnavailableException {
        Connection current = connection;
        if (current != null && !current.broken) {
            return current;
        }
        connecting.lock();
        try {
            current = connection;
            if (current != null && !current.broken) {
                return current;
            }
            if (closed) {
                throw new PeerUnavailableException("the connection to node " + id + " is closed", null);
            }
            PeerUnavailableException failure = connectFailure;
            if (failure != null && System.nanoTime() - connectFailedAt < RECONNECT_PAUSE_NANOS) {
                throw failure;
            }
            Socket socket = new Socket();
            try {
                socket.connect(address, connectTimeoutMillis);
                current = new Connection(new FrameChannel(socket));
            } catch (IOException e) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // never connected
                }
                connectFailedAt = System.nanoTime();
                connectFailure = new PeerUnavailableException("node " + id + " unreachable at " + address + ": " + e, e);
                throw connectFailure;
            }
            connectFailure = null;
            connection = current;
            return current;
        } finally {
            connecting.unlock();
        }
    }

    /** One connection and the calls waiting for answers on it. */
    private final class Connection {
        private final FrameChannel channel;
        private final ConcurrentHashMap<Long, Call> waiting = new ConcurrentHashMap<>();
        private volatile boolean broken;

        Connection(FrameChannel channel) {
            this.channel = channel;
            Thread.ofVirtual().name("peer-" + id + "-reader").start(this::readLoop);
        }

        void send(Call call) {
            long requestId = requestIds.incrementAndGet();
            waiting.put(requestId, call);
            call.reply.whenComplete((reply, failure) -> waiting.remove(requestId, call)); // answered or timed out
            if (broken && waiting.remove(requestId, call)) {
                failed(call, new IOException("the connection broke")); // broke while this call was being registered: the breaker did not see it
                return;
            }
            try {
                channel.send(new Frame(requestId, PeerProtocol.code(call.route), call.body));
            } catch (IOException e) {
                breakWith(e);
            }
        }

        private void readLoop() {
            try {
                while (true) {
                    Frame answer = channel.read();
                    Call call = waiting.remove(answer.id());
                    if (call != null) {
                        answered(call, answer);
                    }
                }
            } catch (IOException e) {
                breakWith(e);
            }
        }

        private void answered(Call call, Frame answer) {
            if (answer.code() == PeerProtocol.OK) {
                call.reply.complete(answer.body());
                return;
            }
            String reason = new String(answer.body(), StandardCharsets.UTF_8);
            String what = switch (answer.code()) {
                case PeerProtocol.MALFORMED -> "refused " + call.route + " as malformed: ";
                case PeerProtocol.UNAVAILABLE -> "could not act on " + call.route + ": ";
                default -> "failed " + call.route + ": ";
            };
            call.reply.completeExceptionally(new PeerUnavailableException("node " + id + " " + what + reason, null));
        }

        /** Marks the connection broken and resends (once) or fails every call still waiting on it. */
        private void breakWith(IOException cause) {
            if (broken) {
                return;
            }
            broken = true;
            channel.close();
            if (!closed) {
                LOG.log(System.Logger.Level.DEBUG, "connection to node " + id + " broke: " + cause);
            }
            for (Long requestId : waiting.keySet()) {
                Call call = waiting.remove(requestId);
                if (call != null) {
                    failed(call, cause);
                }
            }
        }

        private void failed(Call call, IOException cause) {
            if (!call.resent && !closed && !call.reply.isDone()) {
                Thread.ofVirtual().name("peer-" + id + "-resend").start(() -> SocketPeer.this.send(call.resend()));
            } else {
                call.reply.completeExceptionally(new PeerUnavailableException(
                        "node " + id + " unreachable for " + call.route + ": " + cause, cause));
            }
        }
    }

    /** Closes the connection; calls in flight fail. */
    @Override
    public void close() {
        closed = true;
        watchdog.cancel(false);
        Connection current = connection;
        if (current != null) {
            current.breakWith(new IOException("closed by this node"));
        }
    }

    @Override
    public String toString() {
        return "SocketPeer[" + id + " at " + address + "]";
    }
}
