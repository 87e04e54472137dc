package dev.shardvault.gateway.env;

/** A line that is not a comment, a blank line or {@code KEY=VALUE}, or a quote that never closes. */
public final class DotenvSyntaxException extends Exception {

    private final int line;

    DotenvSyntaxException(int line, String message) {
        super("line " + line + ": " + message, null, false, false);
        this.line = line;
    }

    public int line() {
        return line;
    }

    public String reason() {
        String message = getMessage();
        return message.substring(message.indexOf(": ") + 2);
    }
}
