package dev.shardvault.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardvault.gateway.LocalCluster;
import dev.shardvault.tls.TestTls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command against a real cluster over HTTPS (the gateway's TLS port, the cluster CA as SHARDVAULT_CACERT),
 * in this JVM: the happy path, the exit status of each kind of failure, and no value on stderr anywhere.
 */
class CliTest {

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    /** Every stderr of every run, to check that no value ever appears there. */
    static final List<String> errors = new ArrayList<>();
    static final List<String> values = new ArrayList<>();

    record Run(int status, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void start() {
        cluster = new LocalCluster(dir);
    }

    @AfterAll
    static void stop() {
        cluster.close();
        for (String value : values) {
            for (String error : errors) {
                assertFalse(error.contains(value), "a value reached stderr: " + error);
            }
        }
    }

    static Map<String, String> env(String token) {
        Map<String, String> env = new HashMap<>();
        env.put("SHARDVAULT_ADDR", cluster.gatewayHttps().toString());
        env.put("SHARDVAULT_CACERT", TestTls.dir().resolve("ca.pem").toString());
        env.put("SHARDVAULT_TOKEN", token);
        return env;
    }

    static Run cli(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ShardVault.run(args, env, null, new ByteArrayInputStream(stdin), new PrintStream(out, true, StandardCharsets.UTF_8),
                                    new PrintStream(err, true, StandardCharsets.UTF_8), false);
        String stderr = err.toString(StandardCharsets.UTF_8);
        errors.add(stderr);
        return new Run(status, out.toByteArray(), stderr);
    }

    static Run cli(String... args) {
        return cli(env(LocalCluster.FULL), new byte[0], args);
    }

    static String value(String value) {
        values.add(value);
        return value;
    }

    @Test
    void putGetHistoryLsAndRmWithTheirExitStatuses() {
        String first = value("line one\nüñí €\n"); // exactly these bytes, trailing newline included
        Run created = cli(env(LocalCluster.FULL), first.getBytes(StandardCharsets.UTF_8), "put", "CLI_DB_PASSWORD");
        assertEquals(0, created.status(), created.stderr());
        assertEquals("created CLI_DB_PASSWORD version 1\n", created.out());
        Run got = cli("get", "CLI_DB_PASSWORD");
        assertEquals(0, got.status(), got.stderr());
        assertEquals(first, got.out(), "get prints exactly the value's bytes, nothing added when stdout is not a terminal");

        String second = value("s3cond-value");
        Run updated = cli("put", "CLI_DB_PASSWORD", second);
        assertEquals("updated CLI_DB_PASSWORD version 2\n", updated.out());
        assertEquals(second, cli("get", "CLI_DB_PASSWORD").out());
        assertEquals(first, cli("get", "CLI_DB_PASSWORD", "--version", "1").out());
        Run json = cli("get", "CLI_DB_PASSWORD", "--json");
        assertTrue(json.out().startsWith("{") && json.out().contains("\"version\":2"), json.out());

        Run history = cli("history", "CLI_DB_PASSWORD");
        String[] lines = history.out().split("\n");
        assertEquals(3, lines.length, history.out());
        assertTrue(lines[0].startsWith("VERSION  VALID FROM"), lines[0]);
        assertTrue(lines[1].startsWith("1        "), lines[1]);

        cli(env(LocalCluster.FULL), new byte[0], "put", "CLI_OTHER", value("other-value"));
        Run ls = cli("ls", "--prefix", "CLI_DB");
        assertTrue(ls.out().contains("CLI_DB_PASSWORD") && !ls.out().contains("CLI_OTHER"), ls.out());
        assertTrue(cli("ls").out().contains("CLI_OTHER"));

        assertAll(
                () -> assertEquals(Failure.CONFLICT, cli("put", "--create", "CLI_DB_PASSWORD", value("x-create")).status()),
                () -> assertEquals(Failure.NOT_FOUND, cli("put", "--update", "CLI_NEVER_WRITTEN", value("x-update")).status()),
                () -> assertEquals(Failure.CONFLICT, cli("put", "--if-version", "1", "CLI_DB_PASSWORD", value("x-stale")).status()),
                () -> assertEquals(Failure.NOT_FOUND, cli("get", "CLI_NEVER_WRITTEN").status()),
                () -> assertEquals(Failure.NOT_FOUND, cli("get", "CLI_DB_PASSWORD", "--version", "9").status()),
                () -> assertEquals(Failure.USAGE, cli("get", "lower_case").status()),
                () -> assertEquals(Failure.USAGE, cli("get", "CLI_DB_PASSWORD", "--version", "1", "--at", "2026-01-01T00:00:00Z").status()));
        assertEquals(second, cli("get", "CLI_DB_PASSWORD").out(), "the refused writes changed nothing");
        Run updatedIf = cli("put", "--if-version", "2", "CLI_DB_PASSWORD", value("third-value"));
        assertEquals(0, updatedIf.status(), updatedIf.stderr());

        Run removed = cli("rm", "CLI_DB_PASSWORD");
        assertEquals(0, removed.status(), removed.stderr());
        assertTrue(removed.out().startsWith("deleted CLI_DB_PASSWORD (shares erased on "), removed.out());
        Run gone = cli("get", "CLI_DB_PASSWORD");
        assertEquals(Failure.NOT_FOUND, gone.status());
        assertTrue(gone.stderr().startsWith("shardvault: ") && gone.stderr().endsWith("\n") && gone.stderr().split("\n").length == 1,
                   "one line on stderr: " + gone.stderr());
        assertEquals(Failure.NOT_FOUND, cli("rm", "CLI_DB_PASSWORD").status());
    }

    @Test
    void authorizationAndReachabilityFailuresHaveTheirOwnStatus() throws IOException {
        cli("put", "CLI_AUTH", value("auth-value"));
        assertEquals(Failure.UNAUTHORIZED, cli(env("not-a-token"), new byte[0], "get", "CLI_AUTH").status());
        assertEquals(Failure.UNAUTHORIZED, cli(env(LocalCluster.READ_ONLY), new byte[0], "put", "CLI_AUTH", value("by-reader")).status());
        assertEquals("auth-value", cli("get", "CLI_AUTH").out());
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Map<String, String> nowhere = env(LocalCluster.FULL);
        nowhere.put("SHARDVAULT_ADDR", "https://127.0.0.1:" + closed);
        Run unreachable = cli(nowhere, new byte[0], "get", "CLI_AUTH");
        assertEquals(Failure.UNAVAILABLE, unreachable.status());
        assertTrue(unreachable.stderr().contains("cannot reach https://127.0.0.1:" + closed), unreachable.stderr());
        Map<String, String> noToken = env(LocalCluster.FULL);
        noToken.remove("SHARDVAULT_TOKEN");
        assertEquals(Failure.USAGE, cli(noToken, new byte[0], "get", "CLI_AUTH").status());
    }

    @Test
    void usageErrorsNeverEchoAPositionalValue() {
        String secret = value("hunter2-on-the-command-line");
        Run extra = cli("put", "CLI_USAGE", secret, "one-too-many");
        assertEquals(Failure.USAGE, extra.status());
        assertFalse(extra.stderr().contains("one-too-many"), extra.stderr());
        Run unknown = cli("put", "--frobnicate", "CLI_USAGE", secret);
        assertEquals(Failure.USAGE, unknown.status());
        assertTrue(unknown.stderr().contains("--frobnicate"), unknown.stderr());
        assertEquals(Failure.USAGE, cli("no-such-command").status());
        assertEquals(Failure.NOT_FOUND, cli("get", "CLI_USAGE").status(), "nothing was written");
    }

    @Test
    void envEncryptStoresOnlyEncLinesAndExpandResolvesOnlySecretLines() throws IOException {
        cli("put", "CLI_ENV_EXISTING", value("existing-value"));
        Path file = dir.resolve("app.env");
        String original = "# app settings\nexport PLAIN=literal # stays here\nCLI_ENV_NEW=\"enc(" + value("new # plaintext") + ")\"\n"
                          + "USES=secret(CLI_ENV_EXISTING)\r\nLAST='secret(NOT_EXPANDED)'";
        Files.writeString(file, original);
        Run encrypted = cli("env", "encrypt", file.toString());
        assertEquals(0, encrypted.status(), encrypted.stderr());
        assertEquals("# app settings\nexport PLAIN=literal # stays here\nCLI_ENV_NEW=secret(CLI_ENV_NEW)\n"
                     + "USES=secret(CLI_ENV_EXISTING)\r\nLAST='secret(NOT_EXPANDED)'", encrypted.out(),
                     "only the enc() line changed; the secret() line was not expanded into the encrypted file");
        assertEquals("new # plaintext", cli("get", "CLI_ENV_NEW").out());

        Files.write(file, encrypted.stdout());
        Run expanded = cli("env", "expand", file.toString());
        assertEquals(0, expanded.status(), expanded.stderr());
        assertEquals("# app settings\nexport PLAIN=literal # stays here\nCLI_ENV_NEW='new # plaintext'\n"
                     + "USES=existing-value\r\nLAST='secret(NOT_EXPANDED)'", expanded.out());

        Run refused = cli("env", "expand", "-");
        assertEquals(0, refused.status(), "an empty stdin expands to nothing");
        Run withEnc = cli(env(LocalCluster.FULL), "A=1\nB=enc(x)\n".getBytes(StandardCharsets.UTF_8), "env", "expand");
        assertEquals(Failure.USAGE, withEnc.status());
        assertTrue(withEnc.stderr().contains("stdin:2"), withEnc.stderr());
        assertEquals(Failure.NOT_FOUND, cli("get", "B").status(), "expand created nothing");

        Files.writeString(file, "# two\nOK=secret(CLI_ENV_EXISTING)\n\nMISSING=secret(CLI_ENV_MISSING)\nALSO=x-secret(CLI_ENV_GONE)-y\n");
        Run unresolved = cli("env", "expand", file.toString());
        assertEquals(Failure.NOT_FOUND, unresolved.status(), unresolved.stderr());
        assertTrue(unresolved.stderr().contains(file + ":4 secret(CLI_ENV_MISSING): not-found")
                   && unresolved.stderr().contains(file + ":5 secret(CLI_ENV_GONE): not-found"), unresolved.stderr());
        assertTrue(unresolved.out().isEmpty(), "nothing on stdout when the expansion fails");
    }

    @Test
    void tokensAreMintedUsedListedAndRevoked() {
        cli("put", "CLI_TOKEN_SCOPED", value("scoped-value"));
        cli("put", "CLI_TOKEN_OUTSIDE", value("outside-value"));
        Run minted = cli("token", "create", "-a", "read", "--name", "CLI_TOKEN_SCOPED", "--ttl", "600", "--label", "cli-test");
        assertEquals(0, minted.status(), minted.stderr());
        String bearer = minted.out().strip();
        values.add(bearer);
        assertTrue(bearer.startsWith("svt_"), "the bearer token alone on stdout");
        String id = minted.stderr().replaceAll("(?s).*minted (tok_[a-z2-7]{20}).*", "$1");
        assertFalse(minted.stderr().contains(bearer));

        assertEquals("scoped-value", cli(env(bearer), new byte[0], "get", "CLI_TOKEN_SCOPED").out());
        assertEquals(Failure.UNAUTHORIZED, cli(env(bearer), new byte[0], "get", "CLI_TOKEN_OUTSIDE").status());
        Run listed = cli("token", "ls");
        assertTrue(listed.out().contains(id) && listed.out().contains("cli-test"), listed.out());
        assertFalse(listed.out().contains(bearer));

        Run timeline = cli("timeline", "CLI_TOKEN_SCOPED");
        assertEquals(0, timeline.status(), timeline.stderr());
        assertTrue(timeline.out().contains("secret-created") && timeline.out().contains("cli-test"), timeline.out());

        assertEquals(Failure.USAGE, cli("token", "revoke", bearer).status(), "a bearer value is not an id");
        Run revoked = cli("token", "revoke", id);
        assertEquals(0, revoked.status(), revoked.stderr());
        assertEquals("revoked " + id + "\n", revoked.out());
        assertEquals(Failure.UNAUTHORIZED, cli(env(bearer), new byte[0], "get", "CLI_TOKEN_SCOPED").status());
    }

    @Test
    void statusListsEveryNode() {
        Run status = cli("status");
        assertEquals(0, status.status(), status.stderr());
        assertTrue(status.out().startsWith("n=5 k=3 W=3 D=3\nNODE  URL"), status.out());
        assertEquals(7, status.out().split("\n").length, status.out());
    }
}
