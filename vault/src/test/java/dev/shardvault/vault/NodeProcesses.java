package dev.shardvault.vault;

import dev.shardvault.tls.ChildJvm;
import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * n vault node JVMs started the way scripts/cluster.sh starts them, on fixed loopback ports, with the
 * development certificates of {@link TestTls} (mutual TLS on every socket).
 */
final class NodeProcesses implements AutoCloseable {

    /** Small log segments and short timeouts, so that crash tests finish quickly. */
    static final String FAST_VAULT_YAML = """
            vault:
              log:
                segment-bytes: 1048576
                max-record-bytes: 262144
              timeouts:
                peer-connect-millis: 200
                peer-read-millis: 1500
                read-millis: 1000
                resolve-interval-millis: 100
                in-doubt-min-age-millis: 300
            """;

    private final Path dir;
    private final int n;
    private final Process[] processes;
    private final int[] ports;
    private final int[] peerPorts;

    NodeProcesses(Path dir, int n, String vaultYaml) {
        this.dir = dir;
        this.n = n;
        this.processes = new Process[n + 1];
        this.ports = new int[n + 1];
        this.peerPorts = new int[n + 1];
        StringBuilder nodes = new StringBuilder();
        for (int id = 1; id <= n; id++) {
            ports[id] = freePort();
            peerPorts[id] = freePort();
            nodes.append("    - id: ").append(id).append("\n      host: 127.0.0.1\n      port: ").append(ports[id])
                 .append("\n      peer-port: ").append(peerPorts[id]).append('\n');
        }
        try {
            Files.writeString(dir.resolve("cluster.yaml"), "cluster:\n  n: " + n + "\n  k: 3\n  repair-trigger-buffer: 1\n  nodes:\n" + nodes);
            Files.writeString(dir.resolve("vault.yaml"), vaultYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port(int id) {
        return ports[id];
    }

    Client client(int id) {
        return new Client(URI.create("https://127.0.0.1:" + ports[id]), id);
    }

    /** A peer-protocol client to node {@code id}, holding another node's certificate (peers answer only nodes). */
    dev.shardvault.vault.peer.HttpPeer peer(int id) {
        int as = id == 1 ? 2 : 1;
        return new dev.shardvault.vault.peer.HttpPeer(as, id, URI.create("https://127.0.0.1:" + peerPorts[id]),
                dev.shardvault.tls.TestTls.client(dev.shardvault.tls.Identity.node(as)), java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(5), dev.shardvault.vault.peer.PeerLink.DIRECT);
    }

    Path dataDir(int id) {
        return dir.resolve("node-" + id);
    }

    Process process(int id) {
        return processes[id];
    }

    void start(int id, String... extraProperties) {
        List<String> options = new ArrayList<>(List.of("-Xmx192m", "-Dshardvault.conf-dir=" + dir, "-Dvault.node-id=" + id,
                "-Dvault.tls.dir=" + TestTls.dir(), "-Dvault.tls.reload-interval-millis=" + TestTls.RELOAD_INTERVAL.toMillis()));
        List<String> training = new ArrayList<>(options);
        training.add("-Dvault.data-dir=" + dir.resolve("aot-training"));
        options.add("-Dvault.data-dir=" + dataDir(id));
        options.addAll(List.of(extraProperties));
        List<String> command = ChildJvm.command(VaultMain.class.getName(), options, training, process -> awaitHealthy(process, id));
        try {
            processes[id] = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + id + ".out").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until node {@code id} serves and takes part in quorums (a node started empty first compares itself with its peers). */
    void awaitHealthy(int id) throws InterruptedException {
        awaitHealthy(processes[id], id);
        TestGrants.register(URI.create("https://127.0.0.1:" + ports[id]), id); // as the gateway's probe does
        ClusterTestBase.eventually("node " + id + " joins the quorums", () -> {
            jakarta.json.JsonObject data = healthData(id);
            return data != null && data.getBoolean("rebuildReady", false);
        });
    }
    private void awaitHealthy(Process process, int id) throws InterruptedException {
        WebClient client = WebClient.builder().baseUri("https://127.0.0.1:" + ports[id]).tls(TestTls.client(Identity.gateway()))
                .connectTimeout(Duration.ofMillis(200)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("node " + id + " died at start: " + log(id));
            }
            try (HttpClientResponse response = client.get("/observe/health").request()) {
                if (response.status().code() == 200) {
                    return;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("node " + id + " not healthy within 60 s");
    }

    /** The details of node {@code id}'s {@code vault} health check, or null if it does not answer. */
    jakarta.json.JsonObject healthData(int id) {
        WebClient client = WebClient.builder().baseUri("https://127.0.0.1:" + ports[id]).tls(TestTls.client(Identity.gateway()))
                .connectTimeout(Duration.ofMillis(500)).build();
        try (HttpClientResponse response = client.get("/observe/health").request()) {
            if (response.status().code() != 200) {
                return null;
            }
            jakarta.json.JsonObject health = jakarta.json.Json.createReader(new java.io.StringReader(response.as(String.class)))
                    .readObject();
            for (jakarta.json.JsonValue check : health.getJsonArray("checks")) {
                jakarta.json.JsonObject object = check.asJsonObject();
                if ("vault".equals(object.getString("name", ""))) {
                    return object.getJsonObject("data");
                }
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** SIGKILL, and wait for the process to be gone. */
    void kill(int id) throws InterruptedException {
        processes[id].destroyForcibly();
        processes[id].waitFor(30, TimeUnit.SECONDS);
    }

    String log(int id) {
        try {
            return Files.readString(dir.resolve("node-" + id + ".out"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private final java.util.Set<Integer> taken = new java.util.HashSet<>();

    /** An ephemeral port not handed out before by this cluster (the OS may offer a just-closed port again). */
    private int freePort() {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (taken.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() {
        for (int id = 1; id <= n; id++) {
            if (processes[id] != null) {
                processes[id].destroyForcibly();
            }
        }
    }
}
