package dev.shardvault.vault.peer;

import dev.shardvault.vault.codec.MalformedException;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.TxnId;
import dev.shardvault.vault.protocol.Messages.DecideReply;
import dev.shardvault.vault.protocol.Messages.Decision;
import dev.shardvault.vault.protocol.Messages.HistoryReply;
import dev.shardvault.vault.protocol.Messages.ListReply;
import dev.shardvault.vault.protocol.Messages.PrepareRequest;
import dev.shardvault.vault.protocol.Messages.TxnStatus;
import dev.shardvault.vault.protocol.Peer;
import dev.shardvault.vault.protocol.PeerUnavailableException;
import dev.shardvault.vault.protocol.WireCodec;
import dev.shardvault.vault.store.PrepareResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.ShareState;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.time.Duration;
import java.util.function.Function;

/** A remote vault node reached over HTTP on its peer socket, with persistent connections. */
public final class HttpPeer implements Peer {

    static final String BASE = "/peer/v1";
    static final String OCTETS = "application/octet-stream";

    private final int self;
    private final int id;
    private final WebClient client;
    private final PeerLink link;

    public HttpPeer(int self, int id, URI peerUri, Duration connectTimeout, Duration readTimeout, PeerLink link) {
        this.self = self;
        this.id = id;
        this.link = link;
        this.client = WebClient.builder()
                .baseUri(peerUri)
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .keepAlive(true)
                // Small request/answer exchanges on kept-alive connections: never let Nagle hold a write back.
                .socketOptions(options -> options.tcpNoDelay(true))
                .maxInMemoryEntity(8 << 20)
                .build();
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public PrepareResult prepare(PrepareRequest request) throws PeerUnavailableException {
        return await(prepareAsync(request));
    }

    private CompletableFuture<PrepareResult> prepareAsync(PrepareRequest request) {
        return coalesced("/prepare", WireCodec.prepareRequest(request), WireCodec::prepareResult);
    }

    @Override
    public DecideReply decide(Decision decision) throws PeerUnavailableException {
        return await(decideAsync(decision));
    }

    @Override
    public CompletableFuture<DecideReply> decideAsync(Decision decision) {
        return coalesced("/decide", WireCodec.decision(decision), WireCodec::decideReply);
    }

    @Override
    public TxnStatus txnStatus(TxnId txn) throws PeerUnavailableException {
        return call("/txn-status", WireCodec.txn(txn), WireCodec::txnStatus);
    }

    @Override
    public ShareState read(SecretId secret, Selector selector) throws PeerUnavailableException {
        return await(readAsync(secret, selector));
    }

    @Override
    public CompletableFuture<ShareState> readAsync(SecretId secret, Selector selector) {
        return coalesced("/read", WireCodec.readRequest(secret, selector), WireCodec::shareState);
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
    public dev.shardvault.vault.store.ShardStore.RepairOutcome repair(dev.shardvault.vault.protocol.Messages.RepairRequest request)
            throws PeerUnavailableException {
        return call("/repair", WireCodec.repairRequest(request), WireCodec::repairOutcome);
    }

    @Override
    public boolean tombstone(dev.shardvault.vault.protocol.Messages.TombstoneRequest request) throws PeerUnavailableException {
        return call("/tombstone", WireCodec.tombstoneRequest(request), WireCodec::bool);
    }

    // ---- coalescing: concurrent prepares, decisions and reads to this peer share HTTP exchanges ----

    private static final int SENDERS = 4;

    private record Queued(String route, byte[] body, CompletableFuture<byte[]> reply) {
    }

    private final java.util.concurrent.LinkedBlockingQueue<Queued> outbox = new java.util.concurrent.LinkedBlockingQueue<>(16_384);
    private final java.util.concurrent.atomic.AtomicInteger senders = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Sends through the outbox: up to {@value #SENDERS} exchanges to this peer are in flight at once, and each
     * carries every message that was waiting when it left (one alone when the peer is idle, so an idle
     * cluster pays no batching delay). No thread waits for the answer: the sender completes the future. Faults
     * and the tap still see each message on its own, in the sender.
     */
    private <T> CompletableFuture<T> coalesced(String route, byte[] body, Function<byte[], T> decoder) {
        Queued queued = new Queued(route, body, new CompletableFuture<>());
        if (!outbox.offer(queued)) {
            return CompletableFuture.failedFuture(new PeerUnavailableException("too many requests queued for node " + id, null));
        }
        startSenderIfNeeded();
        return queued.reply.thenApply(reply -> {
            try {
                return decoder.apply(reply);
            } catch (MalformedException e) {
                throw new CompletionException(new PeerUnavailableException(
                        "node " + id + " sent a malformed " + route + " reply: " + e.getMessage(), e));
            }
        });
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

    private void startSenderIfNeeded() {
        int running = senders.get();
        while (running < SENDERS && !outbox.isEmpty()) {
            if (senders.compareAndSet(running, running + 1)) {
                Thread.ofVirtual().name("peer-" + id + "-sender").start(this::sendLoop);
                return;
            }
            running = senders.get();
        }
    }

    /** Sends batches until the outbox is empty, then ends (a new one starts with the next message). */
    private void sendLoop() {
        try {
            java.util.List<Queued> batch = new java.util.ArrayList<>();
            while (true) {
                Queued first = outbox.poll();
                if (first == null) {
                    return;
                }
                batch.clear();
                batch.add(first);
                outbox.drainTo(batch, Batches.MAX_MESSAGES - 1);
                batch.removeIf(this::refusedByLink);
                if (!batch.isEmpty()) {
                    sendBatch(batch);
                }
            }
        } finally {
            senders.decrementAndGet();
            startSenderIfNeeded(); // a message queued while this sender was stopping
        }
    }

    /** Consults the link for one message; true (and the message failed) if it dropped it. */
    private boolean refusedByLink(Queued queued) {
        try {
            link.beforeSend(self, id, queued.route, queued.body);
            return false;
        } catch (PeerUnavailableException e) {
            queued.reply.completeExceptionally(e);
            return true;
        }
    }

    private void sendBatch(java.util.List<Queued> batch) {
        try {
            if (batch.size() == 1) {
                Queued only = batch.getFirst();
                only.reply.complete(call(only.route, only.body, bytes -> bytes, false));
                return;
            }
            java.util.List<Batches.Message> messages = batch.stream().map(q -> new Batches.Message(q.route, q.body)).toList();
            byte[] reply = call("/batch", Batches.encodeRequest(messages), bytes -> bytes, false);
            java.util.List<Batches.Answer> answers = Batches.decodeReply(reply, batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Batches.Answer answer = answers.get(i);
                if (answer.ok()) {
                    batch.get(i).reply.complete(answer.body());
                } else {
                    batch.get(i).reply.completeExceptionally(new PeerUnavailableException(
                            "node " + id + " refused " + batch.get(i).route + ": "
                            + new String(answer.body(), java.nio.charset.StandardCharsets.UTF_8), null));
                }
            }
        } catch (PeerUnavailableException | RuntimeException e) {
            PeerUnavailableException failure = e instanceof PeerUnavailableException unavailable ? unavailable
                    : new PeerUnavailableException("node " + id + ": " + e, e);
            batch.forEach(queued -> queued.reply.completeExceptionally(failure));
        }
    }

    private <T> T call(String route, byte[] body, Function<byte[], T> decoder) throws PeerUnavailableException {
        return call(route, body, decoder, true);
    }

    /**
     * One request, retried once on a transport failure: a pooled keep-alive connection to a peer that restarted
     * fails on first use, and every peer call is idempotent (a repeated prepare, decision, status question,
     * read, repair or tombstone has the effect of one), so the retry is always safe.
     */
    private <T> T call(String route, byte[] body, Function<byte[], T> decoder, boolean consultLink)
            throws PeerUnavailableException {
        if (consultLink) {
            link.beforeSend(self, id, route, body);
        }
        try {
            return attempt(route, body, decoder);
        } catch (TransportFailure first) {
            try {
                return attempt(route, body, decoder);
            } catch (TransportFailure second) {
                throw new PeerUnavailableException("node " + id + " unreachable for " + route + ": " + second.getCause(),
                                                   second.getCause());
            }
        }
    }

    /** A request that got no HTTP answer at all. */
    private static final class TransportFailure extends Exception {
        TransportFailure(RuntimeException cause) {
            super(cause.toString(), cause, false, false);
        }
    }

    private <T> T attempt(String route, byte[] body, Function<byte[], T> decoder) throws PeerUnavailableException, TransportFailure {
        try (HttpClientResponse response = client.post(BASE + route)
                .header(HeaderValues.create(HeaderNames.CONTENT_TYPE, OCTETS))
                .submit(body)) {
            byte[] reply = response.as(byte[].class);
            if (response.status().code() != 200) {
                throw new PeerUnavailableException("node " + id + " answered " + route + " with " + response.status()
                                                   + ": " + new String(reply, java.nio.charset.StandardCharsets.UTF_8), null);
            }
            return decoder.apply(reply);
        } catch (MalformedException e) {
            throw new PeerUnavailableException("node " + id + " sent a malformed " + route + " reply: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Helidon reports refused, reset and timed-out connections as unchecked exceptions.
            throw new TransportFailure(e);
        }
    }

    @Override
    public String toString() {
        return "HttpPeer[" + id + "]";
    }
}
