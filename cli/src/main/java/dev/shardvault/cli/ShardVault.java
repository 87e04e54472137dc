package dev.shardvault.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code shardvault}: the command line of API.md. {@link #main} is what {@code scripts/shardvault} starts;
 * {@link #run} is the same with the environment, streams and terminal given, for tests.
 */
@Command(name = "shardvault", mixinStandardHelpOptions = true, version = "shardvault 0.1.0",
         description = {"ShardVault's command line. Connection: SHARDVAULT_ADDR (default " + Api.DEFAULT_ADDR + "),",
                        "SHARDVAULT_CACERT, SHARDVAULT_TOKEN or SHARDVAULT_TOKEN_FILE.",
                        "Exit status: 0 ok, 1 server-side error, 2 usage, 3 not found, 4 conflict or precondition,",
                        "5 unauthorized or forbidden, 6 unavailable."},
         // Subcommands are added in execute(): only the one being run, since picocli reads each by reflection.
         synopsisSubcommandLabel = "COMMAND")
public final class ShardVault implements java.util.concurrent.Callable<Integer> {

    /** Every command, in the order the help lists them. */
    private static final Map<String, Class<?>> COMMANDS = commands();

    private static Map<String, Class<?>> commands() {
        Map<String, Class<?>> commands = new java.util.LinkedHashMap<>();
        commands.put("put", SecretCommands.Put.class);
        commands.put("get", SecretCommands.Get.class);
        commands.put("ls", SecretCommands.Ls.class);
        commands.put("history", SecretCommands.History.class);
        commands.put("timeline", SecretCommands.Timeline.class);
        commands.put("rm", SecretCommands.Rm.class);
        commands.put("env", EnvCommands.class);
        commands.put("run", RunCommand.class);
        commands.put("token", TokenCommands.class);
        commands.put("status", SecretCommands.Status.class);
        return java.util.Collections.unmodifiableMap(commands);
    }

    final Map<String, String> env;
    final Path home;
    final InputStream in;
    final PrintStream out;
    final PrintStream err;
    final boolean tty;
    final boolean stdinTty;
    private Api api;

    private ShardVault(Map<String, String> env, Path home, InputStream in, PrintStream out, PrintStream err, boolean tty,
                       boolean stdinTty) {
        this.env = env;
        this.home = home;
        this.in = in;
        this.out = out;
        this.err = err;
        this.tty = tty;
        this.stdinTty = stdinTty;
    }

    public static void main(String[] args) {
        if (Runtime.version().feature() >= 25 && System.getProperty("jdk.pollerMode") == null) {
            // The default I/O poller is a platform thread parked in epoll_wait, and the JVM waits 300 ms at exit
            // for threads in native code. Per-carrier pollers are virtual threads: exit is immediate.
            System.setProperty("jdk.pollerMode", "3");
        }
        String home = System.getProperty("shardvault.home");
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
        ShardVault root = new ShardVault(System.getenv(), home == null ? null : Path.of(home), System.in, out, err,
                                         Boolean.getBoolean("shardvault.tty"), Boolean.getBoolean("shardvault.stdin-tty"));
        int status = root.execute(args);
        out.flush();
        Runtime.getRuntime().halt(status); // nothing to clean up; skips shutdown hooks the libraries registered
    }

    /**
     * Runs one command line.
     *
     * @param home the checkout whose {@code var/} holds the default CA and token, or null
     * @param tty  whether stdout is a terminal ({@code get} then ends the value with a newline)
     * @return the exit status
     */
    public static int run(String[] args, Map<String, String> env, Path home, InputStream in, PrintStream out, PrintStream err,
                          boolean tty) {
        return new ShardVault(env, home, in, out, err, tty, false).execute(args);
    }

    private int execute(String[] args) {
        CommandLine line = new CommandLine(this);
        String named = java.util.Arrays.stream(args).filter(arg -> !arg.startsWith("-")).findFirst().orElse("");
        if (COMMANDS.containsKey(named)) {
            line.addSubcommand(named, COMMANDS.get(named));
        } else {
            COMMANDS.forEach(line::addSubcommand); // help, a mistyped command, or none: picocli lists them all
        }
        if (line.getSubcommands().containsKey("run")) {
            line.getSubcommands().get("run").setStopAtPositional(true);
        }
        line.setOut(new PrintWriter(out, true)); // after the subcommands: picocli copies the writers to those it has
        line.setErr(new PrintWriter(err, true));
        line.setParameterExceptionHandler(ShardVault::usage);
        line.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof Failure failure) {
                err.println("shardvault: " + failure.getMessage());
                return failure.exitCode();
            }
            // Unexpected: name the kind, never the message (it could quote an answer).
            err.println("shardvault: internal error: " + e.getClass().getName());
            return Failure.SERVER;
        });
        return line.execute(args);
    }

    /**
     * A usage error, without echoing positional arguments: {@code put NAME VALUE} puts a value on the command
     * line, and picocli's own messages quote what they could not use.
     */
    private static int usage(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        String message;
        if (e instanceof UnmatchedArgumentException unmatched) {
            var options = unmatched.getUnmatched().stream().filter(arg -> arg.startsWith("-")).toList();
            message = options.isEmpty() ? "unexpected extra arguments" : "unknown option " + String.join(", ", options);
        } else if (e instanceof CommandLine.MissingParameterException) {
            message = e.getMessage();
        } else {
            ArgSpec spec = e.getArgSpec();
            String what = spec instanceof OptionSpec option ? option.longestName()
                    : spec instanceof PositionalParamSpec positional ? positional.paramLabel() : "an argument";
            message = "invalid value for " + what;
        }
        err.println("shardvault: usage: " + message + " (see '" + command.getCommandSpec().qualifiedName() + " --help')");
        return Failure.USAGE;
    }

    /** No command given: the usage, and the usage exit status. */
    @Override
    public Integer call() {
        CommandLine line = new CommandLine(this);
        COMMANDS.forEach(line::addSubcommand);
        line.usage(err);
        return Failure.USAGE;
    }

    /** The gateway connection, made once per command from the environment. */
    Api api() throws Failure {
        if (api == null) {
            api = Api.connect(env, home);
        }
        return api;
    }
}
