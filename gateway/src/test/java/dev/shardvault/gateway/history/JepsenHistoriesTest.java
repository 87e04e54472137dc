package dev.shardvault.gateway.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.shardvault.tls.TestTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The checker against data nobody here wrote: the 52 histories Jepsen recorded against etcd, with the verdicts
 * Knossos and Porcupine give them (docs/testing.md). Every verdict must come out the same.
 */
class JepsenHistoriesTest {

    /** The histories, kept in this repository (src/test/resources/jepsen-etcd, with their README). */
    static Path histories() {
        return TestTls.repositoryRoot().resolve("gateway/src/test/resources/jepsen-etcd");
    }

    @Test
    void everyRecordedEtcdHistoryGetsItsKnownVerdict() throws Exception {
        Path dir = histories();
        Map<String, Boolean> verdicts = new TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("VERDICTS"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] fields = line.trim().split("\\s+");
                verdicts.put(fields[0], Boolean.parseBoolean(fields[1]));
            }
        }
        assertEquals(52, verdicts.size(), "VERDICTS lists 52 histories");
        List<String> wrong = new ArrayList<>();
        long slowest = 0;
        long total = 0;
        int linearizable = 0;
        for (Map.Entry<String, Boolean> verdict : verdicts.entrySet()) {
            var history = JepsenLog.read(dir.resolve(verdict.getKey()));
            long started = System.nanoTime();
            Checker.Result result = Checker.check(new Register(), history);
            long took = System.nanoTime() - started;
            slowest = Math.max(slowest, took);
            total += took;
            linearizable += result.linearizable() ? 1 : 0;
            if (result.linearizable() != verdict.getValue()) {
                wrong.add(verdict.getKey() + ": expected " + verdict.getValue() + ", got " + result.linearizable());
            }
            System.out.printf("%s %s %d ops %.2f ms%n", verdict.getKey(), result.linearizable(), history.size(), took / 1e6);
        }
        System.out.printf("checker: %d histories, %d linearizable, %.2f ms mean, %.2f ms slowest%n", verdicts.size(), linearizable,
                          total / 1e6 / verdicts.size(), slowest / 1e6);
        assertEquals(List.of(), wrong);
        assertEquals(12, linearizable);
    }

    @Test
    void aViolationReportNamesTheOperationThatCannotBePlaced() throws Exception {
        // write(1) completes, then a read that starts after it sees nothing: no order explains it.
        var history = JepsenLog.parse(List.of(
                "INFO  jepsen.util - 0\t:invoke\t:write\t1",
                "INFO  jepsen.util - 0\t:ok\t:write\t1",
                "INFO  jepsen.util - 1\t:invoke\t:read\tnil",
                "INFO  jepsen.util - 1\t:ok\t:read\tnil"), "stale-read");
        Checker.Result result = Checker.check(new Register(), history);
        assertFalse(result.linearizable());
        assertEquals(true, result.report().contains("#1 process 1 [2, 3] read -> null"), result.report());
    }
}
