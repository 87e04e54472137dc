package dev.shardvault.gateway.env;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A dotenv file as a list of items whose concatenation is the file, byte for byte. Understands what npm
 * {@code dotenv}, python-dotenv and Docker Compose agree on: blank lines, {@code #} comments, an optional
 * {@code export } prefix, {@code KEY=VALUE} with spaces around {@code =}, unquoted values (ending at a
 * {@code #} that follows whitespace), single-, double- and backtick-quoted values that may span lines, the
 * double-quote escapes {@code \\ \" \n \r \t \'}, and LF or CRLF line endings.
 */
public final class DotenvFile {

    private static final Pattern ASSIGNMENT = Pattern.compile("^([ \\t]*(?:export[ \\t]+)?)([A-Za-z0-9_.-]+)([ \\t]*=[ \\t]*)");
    private static final Pattern TRAILER = Pattern.compile("^[ \\t]*(?:#.*)?$");

    private DotenvFile() {
    }

    /** One piece of the file. */
    public sealed interface Item {
        /** The exact text of the item. */
        String text();
    }

    /** A blank or comment line, kept as it is. */
    public record Verbatim(String text) implements Item {
    }

    public enum Quote { NONE, SINGLE, DOUBLE, BACKTICK }

    /**
     * {@code prefix + source + suffix + ending} is the exact text.
     *
     * @param line   1-based line where the assignment starts
     * @param prefix leading whitespace, {@code export }, the key and the {@code =} with its spaces
     * @param source the value as written, quotes included
     * @param value  the value as a dotenv parser reads it (quotes removed, double-quote escapes decoded)
     * @param suffix whitespace and comment after the value
     * @param ending the line ending ("\n", "\r\n", or "" at the end of the file)
     */
    public record Assignment(int line, String prefix, String key, Quote quote, String source, String value,
                             String suffix, String ending) implements Item {
        @Override
        public String text() {
            return prefix + source + suffix + ending;
        }

        @Override
        public String toString() {
            return "Assignment[line " + line + ", " + key + "]"; // never print values
        }
    }

    public static List<Item> parse(String text) throws DotenvSyntaxException {
        List<Item> items = new ArrayList<>();
        int pos = 0;
        int line = 1;
        int length = text.length();
        while (pos < length) {
            int newline = text.indexOf('\n', pos);
            int lineEnd = newline < 0 ? length : newline;
            String content = text.substring(pos, lineEnd);
            String cr = content.endsWith("\r") ? "\r" : "";
            content = content.substring(0, content.length() - cr.length());
            String ending = cr + (newline < 0 ? "" : "\n");
            String stripped = content.strip();
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                items.add(new Verbatim(content + ending));
                pos = lineEnd + (newline < 0 ? 0 : 1);
                line++;
                continue;
            }
            Matcher matcher = ASSIGNMENT.matcher(content);
            if (!matcher.find()) {
                throw new DotenvSyntaxException(line, "expected KEY=VALUE, a comment or a blank line");
            }
            String prefix = content.substring(0, matcher.end());
            String key = matcher.group(2);
            int valueStart = pos + matcher.end();
            char first = valueStart < pos + content.length() ? text.charAt(valueStart) : '\0';
            if (first == '"' || first == '\'' || first == '`') {
                Quoted quoted = quoted(text, valueStart, first, line);
                int restEnd = text.indexOf('\n', quoted.end);
                int restStop = restEnd < 0 ? length : restEnd;
                String rest = text.substring(quoted.end, restStop);
                String restCr = rest.endsWith("\r") ? "\r" : "";
                rest = rest.substring(0, rest.length() - restCr.length());
                if (!TRAILER.matcher(rest).matches()) {
                    throw new DotenvSyntaxException(line + quoted.newlines, "unexpected text after the closing quote");
                }
                Quote quote = first == '"' ? Quote.DOUBLE : first == '\'' ? Quote.SINGLE : Quote.BACKTICK;
                items.add(new Assignment(line, prefix, key, quote, text.substring(valueStart, quoted.end), quoted.value,
                                         rest, restCr + (restEnd < 0 ? "" : "\n")));
                line += quoted.newlines + 1;
                pos = restStop + (restEnd < 0 ? 0 : 1);
                continue;
            }
            String rest = content.substring(matcher.end());
            String source;
            if (rest.startsWith("enc(") && rest.lastIndexOf(')') > 0) {
                // In an unquoted enc(...) everything up to the last ')' is the plaintext, '#' included.
                source = rest.substring(0, rest.lastIndexOf(')') + 1);
                if (!TRAILER.matcher(rest.substring(source.length())).matches()) {
                    throw new DotenvSyntaxException(line, "unexpected text after enc(...)");
                }
            } else {
                source = unquotedValue(rest);
            }
            items.add(new Assignment(line, prefix, key, Quote.NONE, source, source, rest.substring(source.length()), ending));
            pos = lineEnd + (newline < 0 ? 0 : 1);
            line++;
        }
        return items;
    }

    /** An unquoted value ends at a '#' that follows whitespace; trailing whitespace is not part of it. */
    private static String unquotedValue(String rest) {
        int comment = -1;
        for (int i = 0; i < rest.length(); i++) {
            if (rest.charAt(i) == '#' && (i == 0 || rest.charAt(i - 1) == ' ' || rest.charAt(i - 1) == '\t')) {
                comment = i;
                break;
            }
        }
        String value = comment < 0 ? rest : rest.substring(0, comment);
        return value.stripTrailing();
    }

    private record Quoted(String value, int end, int newlines) {
    }

    private static Quoted quoted(String text, int start, char quote, int line) throws DotenvSyntaxException {
        StringBuilder value = new StringBuilder();
        int newlines = 0;
        int i = start + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == quote) {
                return new Quoted(value.toString(), i + 1, newlines);
            }
            if (c == '\n') {
                newlines++;
            }
            if (quote == '"' && c == '\\' && i + 1 < text.length()) {
                char escaped = text.charAt(i + 1);
                switch (escaped) {
                    case '\\' -> value.append('\\');
                    case '"' -> value.append('"');
                    case '\'' -> value.append('\'');
                    case 'n' -> value.append('\n');
                    case 'r' -> value.append('\r');
                    case 't' -> value.append('\t');
                    default -> {
                        value.append('\\').append(escaped); // unknown escapes stay as written
                        if (escaped == '\n') {
                            newlines++;
                        }
                    }
                }
                i += 2;
                continue;
            }
            value.append(c);
            i++;
        }
        throw new DotenvSyntaxException(line, "unterminated " + (quote == '"' ? "double" : quote == '\'' ? "single" : "backtick")
                                              + "-quoted value");
    }
}
