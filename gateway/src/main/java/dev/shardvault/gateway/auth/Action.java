package dev.shardvault.gateway.auth;

import java.util.Locale;

/** What a token may do in its namespace. */
public enum Action {
    READ, WRITE, DELETE, LIST, ENV;

    public static Action parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown action '" + text + "' (read, write, delete, list, env)");
        }
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
