package dev.shardvault.gateway.auth;

import java.util.Locale;

/**
 * What a token may do in its namespace. {@code GRANT} mints, lists and revokes tokens under the caller's own;
 * {@code AUDIT} is accepted in configuration and grants, and is not yet needed by any route.
 */
public enum Action {
    READ, WRITE, DELETE, LIST, ENV, GRANT, AUDIT;

    public static Action parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown action '" + text + "' (read, write, delete, list, env, grant, audit)");
        }
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
