package dev.shardvault.tls;

import io.helidon.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where one process finds its TLS material, all of it re-read on rotation.
 *
 * @param caPem          the cluster CA certificate(s), PEM; what every peer's certificate must chain to
 * @param keystore       this process's PKCS#12 file: one private key and its certificate chain
 * @param passwordFile   the keystore's password, the whole file (a trailing newline is ignored); mode 0600
 * @param reloadInterval how often the three files are checked for a change
 */
public record TlsMaterial(Path caPem, Path keystore, Path passwordFile, Duration reloadInterval) {

    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);

    public TlsMaterial {
        if (reloadInterval.isNegative() || reloadInterval.isZero()) {
            throw new IllegalArgumentException("TLS reload interval must be positive, got " + reloadInterval);
        }
    }

    /** The layout {@code scripts/cluster.sh} creates: {@code dir/ca.pem}, {@code dir/<stem>.p12}, {@code dir/<stem>.pass}. */
    public static TlsMaterial inDirectory(Path dir, Identity identity, Duration reloadInterval) {
        String stem = identity.fileStem();
        return new TlsMaterial(dir.resolve("ca.pem"), dir.resolve(stem + ".p12"), dir.resolve(stem + ".pass"), reloadInterval);
    }

    /**
     * From a {@code tls} config node: {@code dir} (default {@code var/tls}) in the layout of {@link #inDirectory},
     * or any of {@code ca}, {@code keystore}, {@code password-file} set explicitly (your own CA), and
     * {@code reload-interval-millis}.
     *
     * @throws IllegalArgumentException for a reload interval that is not positive
     */
    public static TlsMaterial from(Config tls, Identity identity) {
        long reloadMillis = tls.get("reload-interval-millis").asLong().orElse(DEFAULT_RELOAD_INTERVAL.toMillis());
        if (reloadMillis <= 0) {
            throw new IllegalArgumentException("tls.reload-interval-millis must be > 0, got " + reloadMillis);
        }
        TlsMaterial layout = inDirectory(Path.of(tls.get("dir").asString().orElse("var/tls")), identity, Duration.ofMillis(reloadMillis));
        return new TlsMaterial(tls.get("ca").asString().map(Path::of).orElse(layout.caPem()),
                               tls.get("keystore").asString().map(Path::of).orElse(layout.keystore()),
                               tls.get("password-file").asString().map(Path::of).orElse(layout.passwordFile()),
                               layout.reloadInterval());
    }
}
