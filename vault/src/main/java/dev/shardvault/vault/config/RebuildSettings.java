package dev.shardvault.vault.config;

import io.helidon.config.Config;

/**
 * How a node brings its shares up to date with its peers' catalogues (docs/operations.md, "Replacing a disk").
 *
 * @param versionsPerSecond at most this many versions recovered per second (the foreground keeps the rest)
 * @param batchVersions     versions per recovery session (halved for a session whose bodies are too large)
 * @param intervalMillis    how often a pass compares this node with every peer once it is in sync
 * @param retryMillis       how soon a pass that left versions missing (helpers down, names locked) is retried
 */
public record RebuildSettings(int versionsPerSecond, int batchVersions, long intervalMillis, long retryMillis) {

    public static final RebuildSettings DEFAULT = new RebuildSettings(2_000, 256, 300_000, 1_000);

    public RebuildSettings {
        if (versionsPerSecond < 1 || batchVersions < 1 || batchVersions > 4_096 || intervalMillis <= 0 || retryMillis <= 0) {
            throw new InvalidConfigException("vault.rebuild: versions-per-second >= 1, batch-versions 1..4096 and"
                                             + " intervals > 0 ms");
        }
    }

    static RebuildSettings from(Config config) {
        RebuildSettings d = DEFAULT;
        return new RebuildSettings(config.get("versions-per-second").asInt().orElse(d.versionsPerSecond),
                                   config.get("batch-versions").asInt().orElse(d.batchVersions),
                                   config.get("interval-millis").asLong().orElse(d.intervalMillis),
                                   config.get("retry-millis").asLong().orElse(d.retryMillis));
    }
}
