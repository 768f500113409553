package io.rewind.archiver;

import io.rewind.archive.storage.Storage;
import io.rewind.archiver.compaction.Compactor;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.archiver.storage.ArchiveWriter;
import io.rewind.schema.Point;
import io.rewind.schema.wire.WireFormat;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What the tasks of one archiver instance share: config, storage, writers, the compaction threads, metrics, the buffer total. */
public final class ArchiverResources implements AutoCloseable {
    private final ArchiverConfig config;
    private final Storage storage;
    private final ArchiveWriter writer;
    private final Compactor compactor;
    private final Executor compactionPool;
    private final ArchiverMetrics metrics;
    private final WireFormat<Point> pointFormat;
    private final AtomicLong bufferBytes;
    /** Per task (by partition): windows waiting for compaction, for the backlog gauge. */
    private final Map<Integer, Integer> backlog = new ConcurrentHashMap<>();

    public ArchiverResources(ArchiverConfig config, Storage storage, ArchiverMetrics metrics, WireFormat<Point> pointFormat) throws IOException {
        this(config, storage, metrics, pointFormat, compactionThreads(config.compactionThreads()));
    }

    /** With the executor that runs compactions: tests run them on the calling thread. */
    public ArchiverResources(ArchiverConfig config, Storage storage, ArchiverMetrics metrics, WireFormat<Point> pointFormat,
            Executor compactionPool) throws IOException {
        this.config = config;
        this.storage = storage;
        this.metrics = metrics;
        this.pointFormat = pointFormat;
        this.bufferBytes = metrics.bufferBytes;
        this.writer = new ArchiveWriter(storage, config.stateDir().resolve("scratch"), config.storageRetryTimeoutMs(), metrics);
        this.compactor = new Compactor(writer, config.topic(), config.windowSizeMs(), metrics);
        this.compactionPool = compactionPool;
    }

    private static ExecutorService compactionThreads(int count) {
        AtomicInteger threads = new AtomicInteger();
        return Executors.newFixedThreadPool(count, r -> {
            Thread t = new Thread(r, "rewind-compaction-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public Storage storage() {
        return storage;
    }

    public ArchiverConfig config() {
        return config;
    }

    public ArchiveWriter writer() {
        return writer;
    }

    public Compactor compactor() {
        return compactor;
    }

    public Executor compactionPool() {
        return compactionPool;
    }

    public ArchiverMetrics metrics() {
        return metrics;
    }

    public WireFormat<Point> pointFormat() {
        return pointFormat;
    }

    public AtomicLong bufferBytes() {
        return bufferBytes;
    }

    void backlog(int partition, int windows) {
        backlog.put(partition, windows);
        metrics.compactionBacklog.set(backlog.values().stream().mapToLong(Integer::longValue).sum());
    }

    @Override
    public void close() throws InterruptedException {
        if (compactionPool instanceof ExecutorService pool) {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }
}
