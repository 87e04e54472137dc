package dev.shardvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shardvault run} as a real process (a child JVM) in front of a real command, against a real cluster over
 * HTTPS: the value reaches the command's environment, the exit status is the command's, an unresolved reference
 * stops everything before the command starts, and SIGTERM to the CLI reaches the command.
 */
class RunProcessTest {

    private static final String VALUE = "run-value with spaces $HOME 'q' \"d\"";

    @TempDir
    static Path dir;
    static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
        CliTest.cluster = cluster;
        CliTest.Run put = CliTest.cli(CliTest.env(LocalCluster.FULL), VALUE.getBytes(StandardCharsets.UTF_8), "put", "RUN_API_KEY");
        assertEquals(0, put.status(), put.stderr());
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private record Ended(int status, String out, String err) {
    }

    /** The stdout and stderr files of each CLI process. */
    private static final Map<Process, Path[]> OUTPUTS = new ConcurrentHashMap<>();

    private static Process cli(Map<String, String> extraEnv, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                                                       "-cp", System.getProperty("java.class.path"), ShardVault.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(CliTest.env(LocalCluster.FULL));
        builder.environment().putAll(extraEnv);
        Path out = Files.createTempFile(dir, "out-", ".txt");
        Path err = Files.createTempFile(dir, "err-", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = builder.start();
        OUTPUTS.put(process, new Path[] {out, err});
        return process;
    }

    private static Ended awaitFiles(Process process) throws Exception {
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the CLI ended");
        Path[] files = OUTPUTS.get(process);
        return new Ended(process.exitValue(), Files.readString(files[0]), Files.readString(files[1]));
    }

    @Test
    void theCommandSeesTheValueInItsEnvironmentAndNotTheToken() throws Exception {
        Path envFile = dir.resolve("app.env");
        Files.writeString(envFile, "# the app's settings\nAPI_KEY=secret(RUN_API_KEY)\nMODE=plain\n");
        Ended ended = start(Map.of(), "run", "--env-file", envFile.toString(), "--", "sh", "-c",
                            "printf %s \"$API_KEY\"; printf '|%s|%s' \"$MODE\" \"${SHARDVAULT_TOKEN:-none}\"");
        assertEquals(0, ended.status(), ended.err());
        assertEquals(VALUE + "|plain|none", ended.out());
        assertFalse(ended.err().contains(VALUE));

        Ended fromEnvironment = start(Map.of("FROM_ENV", "prefix-secret(RUN_API_KEY)"), "run", "--", "sh", "-c", "printf %s \"$FROM_ENV\"");
        assertEquals(0, fromEnvironment.status(), fromEnvironment.err());
        assertEquals("prefix-" + VALUE, fromEnvironment.out(), "references in the inherited environment are resolved too");
    }

    @Test
    void theExitStatusIsTheCommands() throws Exception {
        assertEquals(7, start(Map.of(), "run", "--", "sh", "-c", "exit 7").status());
        Ended signalled = start(Map.of(), "run", "--", "sh", "-c", "kill -KILL $$");
        assertEquals(128 + 9, signalled.status(), "128 + the signal that ended the command");
    }

    @Test
    void anUnresolvedReferenceStopsEverythingBeforeTheCommandStarts() throws Exception {
        Path envFile = dir.resolve("broken.env");
        Files.writeString(envFile, "GOOD=secret(RUN_API_KEY)\nBAD=secret(RUN_NO_SUCH_SECRET)\n");
        Path marker = dir.resolve("marker-unresolved");
        Ended ended = start(Map.of(), "run", "--env-file", envFile.toString(), "--", "sh", "-c", "touch " + marker);
        assertEquals(Failure.NOT_FOUND, ended.status(), ended.err());
        assertTrue(ended.err().contains(envFile + ":2 secret(RUN_NO_SUCH_SECRET): not-found"), ended.err());
        assertFalse(ended.err().contains(VALUE));
        assertFalse(Files.exists(marker), "the command never ran");
    }

    @Test
    void sigtermToTheCliReachesTheCommand() throws Exception {
        Path ready = dir.resolve("ready");
        Path marker = dir.resolve("got-term");
        Process process = cli(Map.of(), "run", "--", "sh", "-c",
                              "trap 'echo term > " + marker + "; exit 3' TERM; touch " + ready + "; while :; do sleep 0.05; done");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ready)) {
            assertTrue(System.nanoTime() < deadline && process.isAlive(), "the command started");
            Thread.onSpinWait();
        }
        process.destroy(); // SIGTERM to the CLI only, not to its process group
        Ended ended = awaitFiles(process);
        assertTrue(Files.exists(marker), "the command got SIGTERM");
        assertEquals(3, ended.status(), "and the CLI exits with the command's status");
    }

    private static Ended start(Map<String, String> extraEnv, String... args) throws Exception {
        return awaitFiles(cli(extraEnv, args));
    }
}
