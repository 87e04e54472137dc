package dev.shardvault.gateway.env;

/**
 * How an expanded value is written back: the first form that every common dotenv parser reads back exactly.
 * <ol>
 *   <li>unquoted, when non-empty and only {@code A-Z a-z 0-9 _ . / : @ % + , = -};</li>
 *   <li>single-quoted, when it has no {@code '} and no line break (literal in npm dotenv, python-dotenv and
 *       Compose, so {@code $ # \ "} are safe);</li>
 *   <li>double-quoted with {@code \\ \" \n \r} escapes.</li>
 * </ol>
 */
public final class Quoting {

    private Quoting() {
    }

    public static String emit(String value) {
        if (!value.isEmpty() && value.chars().allMatch(Quoting::bare)) {
            return value;
        }
        if (value.indexOf('\'') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return "'" + value + "'";
        }
        return doubleQuoted(value);
    }

    /** Form 3 alone: double-quoted with {@code \\ \" \n \r} escapes; any value reads back exactly. */
    public static String doubleQuoted(String value) {
        StringBuilder quoted = new StringBuilder(value.length() + 8).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> quoted.append("\\\\");
                case '"' -> quoted.append("\\\"");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    private static boolean bare(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "_./:@%+,=-".indexOf(c) >= 0;
    }
}
