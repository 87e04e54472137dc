package dev.shardvault.log;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child process for {@link CrashRecoveryTest}: appends numbered records from many threads as fast as it
 * can and prints "ack ID" for each one only after its append completed (is durable). Runs until killed.
 */
public final class CrashingAppender {

    private CrashingAppender() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long firstId = Long.parseLong(args[1]);
        int threads = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(System.out, false);
        AtomicLong nextId = new AtomicLong(firstId);
        try (RecordLog log = RecordLog.open(dir, CrashRecoveryTest.OPTIONS, r -> { });
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            out.println("ready");
            out.flush();
            for (int t = 0; t < threads; t++) {
                pool.submit(() -> {
                    while (true) {
                        long id = nextId.getAndIncrement();
                        log.appendDurably(CrashRecoveryTest.recordFor(id));
                        synchronized (out) {
                            out.println("ack " + id);
                            out.flush();
                        }
                    }
                });
            }
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
