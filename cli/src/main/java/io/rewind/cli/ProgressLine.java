package io.rewind.cli;

import io.rewind.restore.Restore;
import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * On a terminal, one line on standard error redrawn twice a second: points written, rate, ETA against
 * the plan's estimate. Nothing when the output is not a terminal: the verb prints its summary line.
 */
public final class ProgressLine implements AutoCloseable {
    private final Thread thread;
    private final PrintStream err = System.err;

    private ProgressLine(Thread thread) {
        this.thread = thread;
    }

    static ProgressLine start(long estimatedPoints, Restore.Counts progress, io.rewind.archive.RateLimit limit) {
        long started = System.nanoTime();
        String limited = limit.limited() ? String.format(" (limit %,.0f)", limit.perSecond()) : "";
        return start(() -> {
            long done = progress.sent.get() + progress.rejected.get() + progress.skipped.get();
            double seconds = (System.nanoTime() - started) / 1e9;
            double rate = (progress.sent.get() + progress.rejected.get()) / Math.max(seconds, 1e-3);
            long left = Math.max(0, estimatedPoints - done);
            return String.format("%,d / ~%,d points  %,.0f points/s%s  %,d rejected  ETA %s", done, estimatedPoints, rate, limited,
                    progress.rejected.get(), rate < 1 ? "--" : formatSeconds((long) (left / rate)));
        });
    }

    /** Redraws the line {@code status} gives twice a second, on a terminal only. */
    public static ProgressLine start(Supplier<String> status) {
        if (System.console() == null) {
            return new ProgressLine(null);
        }
        Thread t = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(500);
                    System.err.print("\r" + status.get() + "   ");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rewind-progress");
        t.setDaemon(true);
        t.start();
        return new ProgressLine(t);
    }

    /** A duration for a progress line: 1h05m, 3m07s. */
    public static String formatSeconds(long s) {
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
            err.print("\r\033[K");
            err.flush();
        }
    }
}
