package io.rewind.archiver;

import io.micrometer.core.instrument.Gauge;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.archive.storage.Storage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.service.RateLimitedLog;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The archive's open gaps on {@code /metrics}: hours holding points the taps let through without backup and that no heal has
 * closed yet ({@code rewind_archiver_gaps_open_hours}, {@code rewind_archiver_gaps_open_points}), read from the archive every
 * minute, so that an alert stays on until {@code rewind heal} has run. A failed reading is counted as a monitor error and keeps
 * the last values; archiving never waits for it.
 */
final class GapWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GapWatch.class);
    private static final Duration INTERVAL = Duration.ofMinutes(1);

    private final Storage storage;
    private final String topic;
    private final ArchiverMetrics metrics;
    private final AtomicLong openHours = new AtomicLong();
    private final AtomicLong openPoints = new AtomicLong();
    private final RateLimitedLog failures = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rewind-gap-watch");
        t.setDaemon(true);
        return t;
    });

    private GapWatch(Storage storage, String topic, ArchiverMetrics metrics) {
        this.storage = storage;
        this.topic = topic;
        this.metrics = metrics;
        Gauge.builder("rewind.archiver.gaps.open.hours", openHours, AtomicLong::get).tag("topic", topic)
                .description("Hours of the archive with gaps no heal has closed: points the taps let through without backup (rewind heal)")
                .register(metrics.registry());
        Gauge.builder("rewind.archiver.gaps.open.points", openPoints, AtomicLong::get).tag("topic", topic)
                .description("Points in the archive's open gaps").register(metrics.registry());
    }

    static GapWatch start(Storage storage, String topic, ArchiverMetrics metrics) {
        GapWatch watch = new GapWatch(storage, topic, metrics);
        watch.thread.scheduleWithFixedDelay(watch::read, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return watch;
    }

    /** One reading of the archive's gaps into the gauges. */
    void read() {
        try {
            List<GapLedger.Hour> open = GapLedger.read(storage, topic).open();
            openHours.set(open.size());
            openPoints.set(open.stream().mapToLong(GapLedger.Hour::openPoints).sum());
        } catch (Exception e) {
            metrics.error("monitor");
            failures.warn("Could not read the archive's gaps ({}); the gauges keep their last values", e.toString());
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
