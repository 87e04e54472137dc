package dev.shardvault.vault.model;

import java.util.regex.Pattern;

/**
 * A secret's identity: the same NAME in two namespaces are two secrets. Ordered by namespace, then name
 * (listing order).
 */
public record SecretId(String namespace, String name) implements Comparable<SecretId> {

    public static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");
    public static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
    /**
     * The one namespace outside {@link #NAMESPACE}: where the gateway keeps the records of minted tokens. No
     * token can be bound to it (the gateway's namespaces follow {@link #NAMESPACE}), so no public route reaches it.
     */
    public static final String SYSTEM = "_system";

    public SecretId {
        if (!validNamespace(namespace)) {
            throw new IllegalArgumentException("namespace must match " + NAMESPACE.pattern());
        }
        if (!validName(name)) {
            throw new IllegalArgumentException("name must match " + NAME.pattern());
        }
    }

    /** Whether {@code name} matches {@link #NAME}; a loop, because every id on every hot path is checked. */
    public static boolean validName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128) {
            return false;
        }
        char first = name.charAt(0);
        if (first < 'A' || first > 'Z') {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code namespace} matches {@link #NAMESPACE} or is {@link #SYSTEM}. */
    public static boolean validNamespace(String namespace) {
        if (SYSTEM.equals(namespace)) {
            return true;
        }
        if (namespace == null || namespace.isEmpty() || namespace.length() > 64) {
            return false;
        }
        char first = namespace.charAt(0);
        if (!(first >= 'a' && first <= 'z' || first >= '0' && first <= '9')) {
            return false;
        }
        for (int i = 1; i < namespace.length(); i++) {
            char c = namespace.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int compareTo(SecretId other) {
        int byNamespace = namespace.compareTo(other.namespace);
        return byNamespace != 0 ? byNamespace : name.compareTo(other.name);
    }

    // Written out rather than generated: a record's generated equals and hashCode run through a method-handle
    // chain, which the JIT does not inline at a call site that sees several key types (HashMap.getNode does),
    // and the store's maps look ids up on every prepare, commit, read and sweep page.
    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof SecretId id && name.equals(id.name) && namespace.equals(id.namespace);
    }

    @Override
    public int hashCode() {
        return 31 * namespace.hashCode() + name.hashCode();
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
