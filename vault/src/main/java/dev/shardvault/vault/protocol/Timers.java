package dev.shardvault.vault.protocol;

import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The node's one timer thread, for deadlines of peer calls and of waits for their replies. A task scheduled
 * later than the earliest pending one does not wake the thread, and a cancelled task is removed at once, so a
 * deadline that is met costs no wake-up. (A virtual thread's timed park arms and cancels a timer in the
 * scheduler for every park, each waking its timer thread; waits built on this do one untimed park.)
 */
public final class Timers {

    private static final ScheduledThreadPoolExecutor SCHEDULER = create();

    private Timers() {
    }

    public static ScheduledThreadPoolExecutor scheduler() {
        return SCHEDULER;
    }

    private static ScheduledThreadPoolExecutor create() {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "vault-timers");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }
}
