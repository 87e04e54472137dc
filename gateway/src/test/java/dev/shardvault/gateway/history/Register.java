package dev.shardvault.gateway.history;

import java.util.Objects;
import java.util.Optional;

/**
 * Jepsen's compare-and-set register, starting empty: what its etcd histories were recorded against, and so the
 * model that validates the checker on them. The state is the value, {@code Optional.empty()} while nothing is
 * written ({@code null} is the model's "impossible").
 */
public final class Register implements Model<Optional<Integer>, Register.Call, Register.Answer> {

    public sealed interface Call {
    }

    public record Read() implements Call {
    }

    public record Write(int value) implements Call {
    }

    public record Cas(int expected, int value) implements Call {
    }

    /** What came back: the value a read saw (null: empty); for a write or a successful cas, nothing more. */
    public record Answer(Integer value) {
    }

    @Override
    public Optional<Integer> initial() {
        return Optional.empty();
    }

    @Override
    public Optional<Integer> step(Optional<Integer> state, Call call, Answer answer) {
        return switch (call) {
            case Read read -> answer == null || Objects.equals(state.orElse(null), answer.value()) ? state : null;
            case Write write -> Optional.of(write.value());
            case Cas cas -> state.isPresent() && state.get() == cas.expected() ? Optional.of(cas.value()) : answer == null ? state : null;
        };
    }

    @Override
    public String describe(Call call, Answer answer) {
        String what = switch (call) {
            case Read read -> "read";
            case Write write -> "write(" + write.value() + ")";
            case Cas cas -> "cas(" + cas.expected() + " -> " + cas.value() + ")";
        };
        return what + (answer == null ? " -> ?" : call instanceof Read ? " -> " + answer.value() : " -> ok");
    }
}
