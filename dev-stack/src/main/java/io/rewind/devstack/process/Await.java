package io.rewind.devstack.process;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waiting for a condition with a deadline, polling; the one way the dev stack waits for anything. */
public final class Await {
    private Await() {
    }

    /**
     * Polls the condition every 100 ms until it holds, the deadline passes, or {@code alive} throws
     * (a server that died while being waited for). The condition may throw: that counts as not yet.
     */
    public static void until(String what, Duration timeout, Runnable alive, Callable<Boolean> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            alive.run();
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + (last == null ? "" : "; last error: " + last), last);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + what, e);
            }
        }
    }
}
