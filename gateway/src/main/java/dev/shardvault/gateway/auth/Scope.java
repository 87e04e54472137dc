package dev.shardvault.gateway.auth;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which secrets of its namespace a token reaches: exact {@code names} and name {@code prefixes}; both empty means
 * the whole namespace.
 */
public record Scope(List<String> names, List<String> prefixes) {

    /** A name prefix: what a name may start with (at least one character). */
    public static final Pattern PREFIX = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");

    public static final Scope WHOLE = new Scope(List.of(), List.of());

    public Scope {
        names = List.copyOf(names);
        prefixes = List.copyOf(prefixes);
    }

    public boolean whole() {
        return names.isEmpty() && prefixes.isEmpty();
    }

    /** Whether {@code name} is inside this scope. */
    public boolean contains(String name) {
        if (whole() || names.contains(name)) {
            return true;
        }
        for (String prefix : prefixes) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether every name {@code narrower} reaches is inside this scope: each of its names is, and each of its
     * prefixes starts with one of ours (a prefix covers names without end, so exact names never cover one).
     */
    public boolean covers(Scope narrower) {
        if (whole()) {
            return true;
        }
        if (narrower.whole()) {
            return false;
        }
        for (String name : narrower.names) {
            if (!contains(name)) {
                return false;
            }
        }
        for (String prefix : narrower.prefixes) {
            if (prefixes.stream().noneMatch(prefix::startsWith)) {
                return false;
            }
        }
        return true;
    }
}
