package io.rewind.restore;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** The pause between attempts at one write: exponential, with jitter, from a minimum up to a maximum. */
final class Backoff {
    private final long maxMs;
    private long delayMs;

    Backoff(Duration min, Duration max) {
        this.delayMs = min.toMillis();
        this.maxMs = max.toMillis();
    }

    /** The current delay, before jitter. */
    long delayMs() {
        return delayMs;
    }

    /** Sleeps for half to all of the current delay, then doubles it up to the maximum. */
    void pause() throws InterruptedException {
        Thread.sleep(delayMs / 2 + ThreadLocalRandom.current().nextLong(delayMs / 2 + 1));
        delayMs = Math.min(delayMs * 2, maxMs);
    }
}
