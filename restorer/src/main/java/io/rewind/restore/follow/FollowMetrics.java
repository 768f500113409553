package io.rewind.restore.follow;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What {@code restore --follow} exports on its admin port: how far the target is behind the points topic, in records and
 * in seconds; points written and refused; records read, left out by the selection, undecodable, and lost to Kafka's
 * retention before they were read; writes retried; and the time from the tap's receipt of a point to the target's
 * acknowledgement.
 */
public final class FollowMetrics {
    private final PrometheusMeterRegistry registry;
    final Counter pointsWritten;
    final Counter pointsRejected;
    final AtomicLong retries = new AtomicLong();
    private final java.util.function.LongSupplier targetRetries;
    final Counter recordsRead;
    final Counter recordsSkipped;
    final Counter recordsUndecodable;
    final Counter recordsLost;
    final Timer delivery;
    final AtomicLong lagRecords = new AtomicLong();
    final AtomicLong lagMs = new AtomicLong();
    final AtomicLong buffered = new AtomicLong();
    final AtomicLong paused = new AtomicLong();
    final AtomicLong targetUp = new AtomicLong(1);
    final AtomicLong lastAckMs = new AtomicLong();
    final AtomicLong newestAckedReceiptMs = new AtomicLong();
    final AtomicLong partitions = new AtomicLong();
    final AtomicReference<String> lastError = new AtomicReference<>("");

    /** @param targetRetries the attempts the target itself repeated before giving a batch back to the follower */
    public FollowMetrics(PrometheusMeterRegistry registry, java.util.function.LongSupplier targetRetries) {
        this.registry = registry;
        this.targetRetries = targetRetries;
        pointsWritten = Counter.builder("rewind.follow.points.written").description("Points the target acknowledged").register(registry);
        pointsRejected = Counter.builder("rewind.follow.points.rejected")
                .description("Points the target refused (written to the reject file with its reason)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("rewind.follow.write.retries", this, FollowMetrics::retries)
                .description("Batches written again after the target did not take them (down, 5xx, timeouts)").register(registry);
        recordsRead = Counter.builder("rewind.follow.records.read").description("Records read from the points topic").register(registry);
        recordsSkipped = Counter.builder("rewind.follow.records.skipped")
                .description("Records outside the selection (metrics, tags, time range)").register(registry);
        recordsUndecodable = Counter.builder("rewind.follow.records.undecodable")
                .description("Records that are not points (the archiver skips them too)").register(registry);
        recordsLost = Counter.builder("rewind.follow.records.lost")
                .description("Records Kafka deleted before the follower read them: the target lacks their points").register(registry);
        delivery = Timer.builder("rewind.follow.delivery")
                .description("From the tap's receipt of a point to the target's acknowledgement, over the last minute")
                .publishPercentiles(0.5, 0.9, 0.99, 0.999).distributionStatisticExpiry(Duration.ofMinutes(1)).register(registry);
        Gauge.builder("rewind.follow.lag.records", lagRecords, AtomicLong::get)
                .description("Records of the topic the target does not hold yet (read or not)").register(registry);
        Gauge.builder("rewind.follow.lag", lagMs, v -> v.get() / 1000.0).baseUnit("seconds")
                .description("How long ago the tap received the oldest record the target does not hold yet; 0 when it holds them all")
                .register(registry);
        Gauge.builder("rewind.follow.partitions", partitions, AtomicLong::get)
                .description("Partitions of the topic the group gives this follower (its other followers hold the rest)").register(registry);
        Gauge.builder("rewind.follow.buffered.points", buffered, AtomicLong::get)
                .description("Points read and not yet acknowledged by the target").register(registry);
        Gauge.builder("rewind.follow.paused", paused, AtomicLong::get)
                .description("1 while the buffer is full and the follower has stopped fetching").register(registry);
        Gauge.builder("rewind.follow.target.up", targetUp, AtomicLong::get)
                .description("0 while the target does not take batches (they are retried), else 1").register(registry);
        Gauge.builder("rewind.follow.last.ack.timestamp", lastAckMs, v -> v.get() / 1000.0).baseUnit("seconds")
                .description("When the target last acknowledged a batch (epoch seconds)").register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public long pointsWritten() {
        return (long) pointsWritten.count();
    }

    public long pointsRejected() {
        return (long) pointsRejected.count();
    }

    public long lagRecords() {
        return lagRecords.get();
    }

    public double lagSeconds() {
        return lagMs.get() / 1000.0;
    }

    public long retries() {
        return retries.get() + targetRetries.getAsLong();
    }

    public long recordsLost() {
        return (long) recordsLost.count();
    }

    /** 1 while the target takes batches. */
    public boolean targetUp() {
        return targetUp.get() == 1;
    }

    /** Why the target last refused a batch. */
    public String lastError() {
        return lastError.get();
    }
}
