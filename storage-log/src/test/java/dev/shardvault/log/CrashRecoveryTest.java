package dev.shardvault.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real child JVM appends; we SIGKILL it at a random moment; every acknowledged record must survive. */
class CrashRecoveryTest {

    static final LogOptions OPTIONS = LogOptions.defaults()
            .withMaxRecordBytes(4096)
            .withSegmentBytes(256 << 10)
            .withMaxBatchBytes(16 << 10)
            .withPreallocate(true);

    private static final int ROUNDS = 6;

    @TempDir
    Path dir;

    static LogRecord recordFor(long id) {
        return Logs.numbered(id, 16 + (int) (id * 7919 % 1500));
    }

    @Test
    void everyAcknowledgedAppendSurvivesSigkill() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < ROUNDS; round++) {
            long firstId = round * 1_000_000_000L;
            Process child = start(firstId);
            CountDownLatch ready = new CountDownLatch(1);
            int[] acksThisRound = {0};
            Thread reader = Thread.ofPlatform().start(() -> readAcks(child, ready, acknowledged, acksThisRound));
            assertTrue(ready.await(30, TimeUnit.SECONDS), "child did not start (seed " + seed + ")");
            Thread.sleep(50 + random.nextInt(400));
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close()
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join();
            assertTrue(acksThisRound[0] > 0, "child acknowledged nothing in round " + round + " (seed " + seed + ")");

            Map<Long, LogRecord> stored = new HashMap<>();
            ReplayReport report;
            try (RecordLog log = RecordLog.open(dir, OPTIONS, r -> stored.put(Logs.idOf(r), r))) {
                report = log.replayReport();
            }
            System.out.printf("round %d: %d acknowledged in total, %d replayed, %s%n", round, acknowledged.size(),
                              stored.size(), report.tornTail().map(t -> "torn tail cut: " + t.reason()).orElse("clean tail"));
            for (long id : acknowledged) {
                assertEquals(recordFor(id), stored.get(id), "acknowledged record " + id + " lost or damaged in round "
                                                            + round + " (seed " + seed + ", " + report + ")");
            }
        }
    }

    private Process start(long firstId) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        String classpath = codeSource(CrashingAppender.class) + File.pathSeparator + codeSource(RecordLog.class);
        return new ProcessBuilder(java, "-Xmx128m", "-cp", classpath, CrashingAppender.class.getName(),
                                  dir.toString(), Long.toString(firstId), "16")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void readAcks(Process child, CountDownLatch ready, Set<Long> acknowledged, int[] count) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.equals("ready")) {
                    ready.countDown();
                } else if (line.startsWith("ack ")) {
                    acknowledged.add(Long.parseLong(line.substring(4)));
                    count[0]++;
                }
            }
        } catch (IOException e) {
            // the child died mid-line: everything before it was read
        }
    }
}
