package io.rewind.service;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** A warning or error logged at most once per interval, with how many were left out since the last one. */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    public void warn(String format, Object... args) {
        String due = due(format);
        if (due != null) {
            log.warn(due, args);
        }
    }

    public void error(String format, Object... args) {
        String due = due(format);
        if (due != null) {
            log.error(due, args);
        }
    }

    /** The format to log now, with the count of those left out, or null while the interval has not passed. */
    private String due(String format) {
        long now = System.nanoTime();
        long due = next.get();
        if ((due == Long.MIN_VALUE || now - due >= 0) && next.compareAndSet(due, now + intervalNanos)) {
            long left = suppressed.getAndSet(0);
            return left > 0 ? format + " (and " + left + " more like it since the last one)" : format;
        }
        suppressed.incrementAndGet();
        return null;
    }
}
