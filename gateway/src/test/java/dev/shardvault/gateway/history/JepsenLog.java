package dev.shardvault.gateway.history;

import dev.shardvault.gateway.history.Register.Answer;
import dev.shardvault.gateway.history.Register.Call;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a register history in the text form Jepsen's {@code jepsen.util} logger writes: one event a line,
 * {@code PROCESS :invoke|:ok|:fail|:info :read|:write|:cas VALUE}, in real-time order (the line number is the
 * clock). A {@code :fail} definitely did not take effect and is dropped; an {@code :info}, or an invocation that
 * never completes, is indeterminate. A read without an answer observed nothing and changed nothing, so it is
 * dropped too. Lines of other loggers are ignored; a {@code jepsen.util} event line that does not parse, or that
 * breaks "one operation at a time per process", is an error.
 */
public final class JepsenLog {

    private static final Pattern EVENT = Pattern.compile("^INFO\\s+jepsen\\.util\\s+-\\s+(\\d+)\\s+:(\\S+)\\s+:(\\S+)\\s+(.*?)\\s*$");
    private static final Pattern EVENT_LIKE = Pattern.compile("^INFO\\s+jepsen\\.util\\s+-\\s+\\d+\\s+:.*");
    private static final Pattern PAIR = Pattern.compile("\\[(-?\\d+)\\s+(-?\\d+)]");

    /** A line that is not a valid event. */
    public static final class ParseException extends Exception {
        public ParseException(String message) {
            super(message);
        }
    }

    private JepsenLog() {
    }

    public static List<Operation<Call, Answer>> read(Path file) throws IOException, ParseException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.getFileName().toString());
    }

    private record Open(Call call, long invoked) {
    }

    public static List<Operation<Call, Answer>> parse(List<String> lines, String name) throws ParseException {
        List<Operation<Call, Answer>> history = new ArrayList<>();
        Map<Integer, Open> open = new HashMap<>();
        for (int index = 0; index < lines.size(); index++) {
            String line = lines.get(index);
            Matcher event = EVENT.matcher(line);
            if (!event.matches()) {
                if (EVENT_LIKE.matcher(line).matches()) {
                    throw new ParseException(name + ":" + (index + 1) + ": not an event: " + line);
                }
                continue;
            }
            int process;
            try {
                process = Integer.parseInt(event.group(1));
            } catch (NumberFormatException e) {
                throw new ParseException(name + ":" + (index + 1) + ": process number out of range");
            }
            String type = event.group(2);
            String f = event.group(3);
            String value = event.group(4);
            String where = name + ":" + (index + 1) + ": ";
            switch (type) {
                case "invoke" -> {
                    if (open.containsKey(process)) {
                        throw new ParseException(where + "process " + process + " invokes while its last operation is open");
                    }
                    open.put(process, new Open(call(f, value, where), index));
                }
                case "ok", "fail", "info" -> {
                    Open invoked = open.remove(process);
                    if (invoked == null) {
                        throw new ParseException(where + "process " + process + " completes an operation it did not invoke");
                    }
                    if (!f.equals(name(invoked.call()))) {
                        throw new ParseException(where + "process " + process + " completes :" + f + " but invoked :" + name(invoked.call()));
                    }
                    if (type.equals("ok")) {
                        Answer answer = invoked.call() instanceof Register.Read ? new Answer(readValue(value, where)) : new Answer(null);
                        history.add(Operation.completed(process, invoked.call(), invoked.invoked(), index, answer));
                    } else if (type.equals("info") && !(invoked.call() instanceof Register.Read)) {
                        history.add(Operation.indeterminate(process, invoked.call(), invoked.invoked()));
                    }
                }
                default -> throw new ParseException(where + "unknown event type :" + type);
            }
        }
        for (Map.Entry<Integer, Open> pending : open.entrySet()) {
            if (!(pending.getValue().call() instanceof Register.Read)) {
                history.add(Operation.indeterminate(pending.getKey(), pending.getValue().call(), pending.getValue().invoked()));
            }
        }
        return history;
    }

    private static String name(Call call) {
        return switch (call) {
            case Register.Read read -> "read";
            case Register.Write write -> "write";
            case Register.Cas cas -> "cas";
        };
    }

    private static Call call(String f, String value, String where) throws ParseException {
        return switch (f) {
            case "read" -> new Register.Read();
            case "write" -> new Register.Write(integer(value, where));
            case "cas" -> {
                Matcher pair = PAIR.matcher(value);
                if (!pair.matches()) {
                    throw new ParseException(where + "a cas takes [expected new], not " + value);
                }
                yield new Register.Cas(integer(pair.group(1), where), integer(pair.group(2), where));
            }
            default -> throw new ParseException(where + "unknown operation :" + f);
        };
    }

    private static Integer readValue(String value, String where) throws ParseException {
        return value.equals("nil") ? null : integer(value, where);
    }

    private static int integer(String value, String where) throws ParseException {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ParseException(where + "not an integer: " + value);
        }
    }
}
