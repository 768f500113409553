package io.rewind.tap.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The spool's time to full: from its fill rate over the last minute, +Inf while it is not filling. */
class SpoolFillTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theTimeToFullFollowsTheRateOfTheLastMinuteAndIsInfiniteWhileTheSpoolDrains() {
        AtomicLong pending = new AtomicLong(0);
        TapMetrics.SpoolFill fill = new TapMetrics.SpoolFill(100_000_000, pending::get);
        long t0 = System.nanoTime(); // at or after its first reading
        assertThat(fill.secondsToFull(t0)).as("no rate yet").isInfinite();
        pending.set(30_000_000);
        assertThat(fill.secondsToFull(t0 + 30 * SECOND)).as("less than a minute: no rate yet").isInfinite();
        pending.set(60_000_000);
        // 60 MB in 60 s: 1 MB/s, 40 MB of room left.
        assertThat(fill.secondsToFull(t0 + 60 * SECOND)).isCloseTo(40, within(0.01));
        assertThat(fill.secondsToFull(t0 + 90 * SECOND)).as("the rate holds until the next minute").isCloseTo(40, within(0.01));
        pending.set(10_000_000);
        assertThat(fill.secondsToFull(t0 + 120 * SECOND)).as("draining").isInfinite();
    }
}
