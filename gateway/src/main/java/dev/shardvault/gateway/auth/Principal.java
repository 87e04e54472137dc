package dev.shardvault.gateway.auth;

import java.util.Set;

/** An authenticated caller: the namespace its token is bound to and what it may do there. */
public record Principal(String namespace, Set<Action> actions) {

    public Principal {
        actions = Set.copyOf(actions);
    }

    public boolean may(Action action) {
        return actions.contains(action);
    }
}
