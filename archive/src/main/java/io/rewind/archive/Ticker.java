package io.rewind.archive;

import java.util.concurrent.TimeUnit;

/**
 * The time that pauses and limits are measured in, and the sleep that spends it: the system's, or a test's that moves only
 * when something sleeps, so that a retry's attempts or a limit's waits are counted exactly on any machine.
 */
public interface Ticker {
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public void sleep(long nanos) throws InterruptedException {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
    };

    /** Nanoseconds from an arbitrary origin, as {@link System#nanoTime()}. */
    long nanos();

    void sleep(long nanos) throws InterruptedException;
}
