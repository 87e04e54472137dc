package dev.shardvault.vault;

import dev.shardvault.log.RecordLog;
import dev.shardvault.vault.config.NodeConfig;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/** One running vault node: its log, its gateway-facing socket and its peer socket. */
public final class VaultNode implements AutoCloseable {

    static final String PEER_SOCKET = "peer";

    private final NodeConfig config;
    private final RecordLog log;
    private final WebServer server;

    private VaultNode(NodeConfig config, RecordLog log, WebServer server) {
        this.config = config;
        this.log = log;
        this.server = server;
    }

    public static VaultNode start(NodeConfig config) throws IOException {
        RecordLog log = RecordLog.open(config.dataDir(), config.log(), record -> { });
        try {
            WebServer server = WebServer.builder()
                    .host(config.address().host())
                    .port(config.address().port())
                    .putSocket(PEER_SOCKET, socket -> socket.host(config.address().host()).port(config.address().peerPort()))
                    .addFeature(ObserveFeature.builder()
                                        .sockets(java.util.List.of(WebServer.DEFAULT_SOCKET_NAME, PEER_SOCKET))
                                        .addObserver(HealthObserver.builder()
                                                             .details(true)
                                                             .addCheck(() -> HealthCheckResponse.builder()
                                                                               .status(true)
                                                                               .detail("node", config.nodeId())
                                                                               .build(),
                                                                       HealthCheckType.READINESS, "vault")
                                                             .build())
                                        .build())
                    .routing(routing -> { })
                    .routing(PEER_SOCKET, routing -> { })
                    .build()
                    .start();
            return new VaultNode(config, log, server);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
    }

    public URI uri() {
        return URI.create("http://" + config.address().host() + ":" + server.port());
    }

    public URI peerUri() {
        return URI.create("http://" + config.address().host() + ":" + server.port(PEER_SOCKET));
    }

    @Override
    public void close() {
        server.stop();
        try {
            log.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
