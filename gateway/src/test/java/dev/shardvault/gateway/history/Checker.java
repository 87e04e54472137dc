package dev.shardvault.gateway.history;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a history is linearizable: whether every operation can be given one instant between its
 * invocation and its completion such that, in the order of those instants, each answer is what the model gives.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization as Porcupine does it: the history is a doubly linked
 * list of invocation and completion events in time order; the search walks it, linearizing an invoked operation
 * when the model accepts its answer in the current state and the pair (set of linearized operations, state) has
 * not been seen before, and backtracks when it reaches the completion of an operation it has not linearized
 * (that operation would have to take effect after it answered). Linearizability is local (Herlihy and Wing), so
 * a history over independent keys is checked one key at a time ({@link #checkPerKey}).
 */
public final class Checker {

    private Checker() {
    }

    /** The verdict on one key's history; when not linearizable, a report of where the search got stuck. */
    public record Result(boolean linearizable, int operations, String report) {
    }

    /** Each key's history checked alone; the whole is linearizable exactly when every key's is. */
    public static <K, S, I, O> Map<K, Result> checkPerKey(Model<S, I, O> model, Map<K, List<Operation<I, O>>> histories) {
        Map<K, Result> results = new java.util.LinkedHashMap<>();
        histories.forEach((key, history) -> results.put(key, check(model, history)));
        return results;
    }

    private static final class Entry {
        final int op;
        final boolean invocation;
        final long time;
        Entry match; // an invocation's completion
        Entry prev;
        Entry next;

        Entry(int op, boolean invocation, long time) {
            this.op = op;
            this.invocation = invocation;
            this.time = time;
        }
    }

    private record Seen(BitSet linearized, Object state) {
    }

    private record Frame(Entry invocation, Object state) {
    }

    public static <S, I, O> Result check(Model<S, I, O> model, List<Operation<I, O>> history) {
        int n = history.size();
        List<Entry> events = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            Operation<I, O> op = history.get(i);
            Entry invocation = new Entry(i, true, op.invoked());
            Entry completion = new Entry(i, false, op.completed());
            invocation.match = completion;
            events.add(invocation);
            events.add(completion);
        }
        // Time order; at equal times an invocation comes first (the two operations are taken as concurrent).
        events.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.invocation));
        Entry head = new Entry(-1, false, Long.MIN_VALUE);
        Entry last = head;
        for (Entry event : events) {
            last.next = event;
            event.prev = last;
            last = event;
        }

        S state = model.initial();
        BitSet linearized = new BitSet(n);
        Set<Seen> seen = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        int deepest = -1;
        List<Integer> deepestOrder = List.of();
        Object deepestState = state;
        int stuckOn = -1;
        Entry entry = head.next;
        while (head.next != null) {
            if (entry.invocation) {
                Operation<I, O> op = history.get(entry.op);
                S next = model.step(state, op.input(), op.output());
                if (next != null) {
                    BitSet with = (BitSet) linearized.clone();
                    with.set(entry.op);
                    if (seen.add(new Seen(with, next))) {
                        stack.push(new Frame(entry, state));
                        state = next;
                        linearized.set(entry.op);
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                if (stack.size() > deepest) {
                    deepest = stack.size();
                    stuckOn = entry.op;
                    deepestOrder = stack.stream().map(frame -> frame.invocation().op).toList().reversed();
                    deepestState = state;
                }
                if (stack.isEmpty()) {
                    return new Result(false, n, report(model, history, deepestOrder, deepestState, stuckOn));
                }
                Frame frame = stack.pop();
                @SuppressWarnings("unchecked")
                S previous = (S) frame.state();
                state = previous;
                linearized.clear(frame.invocation().op);
                unlift(frame.invocation());
                entry = frame.invocation().next;
            }
        }
        return new Result(true, n, "");
    }

    private static void lift(Entry invocation) {
        invocation.prev.next = invocation.next;
        if (invocation.next != null) {
            invocation.next.prev = invocation.prev;
        }
        Entry completion = invocation.match;
        completion.prev.next = completion.next;
        if (completion.next != null) {
            completion.next.prev = completion.prev;
        }
    }

    private static void unlift(Entry invocation) {
        Entry completion = invocation.match;
        completion.prev.next = completion;
        if (completion.next != null) {
            completion.next.prev = completion;
        }
        invocation.prev.next = invocation;
        if (invocation.next != null) {
            invocation.next.prev = invocation;
        }
    }

    /**
     * Where the search got furthest: the operations it had linearized last (with the state they led to), and
     * every operation still open when {@code stuckOn} completed, which is the window in which no order works.
     */
    private static <S, I, O> String report(Model<S, I, O> model, List<Operation<I, O>> history, List<Integer> order,
                                           Object state, int stuckOn) {
        StringBuilder out = new StringBuilder();
        Operation<I, O> stuck = history.get(stuckOn);
        out.append("not linearizable: after ").append(order.size()).append(" of ").append(history.size())
           .append(" operations, no order places ").append(line(model, stuck, stuckOn)).append('\n');
        out.append("  last placed (oldest first), leaving state ").append(state).append(":\n");
        for (int i = Math.max(0, order.size() - 5); i < order.size(); i++) {
            out.append("    ").append(line(model, history.get(order.get(i)), order.get(i))).append('\n');
        }
        Set<Integer> placed = new HashSet<>(order);
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            if (!placed.contains(i) && history.get(i).invoked() <= stuck.completed()) {
                open.add(i);
            }
        }
        open.sort(Comparator.comparingLong((Integer i) -> history.get(i).invoked()).thenComparing(i -> i));
        out.append("  not placed, invoked before it completed:\n");
        open.stream().limit(20).forEach(i -> out.append("    ").append(line(model, history.get(i), i)).append('\n'));
        if (open.size() > 20) {
            out.append("    ... and ").append(open.size() - 20).append(" more\n");
        }
        return out.toString();
    }

    private static <S, I, O> String line(Model<S, I, O> model, Operation<I, O> op, int index) {
        return "#" + index + " process " + op.process() + " [" + op.invoked() + ", "
               + (op.indeterminate() ? "never" : Long.toString(op.completed())) + "] " + model.describe(op.input(), op.output());
    }
}
