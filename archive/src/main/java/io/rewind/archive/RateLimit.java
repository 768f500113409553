package io.rewind.archive;


/**
 * A limit in units per second over every thread that shares it (a token bucket that starts empty and holds
 * at most a tenth of a second of units while idle): {@code n} units taken through it take at least
 * {@code n / rate} seconds, less that tenth. It spares a live cluster the full speed of a baseline or a restore.
 */
public final class RateLimit {
    private static final RateLimit NONE = new RateLimit(0, Ticker.SYSTEM);
    private final double perSecond;
    private final double burst;
    private final Ticker ticker;
    private double available;
    private long lastNanos;

    private RateLimit(double perSecond, Ticker ticker) {
        this.perSecond = perSecond;
        this.burst = perSecond / 10;
        this.ticker = ticker;
        this.lastNanos = ticker.nanos();
    }

    /** A limit of {@code perSecond} units per second; none when it is 0. */
    public static RateLimit of(double perSecond) {
        return of(perSecond, Ticker.SYSTEM);
    }

    /** A limit measured and waited out with this ticker. */
    public static RateLimit of(double perSecond, Ticker ticker) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("a rate limit is positive, or 0 for none: " + perSecond);
        }
        return perSecond == 0 ? NONE : new RateLimit(perSecond, ticker);
    }

    public boolean limited() {
        return perSecond > 0;
    }

    public double perSecond() {
        return perSecond;
    }

    /** Takes {@code n} units, waiting as long as the limit asks. */
    public void acquire(long n) throws InterruptedException {
        if (perSecond == 0 || n <= 0) {
            return;
        }
        long waitNanos;
        synchronized (this) {
            long now = ticker.nanos();
            available = Math.min(burst, available + (now - lastNanos) * perSecond / 1e9);
            lastNanos = now;
            available -= n;
            waitNanos = available >= 0 ? 0 : (long) (-available / perSecond * 1e9);
        }
        if (waitNanos > 0) {
            ticker.sleep(waitNanos);
        }
    }
}
