package dev.shardvault.vault.custody;

import dev.shardvault.vault.model.SecretId;
import java.util.Objects;

/**
 * One custody event of one secret: what was done ({@link Action}), by whom ({@link Actor}), when ({@code atMillis},
 * the gateway's stamp of the request), to which version ({@code version}, -1 for none), with which {@link Outcome},
 * after which event ({@code parent}, null for none). {@code reason}: an exposure's reason, {@code ""} otherwise.
 * No value, share or bearer token is ever part of one.
 */
public record Event(SecretId secret, EventId id, EventId parent, long atMillis, Action action, Actor actor, long version,
                    Outcome outcome, String reason) {

    public static final int MAX_REASON_CHARS = 500;

    public Event {
        Objects.requireNonNull(secret);
        Objects.requireNonNull(id);
        Objects.requireNonNull(action);
        Objects.requireNonNull(actor);
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(reason);
    }

    /** What was done, with the API's names. */
    public enum Action {
        CREATED("secret-created"), UPDATED("secret-updated"), READ("secret-read"), HISTORY_READ("secret-history-read"),
        DELETED("secret-deleted"), EXPOSED("secret-exposed"), ROTATED("secret-rotated"), ENV_EXPANDED("secret-env-expanded"),
        REPAIRED("secret-repaired");

        private final String wireName;

        Action(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static Action parse(String wireName) {
            for (Action action : values()) {
                if (action.wireName.equals(wireName)) {
                    return action;
                }
            }
            throw new IllegalArgumentException("unknown event action " + wireName);
        }
    }

    /** {@code ok}; {@code refused}: a 403, 404, 409 or 412 answer about this secret; {@code failed}: a 503. */
    public enum Outcome {
        OK("ok"), REFUSED("refused"), FAILED("failed");

        private final String wireName;

        Outcome(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** Who acted: a token's id, label and class ({@code human}, {@code machine}, or {@code system} for the cluster). */
    public record Actor(String token, String label, String actorClass) {
        /** Read repair, done by the node that coordinated the read. */
        public static final Actor READ_REPAIR = new Actor("system", "read-repair", "system");

        public Actor {
            Objects.requireNonNull(token);
            Objects.requireNonNull(label);
            Objects.requireNonNull(actorClass);
        }
    }
}
