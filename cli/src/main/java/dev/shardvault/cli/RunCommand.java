package dev.shardvault.cli;

import dev.shardvault.gateway.env.DotenvFile.Assignment;
import dev.shardvault.gateway.env.DotenvFile.Item;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import sun.misc.Signal;

/**
 * {@code run [--env-file F]... [--only NAME...] -- CMD [ARG...]}: CMD starts with the current environment plus the
 * env files' variables (later files win over earlier ones, files over the environment), every
 * {@code secret(NAME)} in them and in the current environment resolved by one {@code .env} expansion, all or
 * nothing. Values reach CMD only through its environment: no file, no argument. SIGINT and SIGTERM are passed
 * on to CMD; the exit status is CMD's (128 + the signal's number when a signal ended it).
 */
@Command(name = "run", description = {"Start CMD with secrets in its environment; exit with CMD's status.",
                                      "secret(NAME) references in the env files and the current environment are",
                                      "resolved with one request before CMD starts; any that cannot be is an error",
                                      "and CMD does not run. Nothing is written to disk. SHARDVAULT_TOKEN is not",
                                      "passed on unless an env file sets it."})
final class RunCommand implements Callable<Integer> {

    /** Environment names that can be written as dotenv keys (and so sent for expansion). */
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    /** The shell's status for a command that could not be started. */
    static final int CANNOT_START = 127;

    @ParentCommand
    ShardVault root;
    @Option(names = "--env-file", paramLabel = "F", description = "a dotenv file to add (repeatable; later ones win)")
    List<Path> envFiles = new ArrayList<>();
    @Option(names = "--only", paramLabel = "NAME", split = ",",
            description = "take only these variables from the env files and resolve only these (repeatable or comma-separated)")
    List<String> only;
    @Parameters(arity = "1..*", paramLabel = "CMD", description = "the command and its arguments (after --)")
    List<String> command;

    private volatile Process child;
    private volatile String pendingSignal;

    @Override
    public Integer call() throws Failure {
        Set<String> wanted = only == null ? null : new LinkedHashSet<>(only);
        Map<String, Definition> defined = new LinkedHashMap<>();
        for (Path file : envFiles) {
            String where = EnvCommands.where(file);
            for (Item item : EnvSplice.parse(where, EnvCommands.read(root, file))) {
                if (item instanceof Assignment assignment && (wanted == null || wanted.contains(assignment.key()))) {
                    if (EnvSplice.isEnc(assignment)) {
                        throw Failure.usage(where + ":" + assignment.line() + ": " + assignment.key()
                                            + "=enc(...) would create a secret; run 'shardvault env encrypt' on the file first");
                    }
                    defined.remove(assignment.key());
                    defined.put(assignment.key(), new Definition(where, assignment));
                }
            }
        }
        for (Map.Entry<String, String> variable : root.env.entrySet()) {
            String name = variable.getKey();
            if (!defined.containsKey(name) && (wanted == null || wanted.contains(name)) && variable.getValue().contains("secret(")
                && ENV_NAME.matcher(name).matches()) {
                Assignment assignment = EnvSplice.fromEnvironment(name, variable.getValue());
                if (EnvSplice.hasReferences(assignment)) {
                    defined.put(name, new Definition("environment", assignment));
                }
            }
        }
        if (wanted != null) {
            for (String name : wanted) {
                if (!defined.containsKey(name) && !root.env.containsKey(name)) {
                    throw Failure.usage("--only " + name + ": no env file and no environment variable defines it");
                }
            }
        }
        EnvSplice splice = new EnvSplice();
        List<Definition> sent = new ArrayList<>();
        for (Definition definition : defined.values()) {
            if (EnvSplice.hasReferences(definition.assignment)) {
                splice.add(definition.where, definition.assignment);
                sent.add(definition);
            }
        }
        Map<String, String> environment = new LinkedHashMap<>(root.env);
        environment.remove("SHARDVAULT_TOKEN"); // the child gets its secrets, not this CLI's capability to read more
        for (Definition definition : defined.values()) {
            environment.put(definition.assignment.key(), definition.assignment.value());
        }
        if (!splice.isEmpty()) {
            List<Assignment> answered = splice.send(root.api());
            for (int i = 0; i < sent.size(); i++) {
                environment.put(sent.get(i).assignment.key(), answered.get(i).value());
            }
        }
        return start(environment);
    }

    private record Definition(String where, Assignment assignment) {
    }

    private int start(Map<String, String> environment) throws Failure {
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().clear();
        builder.environment().putAll(environment);
        forward("INT");
        forward("TERM");
        forward("HUP");
        try {
            child = builder.start();
        } catch (IOException e) {
            root.err.println("shardvault: cannot start " + command.getFirst() + ": " + e.getMessage().replaceFirst("^Cannot run program \"[^\"]*\": ", ""));
            return CANNOT_START;
        }
        String early = pendingSignal;
        if (early != null) {
            signal(early);
        }
        while (true) {
            try {
                return child.waitFor();
            } catch (InterruptedException e) {
                // keep waiting: CMD decides when it ends
            }
        }
    }

    /** From now on {@code name} is passed to the child instead of ending this process. */
    private void forward(String name) {
        try {
            Signal.handle(new Signal(name), signal -> {
                if (child == null) {
                    pendingSignal = name;
                } else {
                    signal(name);
                }
            });
        } catch (IllegalArgumentException e) {
            // the JVM reserves this signal here (or it does not exist on this system): leave its default
        }
    }

    private void signal(String name) {
        Process process = child;
        if (!process.isAlive()) {
            return;
        }
        if ("TERM".equals(name)) {
            process.destroy(); // SIGTERM
            return;
        }
        try {
            new ProcessBuilder("kill", "-s", name, Long.toString(process.pid())).inheritIO().start();
        } catch (IOException e) {
            root.err.println("shardvault: could not pass SIG" + name + " on to " + command.getFirst());
        }
    }
}
