package dev.shardvault.gateway.auth;

import java.util.Set;

/**
 * An authenticated caller: its token's id, the namespace the token is bound to, what it may do there, which
 * secrets it reaches, and when it stops working ({@code expiresAtMillis}, the earliest expiry along its chain of
 * grants; -1 for never), and the token's label and class, which the custody timeline records as the actor.
 */
public record Principal(String tokenId, String namespace, Set<Action> actions, Scope scope, long expiresAtMillis,
                        String label, String actorClass) {

    public Principal {
        actions = Set.copyOf(actions);
    }

    /** A whole-namespace principal that never expires (configured tokens, tests). */
    public Principal(String namespace, Set<Action> actions) {
        this(null, namespace, actions, Scope.WHOLE, -1, "configured", TokenRecord.DEFAULT_CLASS);
    }

    public boolean may(Action action) {
        return actions.contains(action);
    }

    /** Whether the token may do {@code action} on secret {@code name}. */
    public boolean may(Action action, String name) {
        return actions.contains(action) && scope.contains(name);
    }
}
