package io.rewind.archiver;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archiver.buffer.PartBuffer;
import io.rewind.archiver.compaction.Compactor;
import io.rewind.archiver.compaction.WindowState;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.archiver.storage.TaskStorage;
import io.rewind.archiver.streams.CommitForwarder;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.FileKind;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.WireFormatException;
import io.rewind.service.RateLimitedLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The archiver's one processor, one instance per task (input partition):
 * <ul>
 *   <li>buffers every point per (window, series) in the task's {@link PartBuffer}, and writes the buffer
 *       as one part per window when Kafka Streams commits (before the offsets), sending each part's
 *       catalog record in the same transaction (guarantee 2);</li>
 *   <li>keeps, per window, what is left to do ({@link WindowState}), and when a window is closed
 *       compacts it off the stream thread ({@link Compactor}); a point for an already compacted
 *       window makes a new part and a new compaction, never a drop (guarantee 3);</li>
 *   <li>deletes superseded files after the configured delay, and windows past retention.</li>
 * </ul>
 */
public final class ArchiveProcessor implements Processor<byte[], byte[], String, CatalogRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveProcessor.class);
    private static final Duration REVOKE_WAIT = Duration.ofSeconds(30);
    private final ArchiverResources resources;
    private final ArchiverConfig config;
    private final ArchiverMetrics metrics;
    /** Storage work finished off the stream thread, applied on it at the next punctuation. */
    private final ConcurrentLinkedQueue<Consumer<Long>> finished = new ConcurrentLinkedQueue<>();
    private final Map<Long, WindowState> windows = new TreeMap<>();
    private final Set<Long> inFlight = new HashSet<>();
    /** Windows that got points after their running compaction listed the storage. */
    private final Set<Long> newPartsDuringJob = new HashSet<>();
    private final Map<Long, Long> retryAtMs = new HashMap<>();
    /** The storage as this task's storage jobs see it: revoked when the task closes, so that they write nothing more. */
    private TaskStorage taskStorage;
    private Compactor compactor;
    private ProcessorContext<String, CatalogRecord> context;
    private CommitForwarder<String, CatalogRecord> forwarder;
    private PartBuffer buffer;
    private KeyValueStore<Long, String> windowStore;
    private int partition;
    private long streamTimeMs = Long.MIN_VALUE;
    private long lastRecordWallMs;
    private long lastRetentionMs;
    private long decodeErrors;
    private final RateLimitedLog decodeLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private volatile boolean closed;

    public ArchiveProcessor(ArchiverResources resources) {
        this.resources = resources;
        this.config = resources.config();
        this.metrics = resources.metrics();
    }

    @Override
    public void init(ProcessorContext<String, CatalogRecord> context) {
        this.context = context;
        this.forwarder = new CommitForwarder<>(context);
        this.partition = context.taskId().partition();
        this.buffer = context.getStateStore(ArchiverTopology.PART_BUFFER);
        this.windowStore = context.getStateStore(ArchiverTopology.WINDOWS);
        this.taskStorage = new TaskStorage(resources.writer().storage());
        this.compactor = resources.compactor().on(taskStorage);
        buffer.onCommit(this::writeParts);
        try (KeyValueIterator<Long, String> all = windowStore.all()) {
            all.forEachRemaining(entry -> windows.put(entry.key, WindowState.decode(entry.value)));
        }
        context.schedule(Duration.ofMillis(config.compactionCheckMs()), PunctuationType.WALL_CLOCK_TIME, this::housekeeping);
        resources.backlog(partition, pendingCompactions());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Point point;
        try {
            point = resources.pointFormat().decode(record.value());
        } catch (WireFormatException | NullPointerException e) {
            undecodable(e);
            return;
        }
        metrics.pointsRead.increment();
        long ingest = record.timestamp();
        long offset = context.recordMetadata().map(m -> m.offset()).orElse(-1L);
        long eventTime = point.getTimestampMs();
        if (eventTime < ingest - config.pastBoundMs()) {
            metrics.latePoints.increment();
        } else if (eventTime > ingest + config.futureBoundMs()) {
            metrics.futurePoints.increment();
        }
        long window = buffer.add(new SeriesId(SeriesKey.of(point), point.getKind(), point.getRollup()), point, ingest, offset);
        WindowState state = windows.get(window);
        if (state == null || !state.compact()) {
            setState(window, state == null ? WindowState.NEW_PARTS : state.withNewParts());
        }
        if (inFlight.contains(window)) {
            newPartsDuringJob.add(window);
        }
        streamTimeMs = Math.max(streamTimeMs, ingest);
        lastRecordWallMs = context.currentSystemTimeMs();
        if (resources.bufferBytes().get() > config.bufferMaxBytes()) {
            context.commit();
        }
    }

    /** The flush hook: runs while Kafka Streams prepares the commit, before the offsets are committed. */
    private void writeParts(PartBuffer.Content content) {
        long started = System.nanoTime();
        List<Record<String, CatalogRecord>> records = new ArrayList<>();
        try {
            for (var window : content.sorted().entrySet()) {
                long start = window.getKey();
                String key = ArchiveLayout.part(config.topic(), start, config.windowSizeMs(), partition, content.firstOffset(),
                        content.lastOffset());
                SegmentMetadata header = SegmentMetadata.of(FileKind.PART, config.topic(), partition, start, start + config.windowSizeMs(),
                        content.firstOffset(), content.lastOffset(), 0, List.of());
                CatalogRecord written = resources.writer().write(key, header,
                        window.getValue().values().stream().map(SeriesPoints::sorted).iterator());
                records.add(new Record<>(key, written, System.currentTimeMillis()));
                metrics.partsWritten.increment();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Writing the parts of partition " + partition + " (offsets " + content.firstOffset() + "-"
                    + content.lastOffset() + ") failed; the task restarts from its last commit and nothing is lost", e);
        }
        long durableMs = System.currentTimeMillis();
        long newestReceivedMs = Long.MIN_VALUE;
        for (var series : content.windows().values()) {
            for (var points : series.values()) {
                for (int i = 0; i < points.size(); i++) {
                    metrics.durableDelay.record(Math.max(0, durableMs - points.ingestTimeMs(i)) / 1000.0);
                    newestReceivedMs = Math.max(newestReceivedMs, points.ingestTimeMs(i));
                }
            }
        }
        if (newestReceivedMs != Long.MIN_VALUE) {
            metrics.durableUpTo(config.topic(), partition, newestReceivedMs);
        }
        metrics.pointsArchived.increment(content.points());
        metrics.flushLatency.record(Duration.ofNanos(System.nanoTime() - started));
        forwarder.forward(records);
    }

    /** On the stream thread, every compaction.check.interval.ms: applies finished jobs and starts the due ones. */
    private void housekeeping(long wallMs) {
        for (Consumer<Long> done; (done = finished.poll()) != null; ) {
            done.accept(wallMs);
        }
        boolean idle = wallMs - lastRecordWallMs >= config.commitIntervalMs();
        long clock = idle ? wallMs : streamTimeMs;
        for (var entry : windows.entrySet()) {
            long window = entry.getKey();
            WindowState state = entry.getValue();
            if (inFlight.contains(window) || retryAtMs.getOrDefault(window, 0L) > wallMs) {
                continue;
            }
            if (state.compact() && window + config.windowSizeMs() + config.graceMs() <= clock) {
                startCompaction(window);
            } else if (!state.toDelete().isEmpty() && state.deleteAtMs() <= wallMs) {
                startDeletion(window, state.toDelete());
            }
        }
        if (config.retentionMs() > 0 && wallMs - lastRetentionMs >= Math.min(3_600_000, config.retentionMs()) && !inFlight.contains(Long.MIN_VALUE)) {
            lastRetentionMs = wallMs;
            startRetention(wallMs - config.retentionMs());
        }
        resources.backlog(partition, pendingCompactions());
    }

    private void startCompaction(long window) {
        inFlight.add(window);
        newPartsDuringJob.remove(window);
        if (buffer.holds(window)) {
            newPartsDuringJob.add(window); // buffered points for it are not in storage yet
        }
        submit(window, "compaction", () -> {
            Optional<Compactor.Compacted> result = compactor.compact(window, partition);
            return wallMs -> {
                boolean newParts = newPartsDuringJob.remove(window);
                WindowState state = windows.getOrDefault(window, WindowState.NEW_PARTS);
                if (result.isEmpty()) {
                    setState(window, state.compacted(newParts, 0, List.of()));
                    return;
                }
                Compactor.Compacted compacted = result.get();
                context.forward(new Record<>(compacted.segment().getPath(), compacted.segment(), wallMs));
                setState(window, state.compacted(newParts, wallMs + config.deleteDelayMs(), compacted.superseded()));
            };
        });
    }

    private void startDeletion(long window, List<String> paths) {
        inFlight.add(window);
        submit(window, "deletion", () -> {
            List<String> deleted = compactor.deleteSuperseded(window, partition, paths);
            return wallMs -> {
                deleted.forEach(path -> context.forward(new Record<>(path, CatalogRecords.deleted(path, config.windowSizeMs()), wallMs)));
                // Paths the latest segment does not supersede are dropped from the list too: they stay, as live files.
                setState(window, windows.getOrDefault(window, WindowState.NEW_PARTS).deleted(paths));
            };
        });
    }

    private void startRetention(long cutoffMs) {
        inFlight.add(Long.MIN_VALUE);
        submit(Long.MIN_VALUE, "retention", () -> {
            List<String> deleted = compactor.deleteExpired(partition, cutoffMs);
            return wallMs -> {
                deleted.forEach(path -> context.forward(new Record<>(path, CatalogRecords.deleted(path, config.windowSizeMs()), wallMs)));
                new ArrayList<>(windows.keySet()).stream().filter(w -> w + config.windowSizeMs() <= cutoffMs)
                        .forEach(w -> setState(w, new WindowState(false, 0, List.of())));
            };
        });
    }

    /** A storage job whose result is applied on the stream thread. */
    @FunctionalInterface
    private interface Job {
        Consumer<Long> run() throws IOException;
    }

    private void submit(long window, String kind, Job job) {
        resources.compactionPool().execute(() -> {
            if (closed) {
                return;
            }
            Consumer<Long> apply;
            try {
                Consumer<Long> done = job.run();
                apply = wallMs -> {
                    inFlight.remove(window);
                    retryAtMs.remove(window);
                    done.accept(wallMs);
                };
            } catch (TaskStorage.Revoked e) {
                return; // the partition's new owner does this job again
            } catch (Exception e) {
                metrics.error(kind);
                LOG.error("The {} of window {} of partition {} failed; retrying in a minute: {}", kind, window, partition, e.toString(), e);
                apply = wallMs -> {
                    inFlight.remove(window);
                    retryAtMs.put(window, wallMs + 60_000);
                };
            }
            if (!closed) {
                finished.add(apply);
            }
        });
    }

    private void setState(long window, WindowState state) {
        if (state.done()) {
            windows.remove(window);
            windowStore.delete(window);
        } else {
            windows.put(window, state);
            windowStore.put(window, state.encode());
        }
    }

    private int pendingCompactions() {
        return (int) windows.values().stream().filter(WindowState::compact).count();
    }

    private void undecodable(Exception e) {
        decodeErrors++;
        metrics.error("decode");
        decodeLog.error("Partition {}: {} records so far are not points in the configured wire format and are skipped (counted as"
                + " rewind_archiver_errors_total with kind decode); latest at offset {}: {}", partition, decodeErrors,
                context.recordMetadata().map(m -> m.offset()).orElse(-1L), e.getMessage());
    }

    /**
     * The task is closed (revoked, or the archiver stops): its storage jobs stop at their next storage call, and this
     * waits for a call under way to finish, so that nothing of this task is written after it returns.
     */
    @Override
    public void close() {
        closed = true;
        try {
            if (taskStorage != null && !taskStorage.revoke(REVOKE_WAIT)) {
                LOG.warn("Partition {}: a storage call of a compaction was still under way {} s after its task closed", partition,
                        REVOKE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finished.clear();
        resources.backlog(partition, 0);
    }

    /** For tests: the windows this task still has work for. */
    Map<Long, WindowState> windows() {
        return windows;
    }

}
