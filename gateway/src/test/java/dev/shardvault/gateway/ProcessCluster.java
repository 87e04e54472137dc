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
 * The gateway and five vault nodes as separate JVMs, configured and started the way scripts/cluster.sh does
 * it (YAML in a conf directory, one system property per node), each killable with SIGKILL.
 */
final class ProcessCluster implements AutoCloseable {

    private final Ports freePorts = new Ports();

    static final int N = 5;
    static final String TOKEN = "sv_process-test-token";
    static final int GATEWAY = 0;

    private final Path dir;
    private final Path tls;
    private final Process[] processes = new Process[N + 1];
    /** Vault nodes' gateway-facing ports, and the gateway's plain HTTP port at {@link #GATEWAY}. */
    private final int[] ports = new int[N + 1];
    private final int[] peerPorts = new int[N + 1];
    private final int httpsPort;

    /** A cluster with its own copy of the test TLS material (under dir/tls), so that a test may rotate it. */
    ProcessCluster(Path dir) {
        this.dir = dir;
        this.tls = TestTls.copyTo(dir.resolve("tls"));
        this.httpsPort = freePorts.next();
        StringBuilder nodes = new StringBuilder();
        for (int id = 0; id <= N; id++) {
            ports[id] = freePorts.next();
            if (id > 0) {
                peerPorts[id] = freePorts.next();
                nodes.append("    - id: ").append(id).append("\n      host: 127.0.0.1\n      port: ").append(ports[id])
                     .append("\n      peer-port: ").append(peerPorts[id]).append('\n');
            }
        }
        try {
            Files.writeString(dir.resolve("cluster.yaml"), "cluster:\n  n: 5\n  k: 3\n  repair-trigger-buffer: 1\n  nodes:\n" + nodes);
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
            Files.writeString(dir.resolve("gateway.yaml"), "server:\n  host: 127.0.0.1\n  port: " + httpsPort
                    + "\ngateway:\n  plain-http:\n    port: " + ports[GATEWAY]
                    + "\n  connect-timeout-millis: 200\n  request-timeout-millis: 8000\n  probe-interval-millis: 200\n"
                    + "  tokens:\n    - sha256: \"" + HexFormat.of().formatHex(Tokens.sha256(TOKEN)) + "\"\n"
                    + "      namespace: default\n      actions: [read, write, delete, list, env, grant, audit]\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The gateway's plain HTTP (loopback) address. */
    URI gateway() {
        return URI.create("http://127.0.0.1:" + ports[GATEWAY]);
    }

    URI gatewayHttps() {
        return URI.create("https://127.0.0.1:" + httpsPort);
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
        return dir.resolve(id == GATEWAY ? "gateway.out" : "node-" + id + ".out");
    }

    /** Starts vault node {@code id} (1..5), or the gateway for {@link #GATEWAY}, and waits until it is healthy. */
    void start(int id) throws InterruptedException {
        launch(id);
        awaitUp(id);
    }

    /** Starts every vault node at once (their JVMs boot side by side) and waits until all are healthy. */
    void startNodes() throws InterruptedException {
        for (int id = 1; id <= N; id++) {
            launch(id);
        }
        for (int id = 1; id <= N; id++) {
            awaitUp(id);
        }
    }

    private void launch(int id) {
        String kind = id == GATEWAY ? "gateway" : "vault";
        List<String> options = new ArrayList<>(List.of("-Xmx160m", "-Dshardvault.conf-dir=" + dir,
                "-D" + kind + ".tls.dir=" + tls, "-D" + kind + ".tls.reload-interval-millis=" + TestTls.RELOAD_INTERVAL.toMillis()));
        List<String> training = new ArrayList<>(options);
        if (id != GATEWAY) {
            options.addAll(List.of("-Dvault.node-id=" + id, "-Dvault.data-dir=" + dataDir(id)));
            training.addAll(List.of("-Dvault.node-id=" + id, "-Dvault.data-dir=" + dir.resolve("aot-training")));
        }
        String main = id == GATEWAY ? GatewayMain.class.getName() : VaultMain.class.getName();
        List<String> command = ChildJvm.command(main, options, training, process -> awaitUp(process, id));
        try {
            processes[id] = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(outputOf(id).toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void startAll() throws InterruptedException {
        startNodes();
        start(GATEWAY);
    }

    /** SIGKILL. */
    void kill(int id) throws InterruptedException {
        processes[id].destroyForcibly();
        processes[id].waitFor(30, TimeUnit.SECONDS);
    }

    private void awaitUp(int id) throws InterruptedException {
        awaitUp(processes[id], id);
    }

    private void awaitUp(Process process, int id) throws InterruptedException {
        WebClient client = id == GATEWAY
                ? WebClient.builder().baseUri(gateway()).connectTimeout(Duration.ofMillis(200)).build()
                : WebClient.builder().baseUri(node(id)).tls(TestTls.client(Identity.gateway())).connectTimeout(Duration.ofMillis(200)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("process " + id + " died at start: " + output(id));
            }
            try (HttpClientResponse response = client.get("/observe/health").request()) {
                // The gateway's health is DOWN while fewer than k nodes answer; it is listening, which is enough here.
                if (response.status().code() == 200 || (id == GATEWAY && response.status().code() == 503)) {
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
    }
}
