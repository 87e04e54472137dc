package dev.shardvault.vault.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads YAML files from the config directory ({@code -Dshardvault.conf-dir}, default {@code conf}). System
 * properties and environment variables override every file; earlier files override later ones.
 */
public final class ConfigFiles {

    private ConfigFiles() {
    }

    public static Config load(String... fileNames) {
        Path dir = Path.of(System.getProperty("shardvault.conf-dir", "conf"));
        Config.Builder builder = Config.builder();
        for (String name : fileNames) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) {
                throw new InvalidConfigException("config file " + file.toAbsolutePath() + " not found (set -Dshardvault.conf-dir)");
            }
            builder.addSource(ConfigSources.file(file));
        }
        return builder.build();
    }
}
