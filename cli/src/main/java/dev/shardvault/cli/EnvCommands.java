package dev.shardvault.cli;

import dev.shardvault.gateway.env.DotenvFile.Assignment;
import dev.shardvault.gateway.env.DotenvFile.Item;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code env expand} and {@code env encrypt}: the {@code .env} endpoint on a file or stdin, the result on stdout.
 * Each sends only the lines it is about — expansion the {@code secret()} lines, encryption the {@code enc()}
 * lines — so that expanding never creates a secret and encrypting never writes a value into its output.
 */
@Command(name = "env", description = "The .env endpoint on a file or stdin.",
         subcommands = {EnvCommands.Expand.class, EnvCommands.Encrypt.class})
final class EnvCommands {

    @ParentCommand
    ShardVault root;

    /** A file's text (UTF-8), or stdin's when {@code file} is null or "-". */
    static String read(ShardVault root, Path file) throws Failure {
        byte[] bytes;
        try {
            if (file == null || file.toString().equals("-")) {
                ByteArrayOutputStream read = new ByteArrayOutputStream();
                root.in.transferTo(read);
                bytes = read.toByteArray();
            } else {
                bytes = Files.readAllBytes(file);
            }
        } catch (NoSuchFileException e) {
            throw Failure.usage(file + ": no such file");
        } catch (IOException e) {
            throw Failure.usage((file == null ? "stdin" : file.toString()) + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw Failure.usage((file == null ? "stdin" : file.toString()) + ": not UTF-8 text");
        }
    }

    static String where(Path file) {
        return file == null || file.toString().equals("-") ? "stdin" : file.toString();
    }

    /** Sends the assignments {@code wanted} picks, writes the file back with the answers in place. */
    private static int transform(ShardVault root, Path file, boolean expand) throws Failure {
        String where = where(file);
        List<Item> items = EnvSplice.parse(where, read(root, file));
        EnvSplice splice = new EnvSplice();
        List<Assignment> picked = new ArrayList<>();
        for (Item item : items) {
            if (item instanceof Assignment assignment) {
                boolean enc = EnvSplice.isEnc(assignment);
                if (expand && enc) {
                    throw Failure.usage(where + ":" + assignment.line() + ": " + assignment.key()
                                        + "=enc(...) would create a secret; 'shardvault env encrypt' does that");
                }
                if (expand ? EnvSplice.hasReferences(assignment) : enc) {
                    splice.add(where, assignment);
                    picked.add(assignment);
                }
            }
        }
        List<Assignment> answered = splice.send(root.api());
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (Item item : items) {
            if (next < picked.size() && item == picked.get(next)) {
                out.append(EnvSplice.rewritten(picked.get(next), answered.get(next)));
                next++;
            } else {
                out.append(item.text());
            }
        }
        byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
        root.out.write(bytes, 0, bytes.length);
        root.out.flush();
        return Failure.OK;
    }

    @Command(name = "expand", description = {"Replace every secret(NAME) with NAME's value (all or nothing).",
                                             "A file with enc(...) lines is refused: expanding never creates secrets."})
    static final class Expand implements Callable<Integer> {
        @ParentCommand
        EnvCommands env;
        @Parameters(arity = "0..1", paramLabel = "FILE", description = "the file (default: stdin)")
        Path file;

        @Override
        public Integer call() throws Failure {
            return transform(env.root, file, true);
        }
    }

    @Command(name = "encrypt", description = {"Store every KEY=enc(PLAINTEXT) as secret KEY and write KEY=secret(KEY) instead",
                                              "(all or nothing, one transaction). secret() lines are left as they are."})
    static final class Encrypt implements Callable<Integer> {
        @ParentCommand
        EnvCommands env;
        @Parameters(arity = "0..1", paramLabel = "FILE", description = "the file (default: stdin)")
        Path file;

        @Override
        public Integer call() throws Failure {
            return transform(env.root, file, false);
        }
    }
}
