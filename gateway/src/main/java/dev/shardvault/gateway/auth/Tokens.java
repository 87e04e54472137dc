package dev.shardvault.gateway.auth;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The configured tokens, as SHA-256 digests. Configuration:
 * <pre>
 * gateway:
 *   tokens:
 *     - sha256: 64 hex digits        # sha256 of the token's UTF-8 bytes
 *       namespace: default
 *       actions: [read, write, delete, list, env]
 *   tokens-file: var/dev-tokens.yaml # optional: more entries of the same shape under "tokens"
 * </pre>
 */
public final class Tokens {

    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private record Entry(byte[] digest, Principal principal) {
    }

    private final List<Entry> entries;

    private Tokens(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public static Tokens from(Config gateway) {
        List<Entry> entries = new ArrayList<>();
        read(gateway.get("tokens"), entries);
        Optional<String> file = gateway.get("tokens-file").asString().asOptional();
        if (file.isPresent()) {
            Path path = Path.of(file.get());
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("gateway.tokens-file " + path.toAbsolutePath() + " does not exist");
            }
            read(Config.just(ConfigSources.file(path)).get("tokens"), entries);
        }
        return new Tokens(entries);
    }

    public static Tokens of(List<Principal> principals, List<String> tokens) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < principals.size(); i++) {
            entries.add(new Entry(sha256(tokens.get(i)), principals.get(i)));
        }
        return new Tokens(entries);
    }

    public int size() {
        return entries.size();
    }

    private static void read(Config list, List<Entry> into) {
        for (Config entry : list.asNodeList().orElse(List.of())) {
            String digest = entry.get("sha256").asString().orElseThrow(
                    () -> new IllegalArgumentException("gateway.tokens: every entry needs sha256"));
            if (!SHA256_HEX.matcher(digest).matches()) {
                throw new IllegalArgumentException("gateway.tokens: sha256 must be 64 lowercase hex digits");
            }
            String namespace = entry.get("namespace").asString().orElseThrow(
                    () -> new IllegalArgumentException("gateway.tokens: every entry needs a namespace"));
            if (!NAMESPACE.matcher(namespace).matches()) {
                throw new IllegalArgumentException("gateway.tokens: namespace must match " + NAMESPACE.pattern());
            }
            Set<Action> actions = EnumSet.noneOf(Action.class);
            for (String action : entry.get("actions").asList(String.class).orElse(List.of())) {
                actions.add(Action.parse(action));
            }
            into.add(new Entry(HexFormat.of().parseHex(digest), new Principal(namespace, actions)));
        }
    }

    /**
     * The principal of a presented token, or empty. Every entry is compared, in constant time, whatever
     * matches: the time taken does not depend on which entry (if any) matched.
     */
    public Optional<Principal> authenticate(String token) {
        byte[] presented = sha256(token);
        Principal found = null;
        for (Entry entry : entries) {
            boolean equal = MessageDigest.isEqual(entry.digest, presented);
            found = equal ? entry.principal : found;
        }
        return Optional.ofNullable(found);
    }

    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }
}
