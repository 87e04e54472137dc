package dev.shardvault.gateway.history;

import java.nio.file.Path;

/**
 * {@code scripts/check-history.sh FILE...}: one line per Jepsen register history, {@code FILE linearizable} or
 * {@code FILE not-linearizable} (with the checker's report on stderr). Exits 0 whatever the verdicts, 2 when a
 * file cannot be read or parsed (after checking the others).
 */
public final class CheckHistory {

    private CheckHistory() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: scripts/check-history.sh FILE...");
            System.exit(2);
        }
        int status = 0;
        for (String file : args) {
            try {
                Checker.Result result = Checker.check(new Register(), JepsenLog.read(Path.of(file)));
                System.out.println(file + (result.linearizable() ? " linearizable" : " not-linearizable"));
                if (!result.linearizable()) {
                    System.err.print(file + ": " + result.report());
                }
            } catch (JepsenLog.ParseException e) {
                System.err.println("check-history: " + e.getMessage());
                status = 2;
            } catch (java.io.IOException e) {
                System.err.println("check-history: cannot read " + file + ": " + e.getMessage());
                status = 2;
            }
        }
        System.exit(status);
    }
}
