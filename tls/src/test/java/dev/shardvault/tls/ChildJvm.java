package dev.shardvault.tls;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Command lines for the JVMs that process-level tests start and SIGKILL: the same JDK as the test, the test's
 * jars as class path, and (on JDK 24 and later) an ahead-of-time cache per main class, so that a restarted node
 * is serving in about 1.2 s instead of about 3 s (measured in docs/performance.md, "Process-level tests").
 *
 * <p>An AOT cache can only be made from jars, so these tests run from Failsafe after {@code package}, where the
 * class path holds the module's own jar. The cache is trained once per class path and main class (the first
 * start of a test run, when the cache is missing or older than a jar): that process starts in record mode, is
 * awaited until it serves, stopped with SIGTERM so that the JVM writes what it loaded, and the cache is then
 * created from that. A cache that no longer matches its jars is ignored by the JVM, never used wrongly.
 */
public final class ChildJvm {

    /** Flags of every child JVM, training included (a cache is only usable with the flags it was made under). */
    private static final List<String> FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final boolean AOT = Runtime.version().feature() >= 24
            && !Boolean.getBoolean("shardvault.test.no-aot");

    /** What a test waits for before it takes a trained process as started. */
    @FunctionalInterface
    public interface Ready {
        void await(Process process) throws Exception;
    }

    private ChildJvm() {
    }

    /**
     * {@code java <flags> [-XX:AOTCache=...] -cp <jars> <options> <mainClass>}; trains the cache first if needed,
     * with {@code trainingOptions} (the same process, say, on a scratch data directory) until {@code ready}.
     */
    public static List<String> command(String mainClass, List<String> options, List<String> trainingOptions, Ready ready) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(FLAGS);
        if (AOT) {
            command.add("-XX:AOTCache=" + trained(mainClass, trainingOptions, ready));
        }
        command.addAll(List.of("-cp", classPath()));
        command.addAll(options);
        command.add(mainClass);
        return command;
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    }

    /** The test's class path without directories (test classes): the child runs main code from jars only. */
    static String classPath() {
        List<String> jars = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> entry.endsWith(".jar")).toList();
        if (Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .anyMatch(entry -> entry.replace('\\', '/').endsWith("target/classes"))) {
            throw new IllegalStateException("process-level tests run from the packaged jar (Failsafe, after package), "
                                            + "not from target/classes");
        }
        return String.join(File.pathSeparator, jars);
    }

    private static synchronized Path trained(String mainClass, List<String> options, Ready ready) {
        String classPath = classPath();
        String key = HexFormat.of().formatHex(sha256(mainClass + '\n' + classPath + '\n' + FLAGS), 0, 8);
        Path dir = Path.of(System.getProperty("shardvault.test.aot-dir", "target/aot"));
        Path cache = dir.resolve(mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-" + key + ".aot");
        try {
            if (Files.exists(cache) && Files.getLastModifiedTime(cache).compareTo(newestJar(classPath)) > 0) {
                return cache;
            }
            Files.createDirectories(dir);
            Path configuration = dir.resolve(cache.getFileName() + ".conf");
            Path output = dir.resolve(cache.getFileName() + ".log");
            Files.deleteIfExists(configuration);
            List<String> record = new ArrayList<>(List.of(java()));
            record.addAll(FLAGS);
            record.addAll(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + configuration, "-cp", classPath));
            record.addAll(options);
            record.add(mainClass);
            Process training = new ProcessBuilder(record).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
            try {
                ready.await(training);
            } finally {
                training.destroy(); // SIGTERM: a normal exit, at which the JVM writes the configuration
                if (!training.waitFor(30, TimeUnit.SECONDS)) {
                    training.destroyForcibly();
                }
            }
            if (!Files.exists(configuration)) {
                throw new IllegalStateException("training " + mainClass + " wrote no AOT configuration; see " + output);
            }
            Path partial = dir.resolve(cache.getFileName() + ".partial");
            List<String> create = new ArrayList<>(List.of(java()));
            create.addAll(FLAGS);
            create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + configuration, "-XX:AOTCache=" + partial,
                                  "-cp", classPath, mainClass));
            Process creating = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
            if (!creating.waitFor(120, TimeUnit.SECONDS) || creating.exitValue() != 0 || !Files.exists(partial)) {
                creating.destroyForcibly();
                throw new IllegalStateException("creating the AOT cache of " + mainClass + " failed; see " + output);
            }
            Files.move(partial, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return cache;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("training " + mainClass + " failed", e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static FileTime newestJar(String classPath) throws IOException {
        FileTime newest = FileTime.fromMillis(0);
        for (String jar : classPath.split(File.pathSeparator)) {
            FileTime modified = Files.getLastModifiedTime(Path.of(jar));
            if (modified.compareTo(newest) > 0) {
                newest = modified;
            }
        }
        return newest;
    }
}
