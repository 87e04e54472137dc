package dev.shardvault.gateway.forward;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.GatewayConfig;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import dev.shardvault.tls.HandshakeTimeout;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.IdleMonitorRace;
import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.tls.ReleaseKeys;
import dev.shardvault.tls.ServerIdentity;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.InputStream;
import java.io.StringReader;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The vault nodes: health, and forwarding with fail-over, with Helidon's HTTP/1.1 client over mutual TLS (the
 * gateway's certificate; a node answers no other). One pool of kept-alive connections per node.
 */
public final class VaultNodes implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VaultNodes.class.getName());
    /** Largest answer body taken from a node (a listing page or a secret is far smaller). */
    private static final int MAX_ANSWER_BYTES = 4 << 20;
    /** Idle connections kept per node: enough for every concurrent request the gateway forwards to one node. */
    private static final int MAX_IDLE_CONNECTIONS = 256;

    /**
     * A vault node's answer: its status and JSON body. {@code afterAmbiguousFailure}: an earlier attempt may have
     * reached a node before it failed (another node, or this one over a kept-alive connection that broke), so
     * for a write this answer alone does not say what happened.
     */
    public record Answer(int status, JsonObject body, boolean afterAmbiguousFailure) {
    }

    /**
     * What a forwarded request may touch, authorized for whichever node it is sent to ({@link ReleaseGrant}):
     * {@code requestTimeMillis} is the stamp a write carries (for other kinds, when it was made); {@code audit}
     * who asks, for the custody timeline (the same for every node tried, so a fail-over records one event).
     */
    public record Grant(ReleaseGrant.Kind kind, String namespace, List<String> names, long requestTimeMillis,
                        ReleaseGrant.Audit audit) {
        public Grant {
            names = List.copyOf(names);
        }

        public static Grant read(String namespace, String name, ReleaseGrant.Audit audit) {
            return new Grant(ReleaseGrant.Kind.READ, namespace, List.of(name), System.currentTimeMillis(), audit);
        }

        public static Grant meta(String namespace, List<String> names, ReleaseGrant.Audit audit) {
            return new Grant(ReleaseGrant.Kind.META, namespace, names, System.currentTimeMillis(), audit);
        }

        /** The gateway acting on its own ({@code label} says as what), with a new request id. */
        public static ReleaseGrant.Audit system(String label) {
            byte[] request = new byte[ReleaseGrant.Audit.REQUEST_BYTES];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(request);
            return new ReleaseGrant.Audit(request, "system", label, "system", "");
        }
    }

    /** What the last probe found. */
    public record NodeStatus(int id, URI uri, boolean up, long latencyMillis) {
    }

    /** A probe connection stays pooled this many probe intervals (see the constructor). */
    private static final int PROBE_IDLE_INTERVALS = 10;
    private static final io.helidon.http.Header JSON_BODY = HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json");
    private static final io.helidon.http.HeaderName AUTHORIZATION = HeaderNames.create(ReleaseGrant.HEADER);

    private final List<GatewayConfig.VaultNodeAddress> addresses;
    private final List<Http1Client> clients = new ArrayList<>();
    private final List<Http1Client> probes = new ArrayList<>();
    /** A probe still running from an earlier round, by node index: no second one is started beside it. */
    private final Thread[] probing;
    private final NodeStatus[] status;
    private final AtomicInteger next = new AtomicInteger();
    private final long probeIntervalMillis;
    private final Duration requestTimeout;
    /** This gateway's release keys, one per node, made at start and never stored (see {@link ReleaseKeys}). */
    private final ReleaseKeys.GatewayKeys keys;
    private final Thread prober;
    private volatile boolean closed;

    /** {@code tls}: the gateway's client TLS (its identity, the cluster CA), reloaded in place on rotation. */
    public VaultNodes(GatewayConfig config, Tls tls) {
        this.addresses = config.nodes();
        this.probeIntervalMillis = config.probeIntervalMillis();
        this.requestTimeout = Duration.ofMillis(config.requestTimeoutMillis());
        this.keys = ReleaseKeys.generate(addresses.stream().map(GatewayConfig.VaultNodeAddress::id).toList());
        this.status = new NodeStatus[addresses.size()];
        this.probing = new Thread[addresses.size()];
        Duration connect = Duration.ofMillis(config.connectTimeoutMillis());
        for (int i = 0; i < addresses.size(); i++) {
            GatewayConfig.VaultNodeAddress address = addresses.get(i);
            clients.add(client(address.id(), address.uri(), tls, connect, requestTimeout, MAX_IDLE_CONNECTIONS));
            // Helidon's client closes a pooled connection once it has been idle for the read timeout of its last
            // request, so a probe timeout shorter than the interval would mean a TLS handshake per probe: the
            // probe's own connection gets a long read timeout and probeAll bounds the wait instead.
            probes.add(client(address.id(), address.uri(), tls, connect, Duration.ofMillis(PROBE_IDLE_INTERVALS * config.probeIntervalMillis()), 1));
            status[i] = new NodeStatus(address.id(), address.uri(), false, -1);
        }
        probeAll();
        this.prober = Thread.ofVirtual().name("vault-node-prober").start(this::probeLoop);
    }

    public List<NodeStatus> status() {
        synchronized (status) {
            return List.of(status.clone());
        }
    }

    public int upCount() {
        return (int) status().stream().filter(NodeStatus::up).count();
    }

    /**
     * Sends one request, starting at the next node in round-robin order and preferring nodes that answered the
     * last probe. A node that cannot be reached, or that fails to answer, is skipped for the next one; callers
     * make every write idempotent (a key) before calling, so a retry cannot apply a write twice.
     *
     * @throws ProblemException 503 when no node answered
     */
    public Answer send(Method method, String path, Map<String, String> query, JsonObject body, Grant grant) {
        return send(method, path, query, body, grant, null);
    }

    /**
     * Sends one write (carrying {@code idempotencyKey}) as {@link #send} does. If an earlier node may have received
     * it before failing, an answer that says nothing was done (404, 409, 412, 503 in the voting phase) speaks only
     * for the later attempt — the first may still commit — and so does no answer at all: either becomes 503
     * {@code commit-unconfirmed} with {@code phase: "unknown"} and the key to retry with.
     */
    public Answer sendWrite(Method method, String path, Map<String, String> query, JsonObject body, Grant grant,
                            String idempotencyKey) {
        Answer answer = send(method, path, query, body, grant, idempotencyKey);
        boolean saysNothingHappened = answer.status() == 404 || answer.status() == 409 || answer.status() == 412
                                      || (answer.status() == 503 && "voting".equals(answer.body().getString("phase", "")));
        if (answer.afterAmbiguousFailure() && saysNothingHappened) {
            throw unconfirmed(idempotencyKey, "a vault node failed while handling this write and another attempt could not "
                                              + "settle it");
        }
        return answer;
    }

    private static ProblemException unconfirmed(String idempotencyKey, String why) {
        return new ProblemException(Problem.of(503, "commit-unconfirmed", "Outcome unknown",
                why + "; retry with the same Idempotency-Key for the outcome")
                .with("phase", "unknown").with("idempotencyKey", idempotencyKey));
    }

    private Answer send(Method method, String path, Map<String, String> query, JsonObject body, Grant grant,
                        String idempotencyKey) {
        List<Integer> order = order();
        byte[] bytes = body == null ? null : body.toString().getBytes(StandardCharsets.UTF_8);
        StringBuilder failures = new StringBuilder();
        boolean ambiguous = false;
        for (int index : order) {
            try {
                Answer answer = exchange(index, method, path, query, bytes, grant, ambiguous);
                if (answer.status() == 403) {
                    // Only the authorization can be refused here (this is the gateway's identity): the node lost
                    // its release key (it restarted since the last probe). Nothing was done; the next node is asked.
                    markDown(index);
                    failures.append(failures.isEmpty() ? "" : "; ").append("node ").append(addresses.get(index).id())
                            .append(" refused the authorization");
                    continue;
                }
                return answer;
            } catch (RuntimeException e) {
                markDown(index);
                // Refused at connect: the request never left. Anything later may have reached the node.
                boolean notSent = IdleMonitorRace.causedBy(e, ConnectException.class);
                ambiguous |= !notSent;
                failures.append(failures.isEmpty() ? "" : "; ").append("node ").append(addresses.get(index).id())
                        .append(notSent ? " unreachable" : " did not answer");
                LOG.log(System.Logger.Level.DEBUG, "vault node " + addresses.get(index).id() + " failed: " + e);
            }
        }
        if (ambiguous && idempotencyKey != null) {
            // A write that may have reached a node: "nothing changed" (quorum-unavailable) would be a false answer.
            throw unconfirmed(idempotencyKey, "no vault node answered (" + failures + "), and one may have received "
                                              + "this write");
        }
        throw new ProblemException(Problem.of(503, "quorum-unavailable", "No vault node available",
                                              "no vault node answered: " + failures).with("votes", 0));
    }

    /**
     * One request to one node, sent once more to the same node if it failed only because Helidon's idle monitor
     * closed its pooled connection meanwhile (see {@link IdleMonitorRace}); the node is not down then.
     */
    private Answer exchange(int index, Method method, String path, Map<String, String> query, byte[] bytes, Grant grant,
                            boolean ambiguous) {
        for (int attempt = 1; ; attempt++) {
            Http1ClientRequest request = clients.get(index).method(method).path(path);
            query.forEach(request::queryParam);
            request.header(AUTHORIZATION, authorize(grant, addresses.get(index).id()).header());
            long started = System.nanoTime();
            try (HttpClientResponse response = bytes == null ? request.request()
                    : request.header(JSON_BODY).submit(bytes)) {
                return new Answer(response.status().code(), parse(answerBody(response)), ambiguous);
            } catch (RuntimeException e) {
                if (attempt > 1 || !IdleMonitorRace.lostTo(e, System.nanoTime() - started, requestTimeout)) {
                    throw e;
                }
            }
        }
    }

    /** The authorization of {@code grant} for node {@code coordinator}, tagged for every node. */
    private ReleaseGrant authorize(Grant grant, int coordinator) {
        return keys.issue(grant.kind(), coordinator, grant.namespace(), grant.names(), grant.requestTimeMillis(), grant.audit());
    }

    private static Http1Client client(int node, URI uri, Tls tls, Duration connect, Duration read, int idleConnections) {
        ServerIdentity server = new ServerIdentity(Identity.node(node), uri);
        return Http1Client.builder()
                .baseUri(server.uri())
                .dnsResolver(server) // only that node's certificate passes the handshake
                .tls(tls)
                .connectTimeout(connect)
                .readTimeout(read)
                .connectionListener(new HandshakeTimeout(read))
                .shareConnectionCache(false)
                .connectionCacheSize(idleConnections)
                .followRedirects(false)
                .sendExpectContinue(false)
                .build();
    }

    /** The answer's body, refused past {@link #MAX_ANSWER_BYTES} (a node never sends that much). */
    private static byte[] answerBody(HttpClientResponse response) {
        long declared = response.headers().contentLength().orElse(-1);
        if (declared > MAX_ANSWER_BYTES) {
            throw new IllegalStateException("answer of " + declared + " bytes is over " + MAX_ANSWER_BYTES);
        }
        try (InputStream in = response.inputStream()) {
            byte[] body = in.readNBytes(MAX_ANSWER_BYTES + 1);
            if (body.length > MAX_ANSWER_BYTES) {
                throw new IllegalStateException("answer is over " + MAX_ANSWER_BYTES + " bytes");
            }
            return body;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<Integer> order() {
        int size = addresses.size();
        int start = Math.floorMod(next.getAndIncrement(), size);
        List<Integer> up = new ArrayList<>();
        List<Integer> down = new ArrayList<>();
        NodeStatus[] snapshot;
        synchronized (status) {
            snapshot = status.clone();
        }
        for (int i = 0; i < size; i++) {
            int index = (start + i) % size;
            (snapshot[index].up() ? up : down).add(index);
        }
        up.addAll(down);
        return up;
    }

    private static JsonObject parse(byte[] body) {
        if (body.length == 0 || body[0] != '{') {
            return JsonObject.EMPTY_JSON_OBJECT;
        }
        // A node's answer is JSON this project wrote; read as text, the parser needs no decoder of its own.
        try (JsonReader reader = JSON.createReader(new StringReader(new String(body, StandardCharsets.UTF_8)))) {
            return reader.readObject();
        } catch (RuntimeException e) {
            return JsonObject.EMPTY_JSON_OBJECT;
        }
    }

    private void markDown(int index) {
        synchronized (status) {
            NodeStatus old = status[index];
            status[index] = new NodeStatus(old.id(), old.uri(), false, old.latencyMillis());
        }
    }

    private void probeLoop() {
        while (!closed) {
            try {
                Thread.sleep(probeIntervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            probeAll();
        }
    }

    /** Probes every node at once; a node that has not answered within the probe timeout is down for now. */
    private void probeAll() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(500, probeIntervalMillis));
        for (int i = 0; i < addresses.size(); i++) {
            if (probing[i] == null || !probing[i].isAlive()) {
                int index = i;
                probing[i] = Thread.ofVirtual().name("vault-node-probe").start(() -> probe(index));
            }
        }
        for (int i = 0; i < addresses.size(); i++) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !probing[i].join(Duration.ofNanos(left))) {
                    markDown(i); // still waiting: its answer, when it comes, is the next status
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void probe(int index) {
        long started = System.nanoTime();
        boolean up;
        // The probe hands the node its release key: a node that restarted (keys are in memory only) has it again
        // within one probe interval, and a node that does not take it is not up.
        byte[] registration = JSON.createObjectBuilder().add("keyId", Long.toString(keys.keyId()))
                .add("key", java.util.Base64.getEncoder().encodeToString(keys.perNode().get(addresses.get(index).id())))
                .build().toString().getBytes(StandardCharsets.UTF_8);
        try (HttpClientResponse response = probes.get(index).post("/internal/v1/release-keys").header(JSON_BODY)
                .submit(registration)) {
            up = response.status().code() == 200;
        } catch (RuntimeException e) {
            up = false;
        }
        long latency = (System.nanoTime() - started) / 1_000_000;
        GatewayConfig.VaultNodeAddress address = addresses.get(index);
        synchronized (status) {
            status[index] = new NodeStatus(address.id(), address.uri(), up, up ? latency : -1);
        }
    }

    @Override
    public void close() {
        closed = true;
        prober.interrupt();
        clients.forEach(Http1Client::closeResource);
        probes.forEach(Http1Client::closeResource);
    }
}
