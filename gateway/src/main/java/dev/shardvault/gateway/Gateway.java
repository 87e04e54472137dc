package dev.shardvault.gateway;

import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.http.PublicApi;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import java.net.URI;

/** The running gateway: the public HTTP API in front of the vault nodes. */
public final class Gateway implements AutoCloseable {

    /** Larger than the API's 1 MiB limit, so that the API itself answers 413 with a problem. */
    private static final long MAX_PAYLOAD_BYTES = 2L << 20;

    static {
        // Helidon 4.4 resolves the global mapper manager through its service registry on every header value
        // conversion (a fresh instance per lookup); pinning one instance removed most of a request's CPU.
        io.helidon.common.mapper.MapperManager.global(io.helidon.common.mapper.MapperManager.create());
    }

    private final WebServer server;
    private final VaultNodes vault;
    private final String host;

    private Gateway(WebServer server, VaultNodes vault, String host) {
        this.server = server;
        this.vault = vault;
        this.host = host;
    }

    public static Gateway start(GatewayConfig config) {
        VaultNodes vault = new VaultNodes(config);
        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .maxPayloadSize(MAX_PAYLOAD_BYTES)
                .connectionOptions(options -> options.tcpNoDelay(true))
                .addFeature(ObserveFeature.builder()
                                    .addObserver(HealthObserver.builder()
                                                         .details(true)
                                                         .addCheck(() -> {
                                                             int up = vault.upCount();
                                                             return HealthCheckResponse.builder()
                                                                     .status(up >= config.k())
                                                                     .detail("vaultNodesUp", up)
                                                                     .detail("threshold", config.k())
                                                                     .build();
                                                         }, HealthCheckType.READINESS, "vault-nodes")
                                                         .build())
                                    .addObserver(MetricsObserver.create())
                                    .build())
                .routing(routing -> PublicApi.register(routing, config, vault))
                .build()
                .start();
        return new Gateway(server, vault, config.host());
    }

    public URI uri() {
        return URI.create("http://" + host + ":" + server.port());
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
        vault.close();
    }
}
