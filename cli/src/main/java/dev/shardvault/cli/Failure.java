package dev.shardvault.cli;

/**
 * Why a command stopped, as the exit status of API.md and the one line written to stderr. The message never
 * holds a value, a share or a token: it is built from problem documents (which never carry them), names and
 * line numbers.
 */
class Failure extends Exception {

    static final int OK = 0;
    static final int SERVER = 1;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int CONFLICT = 4;
    static final int UNAUTHORIZED = 5;
    static final int UNAVAILABLE = 6;

    private final int exitCode;
    private final String type;

    Failure(int exitCode, String message) {
        this(exitCode, message, null);
    }

    /** @param type the problem's {@code type} URN, when the gateway answered with one */
    Failure(int exitCode, String message, String type) {
        super(message, null, false, false);
        this.exitCode = exitCode;
        this.type = type;
    }

    boolean is(String problemType) {
        return problemType.equals(type);
    }

    static Failure usage(String message) {
        return new Failure(USAGE, message);
    }

    int exitCode() {
        return exitCode;
    }
}
