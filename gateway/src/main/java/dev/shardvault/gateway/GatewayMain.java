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
        Gateway gateway = Gateway.start(builder.build());
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "gateway-shutdown"));
        System.out.println("gateway up: " + gateway.uri());
    }
}
