package dev.shardvault.gateway;

import dev.shardvault.gateway.auth.Tokens;
import dev.shardvault.tls.ChildJvm;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import dev.shardvault.vault.VaultMain;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One or two gateways and five vault nodes as separate JVMs, configured and started the way scripts/cluster.sh
 * does it (YAML in a conf directory, one system property per node), each killable with SIGKILL and pausable with
 * SIGSTOP. With {@link Options#proxied}, every connection a process opens to a node socket goes through its own
 * {@link FaultProxy} link (each process then gets its own conf directory, naming the proxies as its peers).
 */
final class ProcessCluster implements AutoCloseable {

    /** How many gateways, whether links go through a {@link FaultProxy}, and each gateway's clock offset. */
    record Options(int gateways, boolean proxied, long[] clockOffsetMillis) {
        static Options plain() {
            return new Options(1, false, new long[] {0});
        }
    }

    private final Ports freePorts = new Ports();

    static final int N = 5;
    static final String TOKEN = "sv_process-test-token";
    /** The (first) gateway's id; a second gateway is {@code N + 1}. */
    static final int GATEWAY = 0;

    private final Path dir;
    private final Path tls;
    private final Options options;
    private final FaultProxy proxy;
    private final Process[] processes = new Process[N + 2];
    /** Vault nodes' gateway-facing ports, and the gateways' plain HTTP ports at {@link #GATEWAY} and N + 1. */
    private final int[] ports = new int[N + 2];
    private final int[] peerPorts = new int[N + 2];
    private final int[] httpsPorts = new int[N + 2];

    /** A cluster with its own copy of the test TLS material (under dir/tls), so that a test may rotate it. */
    ProcessCluster(Path dir) {
        this(dir, Options.plain());
    }

    ProcessCluster(Path dir, Options options) {
        this.dir = dir;
        this.options = options;
        this.tls = TestTls.copyTo(dir.resolve("tls"));
        this.proxy = options.proxied() ? new FaultProxy() : null;
        for (int id : ids()) {
            ports[id] = freePorts.next();
            if (isGateway(id)) {
                httpsPorts[id] = freePorts.next();
            } else {
                peerPorts[id] = freePorts.next();
            }
        }
        if (proxy != null) {
            for (int from : ids()) {
                for (int to = 1; to <= N; to++) {
                    if (to != from) {
                        proxy.add(name(from), name(to), isGateway(from) ? ports[to] : peerPorts[to]);
                    }
                }
            }
        }
        try {
            Files.writeString(dir.resolve("vault.yaml"), """
                    vault:
                      log:
                        segment-bytes: 1048576
                        max-record-bytes: 262144
                      timeouts:
                        peer-connect-millis: 200
                        peer-read-millis: 1500
                        prepare-millis: 1000
                        commit-millis: 1000
                        write-budget-millis: 2000
                        read-millis: 2000
                        resolve-interval-millis: 100
                        in-doubt-min-age-millis: 300
                        sweep-interval-millis: 1000
                    """);
            for (int id : ids()) {
                Path conf = confDir(id);
                Files.createDirectories(conf);
                if (!conf.equals(dir)) {
                    Files.copy(dir.resolve("vault.yaml"), conf.resolve("vault.yaml"));
                }
                Files.writeString(conf.resolve("cluster.yaml"), clusterYaml(id));
                if (isGateway(id)) {
                    Files.writeString(conf.resolve("gateway.yaml"), "server:\n  host: 127.0.0.1\n  port: " + httpsPorts[id]
                            + "\ngateway:\n  plain-http:\n    port: " + ports[id]
                            + "\n  connect-timeout-millis: 200\n  request-timeout-millis: 8000\n  probe-interval-millis: 200\n"
                            + "  tokens:\n    - sha256: \"" + HexFormat.of().formatHex(Tokens.sha256(TOKEN)) + "\"\n"
                            + "      namespace: default\n      actions: [read, write, delete, list, env, grant, audit]\n");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every process id: the gateways, then nodes 1..N. */
    List<Integer> ids() {
        List<Integer> ids = new ArrayList<>(gatewayIds());
        for (int id = 1; id <= N; id++) {
            ids.add(id);
        }
        return ids;
    }

    List<Integer> gatewayIds() {
        return options.gateways() == 1 ? List.of(GATEWAY) : List.of(GATEWAY, N + 1);
    }

    static boolean isGateway(int id) {
        return id == GATEWAY || id == N + 1;
    }

    /** "g1", "g2" for the gateways, "n1".."n5" for the nodes: the names of {@link #proxy()}'s links. */
    static String name(int id) {
        return id == GATEWAY ? "g1" : id == N + 1 ? "g2" : "n" + id;
    }

    /** The fault proxy every link goes through (only with {@link Options#proxied}). */
    FaultProxy proxy() {
        if (proxy == null) {
            throw new IllegalStateException("this cluster was made without proxies");
        }
        return proxy;
    }

    private Path confDir(int id) {
        return proxy == null ? dir : dir.resolve("conf").resolve(name(id));
    }

    /** The cluster as process {@code id} sees it: itself at its own ports, every other node behind its proxy. */
    private String clusterYaml(int id) {
        StringBuilder nodes = new StringBuilder();
        for (int node = 1; node <= N; node++) {
            int port = ports[node];
            int peerPort = peerPorts[node];
            if (proxy != null && node != id) {
                if (isGateway(id)) {
                    port = proxy.link(name(id), name(node)).port();
                } else {
                    peerPort = proxy.link(name(id), name(node)).port();
                }
            }
            nodes.append("    - id: ").append(node).append("\n      host: 127.0.0.1\n      port: ").append(port)
                 .append("\n      peer-port: ").append(peerPort).append('\n');
        }
        return "cluster:\n  n: 5\n  k: 3\n  repair-trigger-buffer: 1\n  nodes:\n" + nodes;
    }

    /** The (first) gateway's plain HTTP (loopback) address. */
    URI gateway() {
        return gateway(GATEWAY);
    }

    /** Gateway {@code id}'s plain HTTP (loopback) address. */
    URI gateway(int id) {
        return URI.create("http://127.0.0.1:" + ports[id]);
    }

    URI gatewayHttps() {
        return URI.create("https://127.0.0.1:" + httpsPorts[GATEWAY]);
    }

    /** Vault node {@code id}'s gateway-facing socket. */
    URI node(int id) {
        return URI.create("https://127.0.0.1:" + ports[id]);
    }

    URI peer(int id) {
        return URI.create("https://127.0.0.1:" + peerPorts[id]);
    }

    /** This cluster's TLS directory (a copy of the test CA and certificates). */
    Path tls() {
        return tls;
    }

    Path dataDir(int id) {
        return dir.resolve("data").resolve("node-" + id);
    }

    Path outputOf(int id) {
        return dir.resolve(isGateway(id) ? (id == GATEWAY ? "gateway.out" : "gateway-2.out") : "node-" + id + ".out");
    }

    /** Starts vault node {@code id} (1..5), or a gateway, and waits until it is healthy. */
    void start(int id) throws InterruptedException {
        launch(id);
        awaitUp(id);
    }

    /** Starts every vault node at once (their JVMs boot side by side) and waits until all are healthy. */
    void startNodes() throws InterruptedException {
        startNodes(java.util.stream.IntStream.rangeClosed(1, N).toArray());
    }

    /** Starts these processes side by side and waits until all are up. */
    void startNodes(int... ids) throws InterruptedException {
        for (int id : ids) {
            launch(id);
        }
        for (int id : ids) {
            awaitUp(id);
        }
        for (int id : ids) {
            if (!isGateway(id)) {
                awaitReady(id); // a node started empty joins the quorums once it compared itself with its peers
            }
        }
    }

    /** Waits until node {@code id}'s health details say it takes part in quorums. */
    private void awaitReady(int id) {
        WebClient client = WebClient.builder().baseUri(node(id)).tls(TestTls.client(Identity.gateway()))
                .connectTimeout(Duration.ofMillis(500)).readTimeout(Duration.ofSeconds(2)).build();
        ApiUnderFailureTest.eventually("node " + id + " joins the quorums", () -> {
            try (HttpClientResponse response = client.get("/observe/health").request()) {
                return response.status().code() == 200
                       && response.as(String.class).matches("(?s).*\"rebuildReady\"\\s*:\\s*true.*");
            } catch (RuntimeException e) {
                return false; // not answering yet
            }
        });
    }

    private void launch(int id) {
        String kind = isGateway(id) ? "gateway" : "vault";
        List<String> options = new ArrayList<>(List.of("-Xmx160m", "-Dshardvault.conf-dir=" + confDir(id),
                "-D" + kind + ".tls.dir=" + tls, "-D" + kind + ".tls.reload-interval-millis=" + TestTls.RELOAD_INTERVAL.toMillis()));
        List<String> training = new ArrayList<>(options);
        if (isGateway(id)) {
            long offset = this.options.clockOffsetMillis()[gatewayIds().indexOf(id)];
            if (offset != 0) {
                options.add("-Dshardvault.fault.clock-offset-millis=" + offset);
            }
        } else {
            options.addAll(List.of("-Dvault.node-id=" + id, "-Dvault.data-dir=" + dataDir(id)));
            training.addAll(List.of("-Dvault.node-id=" + id, "-Dvault.data-dir=" + dir.resolve("aot-training")));
        }
        String main = isGateway(id) ? GatewayMain.class.getName() : VaultMain.class.getName();
        List<String> command = ChildJvm.command(main, options, training, process -> awaitUp(process, id));
        try {
            processes[id] = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(outputOf(id).toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the nodes, then every gateway. */
    /**
     * Starts the nodes and the gateways side by side, and waits until every node takes part in quorums and every
     * gateway reports itself healthy (it sees at least k nodes).
     */
    void startAll() throws InterruptedException {
        startNodes(ids().stream().mapToInt(Integer::intValue).toArray());
        for (int id : gatewayIds()) {
            WebClient client = WebClient.builder().baseUri(gateway(id)).connectTimeout(Duration.ofMillis(200)).build();
            ApiUnderFailureTest.eventually("gateway " + id + " sees the nodes", () -> {
                try (HttpClientResponse response = client.get("/observe/health").request()) {
                    return response.status().code() == 200;
                } catch (RuntimeException e) {
                    return false;
                }
            });
        }
    }

    /** SIGKILL. */
    void kill(int id) throws InterruptedException {
        processes[id].destroyForcibly();
        processes[id].waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive(int id) {
        return processes[id] != null && processes[id].isAlive();
    }

    /** SIGSTOP: the process keeps its sockets and stops answering, as a long GC pause or a frozen VM does. */
    void pause(int id) {
        signal(id, "STOP");
    }

    /** SIGCONT. */
    void resume(int id) {
        signal(id, "CONT");
    }

    private void signal(int id, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(processes[id].pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " of process " + id + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Node {@code id}'s count of in-doubt transactions, from its health details; -1 if it does not answer. */
    int inDoubt(int id) {
        WebClient client = WebClient.builder().baseUri(node(id)).tls(TestTls.client(Identity.gateway()))
                .connectTimeout(Duration.ofMillis(500)).readTimeout(Duration.ofSeconds(2)).build();
        try (HttpClientResponse response = client.get("/observe/health").request()) {
            java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\"inDoubt\"\\s*:\\s*(\\d+)")
                    .matcher(response.as(String.class));
            return response.status().code() == 200 && matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private void awaitUp(int id) throws InterruptedException {
        awaitUp(processes[id], id);
    }

    private void awaitUp(Process process, int id) throws InterruptedException {
        boolean gateway = isGateway(id);
        WebClient client = gateway
                ? WebClient.builder().baseUri(gateway(id)).connectTimeout(Duration.ofMillis(200)).build()
                : WebClient.builder().baseUri(node(id)).tls(TestTls.client(Identity.gateway())).connectTimeout(Duration.ofMillis(200)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("process " + id + " died at start: " + output(id));
            }
            try (HttpClientResponse response = client.get("/observe/health").request()) {
                // The gateway's health is DOWN while fewer than k nodes answer; it is listening, which is enough here.
                if (response.status().code() == 200 || (gateway && response.status().code() == 503)) {
                    return;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("process " + id + " not up within 60 s");
    }

    String output(int id) {
        try {
            return Files.readString(outputOf(id));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    @Override
    public void close() {
        for (Process process : processes) {
            if (process != null) {
                process.destroyForcibly();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
    }
}
