package io.rewind.archiver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.rewind.archive.storage.Storage;
import java.util.concurrent.atomic.AtomicLong;

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
    static final java.util.List<String> ERROR_KINDS = java.util.List.of("storage", "decode", "compaction", "deletion", "retention",
            "stream-thread", "corrupt-file", "gap");

    /** Counts an error by kind: storage, decode, compaction, deletion, retention, stream-thread, corrupt-file, gap. */
    public void error(String kind) {
        Counter.builder("rewind.archiver.errors").tag("kind", kind).register(registry).increment();
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
