package dev.shardvault.gateway;

import io.helidon.config.Config;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import java.net.URI;

/** The running gateway: the public HTTP API in front of the vault nodes. */
public final class Gateway implements AutoCloseable {

    private final WebServer server;
    private final String host;

    private Gateway(WebServer server, String host) {
        this.server = server;
        this.host = host;
    }

    public static Gateway start(Config config) {
        String host = config.get("server.host").asString().orElse("127.0.0.1");
        WebServer server = WebServer.builder()
                .config(config.get("server"))
                .addFeature(ObserveFeature.builder()
                                    .addObserver(HealthObserver.builder()
                                                         .details(true)
                                                         .addCheck(() -> HealthCheckResponse.builder().status(true).build(),
                                                                   HealthCheckType.READINESS, "gateway")
                                                         .build())
                                    .build())
                .routing(routing -> { })
                .build()
                .start();
        return new Gateway(server, host);
    }

    public URI uri() {
        return URI.create("http://" + host + ":" + server.port());
    }

    @Override
    public void close() {
        server.stop();
    }
}
