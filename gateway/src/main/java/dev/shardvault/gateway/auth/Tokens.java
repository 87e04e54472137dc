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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.time.Instant;

/**
 * Every token the gateway knows: the configured ones (SHA-256 digests in configuration, whole namespace, no
 * expiry) and those minted at run time, which {@link TokenSync} keeps learning from the cluster. A token is
 * valid when it, and every token up its chain of grants, is known, not revoked and not expired: revoking or
 * losing a token therefore ends every token minted under it at once, without touching their records.
 * Configuration:
 * <pre>
 * gateway:
 *   tokens:
 *     - sha256: 64 hex digits        # sha256 of the token's UTF-8 bytes
 *       namespace: default
 *       actions: [read, write, delete, list, env, grant]
 *       label: ops                   # optional
 *       class: human                 # optional: human or machine (the default), for the custody timeline
 *   tokens-file: var/dev-tokens.yaml # optional: more entries of the same shape under "tokens"
 * </pre>
 */
public final class Tokens {

    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** Longer chains are refused: minting checks depth, so only a forged record could be this deep. */
    public static final int MAX_DEPTH = 32;

    /** The outcome of presenting a bearer token. */
    public sealed interface Authentication {
        record Valid(Principal principal, TokenRecord token) implements Authentication {
        }

        /** 401, with a detail that says why (unknown, expired, revoked), never which token. */
        record Refused(String detail) implements Authentication {
        }
    }

    private record Known(TokenRecord record, long version) {
    }

    private final Map<String, Known> byId = new ConcurrentHashMap<>();
    private final Map<String, String> idByDigest = new ConcurrentHashMap<>();
    private final int configured;

    private Tokens(List<TokenRecord> configured) {
        for (TokenRecord record : configured) {
            byId.put(record.id(), new Known(record, -1));
            idByDigest.put(record.digestHex(), record.id());
        }
        this.configured = configured.size();
    }

    public static Tokens from(Config gateway) {
        List<TokenRecord> entries = new ArrayList<>();
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
        List<TokenRecord> entries = new ArrayList<>();
        for (int i = 0; i < principals.size(); i++) {
            entries.add(configured(HexFormat.of().formatHex(sha256(tokens.get(i))), principals.get(i).namespace(),
                                   principals.get(i).actions(), "configured", TokenRecord.DEFAULT_CLASS));
        }
        return new Tokens(entries);
    }

    /** How many tokens configuration holds. */
    public int size() {
        return configured;
    }

    private static void read(Config list, List<TokenRecord> into) {
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
            String actorClass;
            try {
                actorClass = TokenRecord.actorClass(entry.get("class").asString().orElse(TokenRecord.DEFAULT_CLASS));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("gateway.tokens: " + e.getMessage());
            }
            into.add(configured(digest, namespace, actions, entry.get("label").asString().orElse("configured"), actorClass));
        }
    }

    /** A configured token: its id is derived from its digest, so it is the same on every gateway and restart. */
    private static TokenRecord configured(String digestHex, String namespace, Set<Action> actions, String label,
                                          String actorClass) {
        byte[] idBytes = sha256("shardvault-configured-token:" + digestHex);
        return new TokenRecord(TokenIds.fromBytes(idBytes), digestHex, namespace, actions, Scope.WHOLE, -1, label, actorClass,
                               null, -1, false);
    }

    /**
     * Who presents {@code token} at {@code nowMillis}. The digest is looked up, not compared entry by entry: what
     * the lookup's timing could reveal is about the digest of the caller's own guess, which without a preimage
     * of a stored digest tells nothing.
     */
    public Authentication authenticate(String token, long nowMillis) {
        String id = idByDigest.get(HexFormat.of().formatHex(sha256(token)));
        Known known = id == null ? null : byId.get(id);
        if (known == null) {
            return new Authentication.Refused("unknown token");
        }
        TokenRecord own = known.record();
        long expiresAt = -1;
        TokenRecord link = own;
        for (int depth = 0; ; depth++) {
            if (link.revoked()) {
                return new Authentication.Refused(link == own ? "the token was revoked"
                                                              : "the token it was granted by was revoked");
            }
            if (link.expiresAtMillis() >= 0) {
                if (nowMillis >= link.expiresAtMillis()) {
                    return new Authentication.Refused("the token expired at " + Instant.ofEpochMilli(link.expiresAtMillis()));
                }
                expiresAt = expiresAt < 0 ? link.expiresAtMillis() : Math.min(expiresAt, link.expiresAtMillis());
            }
            if (link.parent() == null) {
                break;
            }
            Known parent = byId.get(link.parent());
            if (parent == null || depth >= MAX_DEPTH) {
                return new Authentication.Refused("the token it was granted by no longer exists");
            }
            link = parent.record();
        }
        return new Authentication.Valid(new Principal(own.id(), own.namespace(), own.actions(), own.scope(), expiresAt,
                                                             own.label(), own.actorClass()), own);
    }

    /**
     * Takes a minted token's record at {@code version} (from the cluster or from this gateway's own write); an
     * older version than the one known, a configured token's id, or a digest that belongs to another token
     * changes nothing.
     */
    public void learn(TokenRecord record, long version) {
        String owner = idByDigest.get(record.digestHex());
        if (owner != null && !owner.equals(record.id())) {
            return;
        }
        Known[] stored = new Known[1];
        byId.compute(record.id(), (id, known) -> {
            if (known != null && (known.version() < 0 || known.version() >= version)) {
                return known;
            }
            stored[0] = new Known(record, version);
            return stored[0];
        });
        if (stored[0] != null) {
            idByDigest.putIfAbsent(record.digestHex(), record.id());
        }
    }

    /** The version known of minted token {@code id}, or -1. */
    public long version(String id) {
        Known known = byId.get(id);
        return known == null ? -1 : known.version();
    }

    public Optional<TokenRecord> get(String id) {
        Known known = byId.get(id);
        return known == null ? Optional.empty() : Optional.of(known.record());
    }

    /** Whether {@code id} is {@code root} or was minted under it (at any depth). */
    public boolean under(String id, String root) {
        String link = id;
        for (int depth = 0; link != null && depth <= MAX_DEPTH; depth++) {
            if (link.equals(root)) {
                return true;
            }
            Known known = byId.get(link);
            link = known == null ? null : known.record().parent();
        }
        return false;
    }

    /** How many grants separate {@code id} from its configured root (0 for a configured token). */
    public int depth(String id) {
        int depth = 0;
        for (Known known = byId.get(id); known != null && known.record().parent() != null; known = byId.get(known.record().parent())) {
            if (++depth > MAX_DEPTH) {
                break;
            }
        }
        return depth;
    }

    /** {@code root} and every token minted under it, oldest first. */
    public List<TokenRecord> subtree(String root) {
        List<TokenRecord> found = new ArrayList<>();
        for (Known known : byId.values()) {
            if (under(known.record().id(), root)) {
                found.add(known.record());
            }
        }
        found.sort(java.util.Comparator.comparingLong(TokenRecord::createdAtMillis).thenComparing(TokenRecord::id));
        return found;
    }

    /** Whether {@code id} or a token up its chain is revoked. */
    public boolean revokedAlongChain(String id) {
        String link = id;
        for (int depth = 0; link != null && depth <= MAX_DEPTH; depth++) {
            Known known = byId.get(link);
            if (known == null || known.record().revoked()) {
                return true;
            }
            link = known.record().parent();
        }
        return false;
    }

    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }
}
