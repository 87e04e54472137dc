package dev.shardvault.gateway;

import dev.shardvault.gateway.auth.TokenSync;
import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.http.EdgeProblems;
import dev.shardvault.gateway.http.PublicApi;
import dev.shardvault.tls.InvalidTlsMaterialException;
import dev.shardvault.tls.TlsReloader;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import java.net.URI;
import java.util.List;

/**
 * The running gateway: the public HTTP API in front of the vault nodes, on HTTPS (always; a certificate from
 * the cluster CA, no client certificate asked for) and, for local development, on plain HTTP bound to a
 * loopback address only. Both sockets serve the same routes and limits.
 */
public final class Gateway implements AutoCloseable {

    /** The named Helidon socket of plain HTTP. */
    public static final String PLAIN_SOCKET = "plain";
    /** Open connections per socket; further connects wait in the listen backlog. */
    private static final int MAX_TCP_CONNECTIONS = 4_096;

    /** Larger than the API's 1 MiB limit, so that the API itself answers 413 with a problem. */
    private static final long MAX_PAYLOAD_BYTES = 2L << 20;

    static {
        // Helidon 4.4 resolves the global mapper manager through its service registry on every header value
        // conversion (a fresh instance per lookup); pinning one instance removed most of a request's CPU.
        io.helidon.common.mapper.MapperManager.global(io.helidon.common.mapper.MapperManager.create());
    }

    private final WebServer server;
    private final VaultNodes vault;
    private final TokenSync tokens;
    private final TlsReloader tls;
    private final GatewayConfig config;

    private Gateway(WebServer server, VaultNodes vault, TokenSync tokens, TlsReloader tls, GatewayConfig config) {
        this.server = server;
        this.vault = vault;
        this.tokens = tokens;
        this.tls = tls;
        this.config = config;
    }

    /** Starts both sockets; refuses (IllegalStateException naming the file) when the TLS material does not load. */
    public static Gateway start(GatewayConfig config) {
        TlsReloader tls = TlsReloader.watch(config.tls());
        Tls serverTls;
        Tls clientTls;
        try {
            serverTls = tls.server(TlsClientAuth.NONE);
            clientTls = tls.client();
        } catch (InvalidTlsMaterialException e) {
            tls.close();
            throw new IllegalStateException(e.getMessage(), e);
        }
        VaultNodes vault = new VaultNodes(config, clientTls);
        TokenSync tokens = new TokenSync(config.tokens(), vault);
        var routes = PublicApi.routes(config, vault, tokens);
        WebServerConfig.Builder builder = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .tls(serverTls)
                .maxPayloadSize(MAX_PAYLOAD_BYTES)
                .maxTcpConnections(MAX_TCP_CONNECTIONS)
                .connectionOptions(options -> options.tcpNoDelay(true))
                .directHandlers(EdgeProblems.handlers())
                // Hands Helidon's message to EdgeProblems, which shows it only when it is plain prose.
                .errorHandling(errors -> errors.includeEntity(true))
                .addFeature(ObserveFeature.builder()
                                    .sockets(config.plainPort() >= 0 ? List.of(WebServer.DEFAULT_SOCKET_NAME, PLAIN_SOCKET)
                                                                     : List.of(WebServer.DEFAULT_SOCKET_NAME))
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
                .routing(routes);
        if (config.plainPort() >= 0) {
            builder.putSocket(PLAIN_SOCKET, socket -> socket
                    .host(config.plainHost())
                    .port(config.plainPort())
                    .maxPayloadSize(MAX_PAYLOAD_BYTES)
                    .maxTcpConnections(MAX_TCP_CONNECTIONS)
                    .connectionOptions(options -> options.tcpNoDelay(true))
                    .directHandlers(EdgeProblems.handlers())
                    .errorHandling(errors -> errors.includeEntity(true))
                    .routing(routes));
        }
        WebServer server;
        try {
            server = builder.build().start();
        } catch (RuntimeException e) {
            tokens.close();
            vault.close();
            tls.close();
            throw e;
        }
        return new Gateway(server, vault, tokens, tls, config);
    }

    /** The HTTPS address. */
    public URI httpsUri() {
        return URI.create("https://" + config.host() + ":" + server.port());
    }

    /** The plain HTTP (loopback, development) address; the HTTPS one when plain HTTP is off. */
    public URI uri() {
        return config.plainPort() < 0 ? httpsUri() : URI.create("http://" + config.plainHost() + ":" + server.port(PLAIN_SOCKET));
    }

    /** Times the gateway loaded rotated TLS material. */
    public long tlsReloads() {
        return tls.reloads();
    }

    @Override
    public void close() {
        server.stop();
        tokens.close();
        vault.close();
        tls.close();
    }
}
