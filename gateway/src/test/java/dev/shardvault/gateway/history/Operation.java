package dev.shardvault.gateway.history;

/**
 * One client operation of a history: the process that ran it, its input, when it was invoked and when its answer
 * arrived (on one clock, any unit), and the answer. An indeterminate operation (a timeout, a
 * {@code 503 commit-unconfirmed}, a process that died) has no answer: it may have taken effect at any point after
 * its invocation, or never, so it completes at {@link #NEVER}.
 */
public record Operation<I, O>(int process, I input, long invoked, long completed, O output) {

    public static final long NEVER = Long.MAX_VALUE;

    public Operation {
        if (completed < invoked) {
            throw new IllegalArgumentException("completed before it was invoked: " + invoked + " > " + completed);
        }
        if ((output == null) != (completed == NEVER)) {
            throw new IllegalArgumentException("an operation has an answer exactly when it completed");
        }
    }

    public static <I, O> Operation<I, O> completed(int process, I input, long invoked, long completed, O output) {
        return new Operation<>(process, input, invoked, completed, output);
    }

    public static <I, O> Operation<I, O> indeterminate(int process, I input, long invoked) {
        return new Operation<>(process, input, invoked, NEVER, null);
    }

    public boolean indeterminate() {
        return output == null;
    }
}
