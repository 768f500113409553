package io.rewind.cli;

/** What {@code --every} runs: a task again and again, each run starting one interval after the last one started. */
final class Schedule {
    private Schedule() {
    }

    /** One run; it reports its own failures, which do not stop the schedule. */
    interface Run {
        void run() throws InterruptedException;
    }

    /** Runs until the thread is interrupted (the process is stopped). */
    static void every(long intervalMs, Run run) throws InterruptedException {
        if (intervalMs < 1000) {
            throw new IllegalArgumentException("--every is at least 1s: " + intervalMs + " ms");
        }
        while (!Thread.currentThread().isInterrupted()) {
            long started = System.currentTimeMillis();
            run.run();
            Thread.sleep(Math.max(0, started + intervalMs - System.currentTimeMillis())); // the schedule between runs
        }
    }
}
