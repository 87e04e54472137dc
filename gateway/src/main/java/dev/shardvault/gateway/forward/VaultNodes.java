package dev.shardvault.gateway.forward;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.GatewayConfig;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.Method;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The vault nodes: health, and forwarding with fail-over. */
public final class VaultNodes implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VaultNodes.class.getName());
    /** Largest answer body taken from a node (a listing page or a secret is far smaller). */
    private static final int MAX_ANSWER_BYTES = 4 << 20;
    /** Idle connections kept per node: enough for every concurrent request the gateway forwards to one node. */
    private static final int MAX_IDLE_CONNECTIONS = 256;
    /** Well under any server's keep-alive timeout, so a kept connection is not one the node is closing. */
    private static final long MAX_IDLE_MILLIS = 15_000;
    private static final Map<String, String> JSON_BODY = Map.of("Content-Type", "application/json");

    /**
     * A vault node's answer: its status and JSON body. {@code afterAmbiguousFailure}: an earlier attempt may have
     * reached a node before it failed (another node, or this one over a kept-alive connection that broke), so
     * for a write this answer alone does not say what happened.
     */
    public record Answer(int status, JsonObject body, boolean afterAmbiguousFailure) {
    }

    /** What the last probe found. */
    public record NodeStatus(int id, URI uri, boolean up, long latencyMillis) {
    }

    private final List<GatewayConfig.VaultNodeAddress> addresses;
    private final List<OriginClient> clients = new ArrayList<>();
    private final List<OriginClient> probes = new ArrayList<>();
    private final NodeStatus[] status;
    private final AtomicInteger next = new AtomicInteger();
    private final long probeIntervalMillis;
    private final Thread prober;
    private volatile boolean closed;

    public VaultNodes(GatewayConfig config) {
        this.addresses = config.nodes();
        this.probeIntervalMillis = config.probeIntervalMillis();
        this.status = new NodeStatus[addresses.size()];
        for (int i = 0; i < addresses.size(); i++) {
            GatewayConfig.VaultNodeAddress address = addresses.get(i);
            int connectMillis = Math.toIntExact(config.connectTimeoutMillis());
            clients.add(new OriginClient(address.uri(), connectMillis, Math.toIntExact(config.requestTimeoutMillis()),
                                         MAX_ANSWER_BYTES, MAX_IDLE_CONNECTIONS, MAX_IDLE_MILLIS));
            probes.add(new OriginClient(address.uri(), connectMillis, Math.toIntExact(Math.max(500, config.probeIntervalMillis())),
                                        MAX_ANSWER_BYTES, 1, MAX_IDLE_MILLIS));
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
    public Answer send(Method method, String path, Map<String, String> query, JsonObject body) {
        List<Integer> order = order();
        String target = target(path, query);
        byte[] bytes = body == null ? null : body.toString().getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = body == null ? Map.of() : JSON_BODY;
        StringBuilder failures = new StringBuilder();
        boolean ambiguous = false;
        for (int index : order) {
            try {
                OriginClient.Response response = clients.get(index).exchange(method.text(), target, headers, bytes);
                return new Answer(response.status(), parse(response.body()), ambiguous || response.resent());
            } catch (IOException e) {
                markDown(index);
                boolean notSent = e instanceof OriginClient.NotSentException;
                ambiguous |= !notSent;
                failures.append(failures.isEmpty() ? "" : "; ").append("node ").append(addresses.get(index).id())
                        .append(notSent ? " unreachable" : " did not answer");
                LOG.log(System.Logger.Level.DEBUG, "vault node " + addresses.get(index).id() + " failed: " + e);
            }
        }
        throw new ProblemException(Problem.of(503, "quorum-unavailable", "No vault node available",
                                              "no vault node answered: " + failures).with("votes", 0));
    }

    /** The request target: the path (built from validated names) and the percent-encoded query. */
    private static String target(String path, Map<String, String> query) {
        if (query.isEmpty()) {
            return path;
        }
        StringBuilder target = new StringBuilder(path);
        char separator = '?';
        for (Map.Entry<String, String> parameter : query.entrySet()) {
            target.append(separator).append(URLEncoder.encode(parameter.getKey(), StandardCharsets.UTF_8))
                    .append('=').append(URLEncoder.encode(parameter.getValue(), StandardCharsets.UTF_8));
            separator = '&';
        }
        return target.toString();
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

    private void probeAll() {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            int index = i;
            threads.add(Thread.ofVirtual().start(() -> probe(index)));
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void probe(int index) {
        long started = System.nanoTime();
        boolean up;
        try {
            up = probes.get(index).exchange("GET", "/observe/health", Map.of(), null).status() == 200;
        } catch (IOException e) {
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
        clients.forEach(OriginClient::close);
        probes.forEach(OriginClient::close);
    }
}
