package dev.shardvault.vault.config;

import io.helidon.config.Config;

/**
 * Every time limit of a node, in milliseconds.
 *
 * @param peerConnectMillis      connecting to a peer
 * @param peerReadMillis         waiting for a peer's answer to one request
 * @param prepareMillis          a coordinator waiting for votes
 * @param graceMillis            once W yes-votes are in, waiting for the remaining votes
 * @param commitMillis           waiting for W nodes to confirm a commit
 * @param writeBudgetMillis      one write, lock-conflict retries included
 * @param readMillis             gathering shares for one read
 * @param resolveIntervalMillis  how often in-doubt transactions are retried in the background
 * @param inDoubtMinAgeMillis    how old a prepare must be before the background resolver asks about it
 * @param sweepIntervalMillis    how often this node compares its secrets with its peers' (missed deletes,
 *                               missed versions)
 */
public record Timeouts(long peerConnectMillis, long peerReadMillis, long prepareMillis, long graceMillis,
                       long commitMillis, long writeBudgetMillis, long readMillis, long resolveIntervalMillis,
                       long inDoubtMinAgeMillis, long sweepIntervalMillis) {

    public static final Timeouts DEFAULT = new Timeouts(500, 3_000, 2_000, 25, 2_000, 5_000, 2_000, 250, 1_000, 30_000);

    public Timeouts {
        for (long value : new long[] {peerConnectMillis, peerReadMillis, prepareMillis, commitMillis, writeBudgetMillis,
                                      readMillis, resolveIntervalMillis, sweepIntervalMillis}) {
            if (value <= 0) {
                throw new InvalidConfigException("vault.timeouts: every timeout must be > 0 ms");
            }
        }
        if (graceMillis < 0 || inDoubtMinAgeMillis < 0) {
            throw new InvalidConfigException("vault.timeouts: grace and in-doubt age must be >= 0 ms");
        }
    }

    static Timeouts from(Config config) {
        Timeouts d = DEFAULT;
        return new Timeouts(config.get("peer-connect-millis").asLong().orElse(d.peerConnectMillis),
                            config.get("peer-read-millis").asLong().orElse(d.peerReadMillis),
                            config.get("prepare-millis").asLong().orElse(d.prepareMillis),
                            config.get("grace-millis").asLong().orElse(d.graceMillis),
                            config.get("commit-millis").asLong().orElse(d.commitMillis),
                            config.get("write-budget-millis").asLong().orElse(d.writeBudgetMillis),
                            config.get("read-millis").asLong().orElse(d.readMillis),
                            config.get("resolve-interval-millis").asLong().orElse(d.resolveIntervalMillis),
                            config.get("in-doubt-min-age-millis").asLong().orElse(d.inDoubtMinAgeMillis),
                            config.get("sweep-interval-millis").asLong().orElse(d.sweepIntervalMillis));
    }
}
