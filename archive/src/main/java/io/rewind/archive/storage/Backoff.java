package io.rewind.archive.storage;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The pause between attempts at one write, to archive storage or to a TSD: exponential, with jitter, from a minimum up
 * to a maximum. The archiver's storage retries and the restorer's writes share it.
 */
public final class Backoff {
    private final long maxMs;
    private long delayMs;

    public Backoff(Duration min, Duration max) {
        this.delayMs = min.toMillis();
        this.maxMs = max.toMillis();
    }

    /** The current delay, before jitter. */
    public long delayMs() {
        return delayMs;
    }

    /** Sleeps for half to all of the current delay, then doubles it up to the maximum. */
    public void pause() throws InterruptedException {
        Thread.sleep(delayMs / 2 + ThreadLocalRandom.current().nextLong(delayMs / 2 + 1));
        delayMs = Math.min(delayMs * 2, maxMs);
    }
}
