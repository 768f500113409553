package io.rewind.archiver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.rewind.archive.storage.Storage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongToDoubleFunction;

/** What the archiver counts, as Prometheus sees it ({@code rewind_archiver_*}). */
public final class ArchiverMetrics {
    private final MeterRegistry registry;
    public final Counter pointsRead;
    public final Counter pointsArchived;
    public final Counter partsWritten;
    public final Counter segmentsWritten;
    public final Counter filesDeleted;
    public final Counter bytesWritten;
    public final Counter gapsKept;
    public final Counter latePoints;
    public final Counter futurePoints;
    public final Timer flushLatency;
    public final Timer compactionLatency;
    /** From the time the tap received a point to the time its part was durable. */
    public final DistributionSummary durableDelay;
    public final AtomicLong bufferBytes = new AtomicLong();
    public final AtomicLong compactionBacklog = new AtomicLong();
    /** Wall-clock time of the last storage write that succeeded, and of the last that failed for good. */
    public final AtomicLong lastStorageSuccessMs = new AtomicLong();
    public final AtomicLong lastStorageFailureMs = new AtomicLong();
    /** The gauges registered on first use (per topic and partition), by name and tags. */
    private final Map<List<Object>, AtomicLong> lazyGauges = new ConcurrentHashMap<>();

    public ArchiverMetrics(MeterRegistry registry) {
        this.registry = registry;
        pointsRead = Counter.builder("rewind.archiver.points.read").description("Points read from the points topic").register(registry);
        pointsArchived = Counter.builder("rewind.archiver.points.archived").description("Points written durably in parts").register(registry);
        partsWritten = Counter.builder("rewind.archiver.parts.written").register(registry);
        segmentsWritten = Counter.builder("rewind.archiver.segments.written").register(registry);
        filesDeleted = Counter.builder("rewind.archiver.files.deleted").description("Superseded parts and segments, and files past retention").register(registry);
        gapsKept = Counter.builder("rewind.archiver.gaps.kept")
                .description("Gaps from the gaps topic written into the archive: points a tap let through without backup, for rewind heal")
                .register(registry);
        bytesWritten = Counter.builder("rewind.archiver.bytes.written").baseUnit("bytes").register(registry);
        latePoints = Counter.builder("rewind.archiver.points.out.of.bounds").tag("direction", "late")
                .description("Points whose event time is more than late.bound.ms before their ingest time (archived all the same)").register(registry);
        futurePoints = Counter.builder("rewind.archiver.points.out.of.bounds").tag("direction", "future")
                .description("Points whose event time is more than future.bound.ms after their ingest time (archived all the same)").register(registry);
        flushLatency = Timer.builder("rewind.archiver.flush.latency").description("Writing one task's parts at a commit")
                .publishPercentileHistogram().register(registry);
        compactionLatency = Timer.builder("rewind.archiver.compaction.latency").register(registry);
        durableDelay = DistributionSummary.builder("rewind.archiver.durable.delay").baseUnit("seconds")
                .description("From the tap receiving a point to its part being durable")
                .serviceLevelObjectives(1, 2, 5, 10, 15, 20, 30, 35, 45, 60, 120, 300, 900, 3600).register(registry);
        Gauge.builder("rewind.archiver.buffer.bytes", bufferBytes, AtomicLong::get).description("Estimated heap held by buffered points").register(registry);
        Gauge.builder("rewind.archiver.compaction.backlog", compactionBacklog, AtomicLong::get)
                .description("Windows with parts waiting to be compacted").register(registry);
        for (String kind : ERROR_KINDS) { // at zero from the start, so that an alert on increase() sees the first error
            Counter.builder("rewind.archiver.errors").tag("kind", kind).register(registry);
        }
    }

    /** The kinds of errors the archiver counts. */
    static final List<String> ERROR_KINDS = List.of("storage", "decode", "compaction", "deletion", "retention",
            "stream-thread", "corrupt-file", "gap", "monitor");

    /** Counts an error by kind: storage, decode, compaction, deletion, retention, stream-thread, corrupt-file, gap, monitor. */
    public void error(String kind) {
        Counter.builder("rewind.archiver.errors").tag("kind", kind).register(registry).increment();
    }

    /**
     * The receipt time (when the tap received it) of the newest point of a partition now durably in storage: the archive's
     * recovery point, which an alert compares with the clock and with the topic's newest record.
     */
    public void durableUpTo(String topic, int partition, long receivedMs) {
        millisGauge("rewind.archiver.last.durable.receipt.timestamp", "When the tap received the newest point of the partition"
                + " durably archived (epoch seconds)", Tags.of("topic", topic, "partition", Integer.toString(partition)), ms -> ms / 1000.0)
                .accumulateAndGet(receivedMs, Math::max);
    }

    /**
     * A gauge in seconds holding a value in milliseconds, registered on its first use; {@code seconds} turns the value held
     * (milliseconds, e.g. a time) into what is exported (seconds, e.g. that time or an age). Returns the value held.
     */
    public AtomicLong millisGauge(String name, String description, Tags tags, LongToDoubleFunction seconds) {
        return lazyGauges.computeIfAbsent(List.of(name, tags), key -> {
            AtomicLong held = new AtomicLong();
            Gauge.builder(name, held, h -> seconds.applyAsDouble(h.get())).baseUnit("seconds").description(description).tags(tags)
                    .register(registry);
            return held;
        });
    }

    public void storageSucceeded() {
        lastStorageSuccessMs.set(System.currentTimeMillis());
    }

    /** Storage still fails after every retry (each failed attempt is already counted as a storage error). */
    public void storageFailed() {
        lastStorageFailureMs.set(System.currentTimeMillis());
    }

    public MeterRegistry registry() {
        return registry;
    }
}
