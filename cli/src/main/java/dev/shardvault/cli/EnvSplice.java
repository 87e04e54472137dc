package dev.shardvault.cli;

import dev.shardvault.gateway.env.DotenvFile;
import dev.shardvault.gateway.env.DotenvFile.Assignment;
import dev.shardvault.gateway.env.DotenvFile.Item;
import dev.shardvault.gateway.env.DotenvSyntaxException;
import dev.shardvault.gateway.env.EnvTransformer;
import dev.shardvault.gateway.env.Quoting;
import java.util.ArrayList;
import java.util.List;

/**
 * The assignments of one or more env files that the gateway has to see, sent as one {@code POST /v1/env}, and
 * its answers put back in their place. Only those assignments leave this machine: comments, literal values and
 * (for expansion) {@code enc()} lines, (for encryption) {@code secret()} lines stay here. Files are read with the
 * gateway's own parser ({@link DotenvFile}), so both sides agree on every line.
 */
final class EnvSplice {

    private final StringBuilder document = new StringBuilder();
    private final List<Assignment> sent = new ArrayList<>();
    /** For each line of {@link #document} (index = line - 1): where it was written, "FILE:LINE". */
    private final List<String> origins = new ArrayList<>();

    /** Parses {@code text}; a syntax error names {@code where} and the line, never the line's text. */
    static List<Item> parse(String where, String text) throws Failure {
        try {
            return DotenvFile.parse(text);
        } catch (DotenvSyntaxException e) {
            throw Failure.usage(where + ":" + e.line() + ": " + e.reason());
        }
    }

    /** An inherited environment variable as a dotenv assignment, double-quoted so that references in it expand. */
    static Assignment fromEnvironment(String name, String value) throws Failure {
        List<Item> items = parse("environment", name + "=" + Quoting.doubleQuoted(value) + "\n");
        return (Assignment) items.getFirst();
    }

    /** True when the gateway would create a secret for this assignment. */
    static boolean isEnc(Assignment assignment) {
        return EnvTransformer.encPlaintext(assignment) != null;
    }

    /** True when the assignment holds {@code secret(...)} references the gateway would expand. */
    static boolean hasReferences(Assignment assignment) {
        return !EnvTransformer.references(assignment).isEmpty();
    }

    boolean isEmpty() {
        return sent.isEmpty();
    }

    /** Adds one assignment written at {@code where}. */
    void add(String where, Assignment assignment) {
        String text = assignment.prefix() + assignment.source() + assignment.suffix() + "\n";
        long lines = text.chars().filter(c -> c == '\n').count();
        for (int i = 0; i < lines; i++) {
            origins.add(where + ":" + (assignment.line() + i));
        }
        document.append(text);
        sent.add(assignment);
    }

    /** Sends everything added in one request; the answered assignments, in the order they were added. */
    List<Assignment> send(Api api) throws Failure {
        if (sent.isEmpty()) {
            return List.of();
        }
        Api.Answer answer = api.env(document.toString(),
                                    line -> line >= 1 && line <= origins.size() ? origins.get(line - 1) : "line " + line);
        List<Assignment> answered = new ArrayList<>();
        try {
            for (Item item : DotenvFile.parse(answer.text())) {
                if (item instanceof Assignment assignment) {
                    answered.add(assignment);
                }
            }
        } catch (DotenvSyntaxException e) {
            throw new Failure(Failure.SERVER, "the gateway's .env answer does not parse (line " + e.line() + ")");
        }
        if (answered.size() != sent.size()) {
            throw new Failure(Failure.SERVER, "the gateway's .env answer has " + answered.size() + " assignments, "
                                              + sent.size() + " were sent");
        }
        for (int i = 0; i < sent.size(); i++) {
            if (!answered.get(i).key().equals(sent.get(i).key())) {
                throw new Failure(Failure.SERVER, "the gateway's .env answer reorders the assignments");
            }
        }
        return answered;
    }

    /** {@code original} with its answered assignment written in place (its own line ending kept). */
    static String rewritten(Assignment original, Assignment answered) {
        return answered.prefix() + answered.source() + answered.suffix() + original.ending();
    }
}
