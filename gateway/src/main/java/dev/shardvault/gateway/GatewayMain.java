package dev.shardvault.gateway;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/** Starts the public gateway from {@code conf/gateway.yaml} and {@code conf/cluster.yaml}. */
public final class GatewayMain {

    private GatewayMain() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Path dir = Path.of(System.getProperty("shardvault.conf-dir", "conf"));
        Config.Builder builder = Config.builder();
        for (String name : new String[] {"gateway.yaml", "cluster.yaml"}) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                System.err.println("gateway: refusing to start: config file " + file.toAbsolutePath() + " not found");
                System.exit(2);
            }
            builder.addSource(ConfigSources.file(file));
        }
        GatewayConfig config;
        try {
            config = GatewayConfig.from(builder.build());
        } catch (RuntimeException e) {
            System.err.println("gateway: refusing to start: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config.tokens().size() == 0) {
            System.err.println("gateway: warning: no tokens configured (gateway.tokens / gateway.tokens-file); every /v1 call will be 401");
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(config);
        } catch (IllegalStateException e) {
            System.err.println("gateway: refusing to start: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "gateway-shutdown"));
        System.out.println("gateway up: " + gateway.httpsUri() + (config.plainPort() < 0 ? "" : ", plain HTTP " + gateway.uri()));
    }
}
