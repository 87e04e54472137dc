package dev.shardvault.gateway.env;

import dev.shardvault.gateway.env.DotenvFile.Assignment;
import dev.shardvault.gateway.env.DotenvFile.Item;
import dev.shardvault.gateway.env.DotenvFile.Quote;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands {@code secret(NAME)} and performs {@code KEY=enc(PLAINTEXT)} in a dotenv file, all or nothing:
 * either every reference resolves and every creation commits (in one transaction), or nothing is created and
 * every failing line is reported. Lines without references come back byte for byte.
 */
public final class EnvTransformer {

    static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");
    private static final Pattern SECRET_REFERENCE = Pattern.compile("secret\\(([^()]*)\\)");
    private static final Pattern ENC = Pattern.compile("^enc\\((.*)\\)$", Pattern.DOTALL);

    /** What the transformer needs from the vault, already scoped to the caller's namespace and rights. */
    public interface Secrets {
        /** The latest value of each name, or why it cannot be had. */
        Map<String, Lookup> read(Set<String> names);

        /** Which of these names exist now. */
        Set<String> existing(Set<String> names);

        /** Creates every secret in one transaction; the names that already existed if it refused. */
        Creation createAll(Map<String, String> plaintexts);
    }

    public sealed interface Lookup {
        record Found(String value) implements Lookup {
        }

        /** {@code reason}: not-found, forbidden, insufficient-shards, unavailable. */
        record Failed(String reason) implements Lookup {
        }
    }

    public sealed interface Creation {
        record Created() implements Creation {
        }

        record Refused(Set<String> existing) implements Creation {
        }
    }

    /** One failing line: {@code reference} is the text such as {@code secret(DB_PASS)}; never a plaintext. */
    public record LineError(int line, String reference, String reason) {
        boolean isConflict() {
            return reason.equals("exists") || reason.equals("duplicate");
        }
    }

    public sealed interface Result {
        record Transformed(String text, int expanded, int created) implements Result {
        }

        /** Nothing was created. Conflict when every error is an existing or duplicate enc() target. */
        record Failed(List<LineError> errors, boolean conflict) implements Result {
        }
    }

    private EnvTransformer() {
    }

    /**
     * {@code mayRead} / {@code mayWrite}: whether the caller may read / create the secret of that name; a
     * reference it may not read, or an enc() it may not create, is a {@code forbidden} line error.
     */
    public static Result transform(List<Item> items, Secrets secrets, Predicate<String> mayRead, Predicate<String> mayWrite) {
        List<LineError> errors = new ArrayList<>();
        Map<String, List<Assignment>> encByKey = new LinkedHashMap<>();
        Set<String> referenced = new LinkedHashSet<>();
        for (Item item : items) {
            if (!(item instanceof Assignment assignment)) {
                continue;
            }
            if (encPlaintext(assignment) != null) {
                encByKey.computeIfAbsent(assignment.key(), k -> new ArrayList<>()).add(assignment);
                continue;
            }
            for (String reference : references(assignment)) {
                String name = reference.substring("secret(".length(), reference.length() - 1);
                if (!NAME.matcher(name).matches()) {
                    errors.add(new LineError(assignment.line(), reference, "invalid-name"));
                } else if (!mayRead.test(name)) {
                    errors.add(new LineError(assignment.line(), reference, "forbidden"));
                } else {
                    referenced.add(name);
                }
            }
        }
        for (Map.Entry<String, List<Assignment>> entry : encByKey.entrySet()) {
            for (Assignment assignment : entry.getValue()) {
                String reference = assignment.key() + "=enc(...)";
                if (!NAME.matcher(entry.getKey()).matches()) {
                    errors.add(new LineError(assignment.line(), reference, "invalid-name"));
                } else if (!mayWrite.test(entry.getKey())) {
                    errors.add(new LineError(assignment.line(), reference, "forbidden"));
                } else if (entry.getValue().size() > 1) {
                    errors.add(new LineError(assignment.line(), reference, "duplicate"));
                }
            }
        }
        Map<String, Lookup> values = referenced.isEmpty() ? Map.of() : secrets.read(referenced);
        for (Item item : items) {
            if (item instanceof Assignment assignment && encPlaintext(assignment) == null) {
                for (String reference : references(assignment)) {
                    String name = reference.substring("secret(".length(), reference.length() - 1);
                    if (values.get(name) instanceof Lookup.Failed failed) {
                        errors.add(new LineError(assignment.line(), reference, failed.reason()));
                    }
                }
            }
        }
        Set<String> creatable = new LinkedHashSet<>();
        encByKey.forEach((key, assignments) -> {
            if (assignments.size() == 1 && NAME.matcher(key).matches() && mayWrite.test(key)) {
                creatable.add(key);
            }
        });
        if (!errors.isEmpty()) {
            // Nothing will be created; still say which enc() targets exist, so that one answer lists every problem.
            if (!creatable.isEmpty()) {
                for (String key : secrets.existing(creatable)) {
                    Assignment assignment = encByKey.get(key).getFirst();
                    errors.add(new LineError(assignment.line(), key + "=enc(...)", "exists"));
                }
            }
            return failed(errors);
        }
        if (!creatable.isEmpty()) {
            Map<String, String> plaintexts = new LinkedHashMap<>();
            creatable.forEach(key -> plaintexts.put(key, encPlaintext(encByKey.get(key).getFirst())));
            if (secrets.createAll(plaintexts) instanceof Creation.Refused refused) {
                for (String key : refused.existing()) {
                    errors.add(new LineError(encByKey.get(key).getFirst().line(), key + "=enc(...)", "exists"));
                }
                return failed(errors);
            }
        }
        StringBuilder out = new StringBuilder();
        int expanded = 0;
        for (Item item : items) {
            if (item instanceof Assignment assignment) {
                if (encPlaintext(assignment) != null) {
                    out.append(assignment.prefix()).append("secret(").append(assignment.key()).append(')')
                       .append(assignment.suffix()).append(assignment.ending());
                    continue;
                }
                List<String> references = references(assignment);
                if (!references.isEmpty()) {
                    Matcher matcher = SECRET_REFERENCE.matcher(assignment.value());
                    StringBuilder value = new StringBuilder();
                    while (matcher.find()) {
                        Lookup.Found found = (Lookup.Found) values.get(matcher.group(1));
                        matcher.appendReplacement(value, Matcher.quoteReplacement(found.value()));
                    }
                    matcher.appendTail(value);
                    out.append(assignment.prefix()).append(Quoting.emit(value.toString()))
                       .append(assignment.suffix()).append(assignment.ending());
                    expanded += references.size();
                    continue;
                }
            }
            out.append(item.text());
        }
        return new Result.Transformed(out.toString(), expanded, creatable.size());
    }

    private static Result failed(List<LineError> errors) {
        List<LineError> sorted = new ArrayList<>(errors);
        sorted.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return new Result.Failed(sorted, sorted.stream().allMatch(LineError::isConflict));
    }

    /** The plaintext of {@code KEY=enc(...)} (the whole value after unquoting), or null. */
    public static String encPlaintext(Assignment assignment) {
        Matcher matcher = ENC.matcher(assignment.value());
        return matcher.matches() ? matcher.group(1) : null;
    }

    /** {@code secret(...)} references of a value; single- and backtick-quoted values are literal. */
    public static List<String> references(Assignment assignment) {
        if (assignment.quote() == Quote.SINGLE || assignment.quote() == Quote.BACKTICK) {
            return List.of();
        }
        List<String> found = new ArrayList<>();
        Matcher matcher = SECRET_REFERENCE.matcher(assignment.value());
        while (matcher.find()) {
            found.add(matcher.group());
        }
        return found;
    }
}
