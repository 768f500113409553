package io.rewind.archive.storage;

import io.rewind.archive.Ticker;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The pause between attempts at one write, to archive storage or to a TSD: exponential, with jitter, from a minimum up
 * to a maximum. The archiver's storage retries and the restorer's writes share it.
 */
public final class Backoff {
    private final long maxMs;
    private final Ticker ticker;
    private long delayMs;

    public Backoff(Duration min, Duration max) {
        this(min, max, Ticker.SYSTEM);
    }

    /** A backoff that pauses with this ticker. */
    public Backoff(Duration min, Duration max, Ticker ticker) {
        this.delayMs = min.toMillis();
        this.maxMs = max.toMillis();
        this.ticker = ticker;
    }

    /** The current delay, before jitter. */
    public long delayMs() {
        return delayMs;
    }

    /** Sleeps for half to all of the current delay, then doubles it up to the maximum. */
    public void pause() throws InterruptedException {
        ticker.sleep(TimeUnit.MILLISECONDS.toNanos(delayMs / 2 + ThreadLocalRandom.current().nextLong(delayMs / 2 + 1)));
        delayMs = Math.min(delayMs * 2, maxMs);
    }
}
