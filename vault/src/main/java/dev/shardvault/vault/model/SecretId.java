package dev.shardvault.vault.model;

import java.util.regex.Pattern;

/**
 * A secret's identity: the same NAME in two namespaces are two secrets. Ordered by namespace, then name
 * (listing order).
 */
public record SecretId(String namespace, String name) implements Comparable<SecretId> {

    public static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");
    public static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

    public SecretId {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("namespace must match " + NAMESPACE.pattern());
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must match " + NAME.pattern());
        }
    }

    @Override
    public int compareTo(SecretId other) {
        int byNamespace = namespace.compareTo(other.namespace);
        return byNamespace != 0 ? byNamespace : name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
