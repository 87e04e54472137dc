package dev.shardvault.gateway.history;

/**
 * A sequential specification: the state an object is in after an operation, given the state before it and
 * the answer the client saw. States must be immutable values ({@code equals} and {@code hashCode}): the checker
 * memoizes on them.
 */
public interface Model<S, I, O> {

    S initial();

    /**
     * The state after {@code input} answered {@code output} in {@code state}, or {@code null} if that answer is
     * impossible there. {@code output} is {@code null} for an indeterminate operation: then the step never
     * fails (the operation takes the effect it would have, or none where it would have been refused — and
     * "never took effect" is the same as taking effect after everything else).
     */
    S step(S state, I input, O output);

    /** One line for a violation report. */
    default String describe(I input, O output) {
        return input + " -> " + (output == null ? "?" : output);
    }
}
