package io.rewind.tap.delivery;

import io.rewind.service.RateLimitedLog;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.spool.Spool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Points Kafka refuses for good (larger than it accepts): kept in {@code <spool.dir>/dead-letters}, in the spool's own
 * record format (fsync'ed, checksummed), counted in {@code rewind_tap_points_dead_lettered_total} and logged, so that
 * one such point never holds up the points behind it, and is never silently gone. It went to OpenTSDB: its metric and hour
 * are a gap, which {@code rewind heal} takes from HBase into the archive.
 */
final class DeadLetters implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    static final String DIRECTORY = "dead-letters";

    private final Spool file;
    private final TapMetrics metrics;
    private final GapRecorder gaps;
    private final RateLimitedLog log = new RateLimitedLog(LOG, Duration.ofSeconds(10));

    private DeadLetters(Spool file, TapMetrics metrics, GapRecorder gaps) {
        this.file = file;
        this.metrics = metrics;
        this.gaps = gaps;
    }

    static DeadLetters open(Path spoolDir, TapMetrics metrics, GapRecorder gaps) {
        try {
            return new DeadLetters(Spool.open(spoolDir.resolve(DIRECTORY), Long.MAX_VALUE, 64L << 20), metrics, gaps);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the dead-letter file in " + spoolDir.resolve(DIRECTORY) + ": " + e.getMessage(), e);
        }
    }

    /** Keeps the record aside; completes once it is fsync'ed. */
    CompletableFuture<Void> add(PointRecord record, Throwable refusal) {
        metrics.deadLettered(1);
        gaps.missed(List.of(record), "refused-by-kafka");
        log.error("Kafka refuses a point for good ({}): it is kept in {} and NOT archived. See rewind_tap_points_dead_lettered_total.",
                refusal.getMessage(), file.dir());
        return file.append(List.of(record));
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
