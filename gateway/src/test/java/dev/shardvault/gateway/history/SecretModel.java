package dev.shardvault.gateway.history;

import java.util.Objects;

/**
 * One ShardVault secret as docs/api.md specifies it to a client reading the latest version: absent, or a
 * version and its value; a create makes version 1 (again after a delete: a new incarnation starts at 1), each
 * committed update adds one, an update with {@code If-Match} applies only to the version it names.
 */
public final class SecretModel implements Model<SecretModel.State, SecretModel.Call, SecretModel.Answer> {

    /** The secret's latest version and value; {@link #ABSENT} when it does not exist. */
    public record State(long version, String value) {
        @Override
        public String toString() {
            return version == 0 ? "absent" : "v" + version + "=" + value;
        }
    }

    public static final State ABSENT = new State(0, null);

    public sealed interface Call {
    }

    public record Create(String value) implements Call {
    }

    public record Update(String value) implements Call {
    }

    public record UpdateIfMatch(long expected, String value) implements Call {
    }

    public record Read() implements Call {
    }

    public record Delete() implements Call {
    }

    public sealed interface Answer {
    }

    /** 200/201 of a create or update, with the version it made. */
    public record Written(long version) implements Answer {
    }

    /** 200 of a read. */
    public record Value(long version, String value) implements Answer {
    }

    /** 200 of a delete. */
    public record Deleted() implements Answer {
    }

    /** 404 secret-not-found. */
    public record NotFound() implements Answer {
    }

    /** 409 secret-exists. */
    public record Exists() implements Answer {
    }

    /** 412 version-mismatch. */
    public record Mismatch() implements Answer {
    }

    @Override
    public State initial() {
        return ABSENT;
    }

    @Override
    public State step(State state, Call call, Answer answer) {
        boolean present = state.version() > 0;
        return switch (call) {
            case Create create -> present
                    ? (answer == null || answer instanceof Exists ? state : null)
                    : (answer == null || answer.equals(new Written(1)) ? new State(1, create.value()) : null);
            case Update update -> present
                    ? (answer == null || answer.equals(new Written(state.version() + 1)) ? new State(state.version() + 1, update.value()) : null)
                    : (answer == null || answer instanceof NotFound ? state : null);
            case UpdateIfMatch update -> {
                if (!present) {
                    yield answer == null || answer instanceof NotFound ? state : null;
                }
                if (state.version() != update.expected()) {
                    yield answer == null || answer instanceof Mismatch ? state : null;
                }
                yield answer == null || answer.equals(new Written(state.version() + 1)) ? new State(state.version() + 1, update.value()) : null;
            }
            case Read read -> answer == null ? state : present
                    ? (answer instanceof Value value && value.version() == state.version() && Objects.equals(value.value(), state.value()) ? state : null)
                    : (answer instanceof NotFound ? state : null);
            case Delete delete -> present
                    ? (answer == null || answer instanceof Deleted ? ABSENT : null)
                    : (answer == null || answer instanceof NotFound ? state : null);
        };
    }

    @Override
    public String describe(Call call, Answer answer) {
        return call + " -> " + (answer == null ? "?" : answer);
    }
}
