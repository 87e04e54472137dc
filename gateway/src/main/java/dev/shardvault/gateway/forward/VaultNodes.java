package dev.shardvault.gateway.forward;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.GatewayConfig;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The vault nodes: health, and forwarding with fail-over. */
public final class VaultNodes implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VaultNodes.class.getName());

    /**
     * A vault node's answer: its status and JSON body. {@code afterAmbiguousFailure}: an earlier node may have
     * received this same request before it failed, so for a write this answer alone does not say what happened.
     */
    public record Answer(int status, JsonObject body, boolean afterAmbiguousFailure) {
    }

    /** What the last probe found. */
    public record NodeStatus(int id, URI uri, boolean up, long latencyMillis) {
    }

    private final List<GatewayConfig.VaultNodeAddress> addresses;
    private final List<WebClient> clients = new ArrayList<>();
    private final List<WebClient> probes = new ArrayList<>();
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
            clients.add(WebClient.builder().baseUri(address.uri())
                                .connectTimeout(Duration.ofMillis(config.connectTimeoutMillis()))
                                .readTimeout(Duration.ofMillis(config.requestTimeoutMillis()))
                                .socketOptions(options -> options.tcpNoDelay(true))
                                .maxInMemoryEntity(4 << 20)
                                .build());
            probes.add(WebClient.builder().baseUri(address.uri())
                               .connectTimeout(Duration.ofMillis(config.connectTimeoutMillis()))
                               .readTimeout(Duration.ofMillis(Math.max(500, config.probeIntervalMillis())))
                               .build());
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
        StringBuilder failures = new StringBuilder();
        boolean ambiguous = false;
        for (int index : order) {
            HttpClientRequest request = clients.get(index).method(method).path(path);
            query.forEach(request::queryParam);
            try (HttpClientResponse response = body == null ? request.request()
                    : request.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json")).submit(body.toString())) {
                String text = response.as(String.class);
                return new Answer(response.status().code(), parse(text), ambiguous);
            } catch (RuntimeException e) {
                markDown(index);
                ambiguous |= !connectFailure(e);
                failures.append(failures.isEmpty() ? "" : "; ").append("node ").append(addresses.get(index).id())
                        .append(connectFailure(e) ? " unreachable" : " did not answer");
                LOG.log(System.Logger.Level.DEBUG, "vault node " + addresses.get(index).id() + " failed: " + e);
            }
        }
        throw new ProblemException(Problem.of(503, "quorum-unavailable", "No vault node available",
                                              "no vault node answered: " + failures).with("votes", 0));
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

    private static JsonObject parse(String text) {
        if (text == null || !text.startsWith("{")) {
            return JsonObject.EMPTY_JSON_OBJECT;
        }
        try (JsonReader reader = JSON.createReader(new StringReader(text))) {
            return reader.readObject();
        } catch (RuntimeException e) {
            return JsonObject.EMPTY_JSON_OBJECT;
        }
    }

    private static boolean connectFailure(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof NoRouteToHostException) {
                return true;
            }
        }
        return false;
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
        try (HttpClientResponse response = probes.get(index).get("/observe/health").request()) {
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
    }
}
