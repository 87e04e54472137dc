package dev.shardvault.tls;

import io.helidon.common.tls.Tls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Development TLS material for tests, made by the project's own {@code scripts/dev-tls.sh} (so the tests
 * exercise exactly the certificates {@code scripts/cluster.sh up} makes): one cluster CA with the gateway and
 * nodes 1..{@value #NODES}, made once per test JVM, and on request a second, foreign CA with the same names.
 */
public final class TestTls {

    public static final int NODES = 7;
    /** Tests watch for rotation quickly. */
    public static final Duration RELOAD_INTERVAL = Duration.ofMillis(200);

    private static Path cluster;
    private static Path foreign;

    private TestTls() {
    }

    /** The cluster's TLS directory (ca.pem, gateway.p12, node-1.p12, ...). */
    public static synchronized Path dir() {
        if (cluster == null) {
            cluster = generate("cluster");
        }
        return cluster;
    }

    /** A directory of the same identities issued by another CA, which the cluster must not trust. */
    public static synchronized Path foreignDir() {
        if (foreign == null) {
            foreign = generate("foreign");
        }
        return foreign;
    }

    public static TlsMaterial material(Identity identity) {
        return TlsMaterial.inDirectory(dir(), identity, RELOAD_INTERVAL);
    }

    public static TlsMaterial foreignMaterial(Identity identity) {
        return TlsMaterial.inDirectory(foreignDir(), identity, RELOAD_INTERVAL);
    }

    /** A client TLS presenting {@code identity}'s certificate from the cluster CA. */
    public static Tls client(Identity identity) {
        try {
            return ClusterTls.client(material(identity));
        } catch (InvalidTlsMaterialException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client TLS that trusts the cluster CA and presents no certificate: what {@code curl --cacert var/tls/ca.pem} does. */
    public static Tls trustOnly() {
        try (java.io.InputStream in = Files.newInputStream(dir().resolve("ca.pem"))) {
            java.util.List<java.security.cert.X509Certificate> ca = new java.util.ArrayList<>();
            for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ca.add((java.security.cert.X509Certificate) c);
            }
            return Tls.builder().trust(ca).enabledProtocols(ClusterTls.PROTOCOLS).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the cluster's TLS directory (CA key included) to {@code target}, for a test that rotates its own. */
    public static Path copyTo(Path target) {
        try {
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(dir())) {
                for (Path file : files.toList()) {
                    Files.copy(file, target.resolve(file.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code scripts/dev-tls.sh} on {@code dir} (create, or {@code --rotate}). */
    public static void devTls(Path dir, int nodes, boolean rotate) {
        Path script = repositoryRoot().resolve("scripts/dev-tls.sh");
        ProcessBuilder builder = rotate ? new ProcessBuilder("bash", script.toString(), dir.toString(), Integer.toString(nodes), "--rotate")
                : new ProcessBuilder("bash", script.toString(), dir.toString(), Integer.toString(nodes));
        builder.redirectErrorStream(true);
        try {
            Process process = builder.start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("scripts/dev-tls.sh failed: " + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The checkout this test runs in: the first parent of the working directory holding scripts/dev-tls.sh. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("scripts/dev-tls.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no scripts/dev-tls.sh above " + Path.of("").toAbsolutePath());
    }

    /**
     * The test CA and certificates, shared by every test JVM of a build (scripts/dev-tls.sh takes about 10 s):
     * generated once under the checkout's target/test-tls/NAME, and again once a day. A directory is published
     * by an atomic rename only when complete, so two builds at once see either none or a whole one.
     */
    private static Path generate(String name) {
        Path shared = repositoryRoot().resolve("target").resolve("test-tls").resolve(name);
        try {
            Path complete = shared.resolve("complete");
            if (Files.isRegularFile(complete)
                && Files.getLastModifiedTime(complete).toInstant().isAfter(java.time.Instant.now().minus(Duration.ofDays(1)))) {
                return shared;
            }
            Files.createDirectories(shared.getParent());
            Path fresh = Files.createTempDirectory(shared.getParent(), name + "-");
            devTls(fresh, NODES, false);
            Files.writeString(fresh.resolve("complete"), "");
            if (Files.exists(shared)) {
                Path old = shared.resolveSibling(name + "-old-" + System.nanoTime());
                Files.move(shared, old, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                delete(old);
            }
            try {
                Files.move(fresh, shared, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException anotherBuildWasFirst) {
                delete(fresh);
            }
            return shared;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind
        }
    }
}
