package dev.shardvault.gateway.auth;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One token as the cluster stores it: everything but the bearer value, of which only the SHA-256 digest is kept.
 * Minted tokens are stored as the value of secret {@link #secretName()} in the reserved namespace
 * {@link #NAMESPACE}, which no token can be bound to; configured tokens live in configuration only
 * ({@code parent} null, {@code createdAtMillis} -1).
 *
 * @param expiresAtMillis -1 for never
 */
public record TokenRecord(String id, String digestHex, String namespace, Set<Action> actions, Scope scope,
                          long expiresAtMillis, String label, String actorClass, String parent, long createdAtMillis,
                          boolean revoked) {

    /** What kind of caller a token stands for in the custody timeline; {@code system} is the cluster's own. */
    public static final List<String> CLASSES = List.of("human", "machine");
    public static final String DEFAULT_CLASS = "machine";

    /** The vault namespace that holds minted tokens (a vault node accepts it; the gateway binds no token to it). */
    public static final String NAMESPACE = "_system";
    /** {@code tok_} and 20 base32 characters. */
    public static final Pattern ID = Pattern.compile("tok_[a-z2-7]{20}");

    public TokenRecord {
        EnumSet<Action> ordered = EnumSet.noneOf(Action.class);
        ordered.addAll(actions);
        actions = java.util.Collections.unmodifiableSet(ordered); // iterates in the order actions are declared
    }

    /** The actions' wire names, in the order actions are declared. */
    public List<String> actionNames() {
        return actions.stream().map(Action::wireName).toList();
    }

    /** The secret name that stores the token with {@code id}. */
    public static String secretName(String id) {
        return id.toUpperCase(Locale.ROOT);
    }

    public String secretName() {
        return secretName(id);
    }

    /** The id of secret {@code name} of {@link #NAMESPACE}, or null if it is not a token's. */
    public static String idOf(String secretName) {
        String id = secretName.toLowerCase(Locale.ROOT);
        return ID.matcher(id).matches() ? id : null;
    }

    public TokenRecord revoke() {
        return new TokenRecord(id, digestHex, namespace, actions, scope, expiresAtMillis, label, actorClass, parent,
                               createdAtMillis, true);
    }

    /** The stored form (the digest included, never the bearer value). */
    public String toStored() {
        return JSON.createObjectBuilder()
                .add("id", id).add("sha256", digestHex).add("namespace", namespace).add("actions", array(actionNames()))
                .add("names", array(scope.names())).add("prefixes", array(scope.prefixes())).add("expiresAtMillis", expiresAtMillis)
                .add("label", label).add("class", actorClass).add("parent", parent == null ? JsonValue.NULL : JSON.createValue(parent))
                .add("createdAtMillis", createdAtMillis).add("revoked", revoked)
                .build().toString();
    }

    /** Reads the stored form; IllegalArgumentException if it is not one. */
    public static TokenRecord fromStored(String text) {
        try (var reader = JSON.createReader(new StringReader(text))) {
            JsonObject json = reader.readObject();
            Set<Action> actions = EnumSet.noneOf(Action.class);
            for (JsonValue action : json.getJsonArray("actions")) {
                actions.add(Action.parse(((JsonString) action).getString()));
            }
            String id = json.getString("id");
            if (!ID.matcher(id).matches()) {
                throw new IllegalArgumentException("not a token id");
            }
            return new TokenRecord(id, json.getString("sha256"), json.getString("namespace"), actions,
                                   new Scope(strings(json, "names"), strings(json, "prefixes")),
                                   json.getJsonNumber("expiresAtMillis").longValueExact(), json.getString("label"),
                                   actorClass(json.getString("class", DEFAULT_CLASS)),
                                   json.isNull("parent") ? null : json.getString("parent"),
                                   json.getJsonNumber("createdAtMillis").longValueExact(), json.getBoolean("revoked"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a stored token record: " + e.getClass().getSimpleName(), e);
        }
    }

    /** {@code text} if it is a token class; IllegalArgumentException otherwise. */
    public static String actorClass(String text) {
        if (!CLASSES.contains(text)) {
            throw new IllegalArgumentException("class must be one of " + CLASSES);
        }
        return text;
    }

    /** A JSON array of {@code strings}. */
    public static JsonArray array(List<String> strings) {
        JsonArrayBuilder array = JSON.createArrayBuilder();
        strings.forEach(array::add);
        return array.build();
    }

    private static List<String> strings(JsonObject json, String field) {
        List<String> values = new ArrayList<>();
        for (JsonValue value : json.getJsonArray(field)) {
            values.add(((JsonString) value).getString());
        }
        return values;
    }
}
