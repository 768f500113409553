package io.rewind.baseline;

import io.rewind.archive.RateLimit;
import io.rewind.archive.Shard;
import io.rewind.archive.storage.Backoff;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.HBaseCluster;
import io.rewind.opentsdb.hbase.KeyRange;
import io.rewind.opentsdb.hbase.SnapshotFiles;
import io.rewind.opentsdb.hbase.UidTable;
import io.rewind.service.RejectFile;
import io.rewind.service.TimeArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a baseline shard: connected to the cluster, its state loaded from the archive and bound to what this run
 * asks; then the snapshot taken (or the given one, or the live table), cloned, the plan's key ranges read
 * {@code parallelism} at a time into baseline files, each range recorded in the shard's state once its files are
 * published, the clone dropped and the snapshot this run took deleted. A run stopped anywhere continues where the state
 * says.
 */
public final class BaselineRun implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BaselineRun.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /**
     * How to read: {@code givenSnapshot} null takes a snapshot, unless {@code live}; with {@code hbaseRoot} (HBase's root
     * directory) the snapshot's files are read there ({@link SnapshotFiles}), else a clone of it is scanned through the region
     * servers.
     */
    public record Settings(String name, Shard shard, boolean live, String givenSnapshot, int parallelism, RateLimit rate, Path rejects,
            int bufferPoints, int maxAttempts, Map<String, String> hbaseSettings, boolean skipUnknownMetrics, String hbaseRoot) {
        /** Read through the region servers. */
        public Settings(String name, Shard shard, boolean live, String givenSnapshot, int parallelism, RateLimit rate, Path rejects,
                int bufferPoints, int maxAttempts, Map<String, String> hbaseSettings, boolean skipUnknownMetrics) {
            this(name, shard, live, givenSnapshot, parallelism, rate, rejects, bufferPoints, maxAttempts, hbaseSettings, skipUnknownMetrics, null);
        }

        public Settings {
            if (hbaseRoot != null && live) {
                throw new IllegalArgumentException("reading the snapshot's files (--read=files) reads a snapshot: not with --live");
            }
        }
    }

    /** What the command line shows while the run goes on. */
    public interface Listener {
        /** A snapshot of the data table was taken for this run. */
        void snapshotTaken(String snapshot, String table);

        /** The ranges are planned; {@code source} names the snapshot or the live table. The returned handle closes when the reading ends. */
        AutoCloseable reading(String source, ReadPlan plan, KeyRangeReader.Counts counts, long startedNanos);
    }

    /** The run's figures once it completed. */
    public record Outcome(BaselineState state, double seconds, double prepareSeconds, double readSeconds, long pointsRead, long bytesRead,
            Path rejects) {
    }

    private final Settings settings;
    private final Storage storage;
    private final HBaseCluster cluster;
    private final UidTable uids;
    private final StorageLayout layout;
    private final BaselineState state;
    private final BaselineRequest request;

    private BaselineRun(Settings settings, Storage storage, HBaseCluster cluster, StorageLayout layout, BaselineState state,
            BaselineRequest request) {
        this.settings = settings;
        this.storage = storage;
        this.cluster = cluster;
        this.uids = new UidTable(cluster.connection(), layout.uidTable());
        this.layout = layout;
        this.state = state;
        this.request = request;
    }

    /**
     * Connects to the cluster and loads the shard's state, bound to the request (with the cluster's id).
     *
     * @throws IllegalArgumentException when the state was made by a request that differs, naming how
     */
    public static BaselineRun open(Settings settings, Storage storage, String topic, StorageLayout layout, BaselineRequest asked)
            throws IOException {
        BaselineState state = BaselineState.loadOrFresh(storage, topic, settings.name(), settings.shard());
        HBaseCluster cluster = HBaseCluster.connect(layout, settings.hbaseSettings());
        try {
            BaselineRequest request = state.bind(asked.onCluster(cluster.clusterId()));
            return new BaselineRun(settings, storage, cluster, layout, state, request);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The shard's state: complete when an earlier run finished it. */
    public BaselineState state() {
        return state;
    }

    /** What this run would read, reading nothing (the regions of the live table). */
    public ReadPlan plan() throws IOException {
        List<KeyRange> wanted = wanted(); // first: a metric the cluster lacks is refused before HBase is asked for regions
        return ReadPlan.of(cluster.regions(layout.dataTable()), wanted, state.done());
    }

    /** The shard's part of the keys the request wants; every shard's wanted keys kept in the state. */
    private List<KeyRange> wanted() throws IOException {
        List<KeyRange> every = ReadPlan.wanted(uids, layout, request, settings.skipUnknownMetrics());
        state.want(every);
        return ReadPlan.ofShard(layout, settings.shard(), every);
    }

    /** Closes the UID table and the connection. */
    @Override
    public void close() throws IOException {
        try {
            uids.close();
        } finally {
            cluster.close();
        }
    }

    /** Reads the ranges of the shard that the state does not have as done; returns once every one is. */
    public Outcome run(Listener listener) throws Exception {
        List<KeyRange> wanted = wanted();
        long fromMs = request.fromMs();
        long toMs = request.toMs();
        long started = System.nanoTime();
        String snapshot = null;
        String clone = null;
        boolean ownSnapshot = false;
        String name = settings.name();
        Shard shard = settings.shard();
        if (state.startedMs == 0) {
            state.startedMs = System.currentTimeMillis();
        }
        state.cluster = layout.zkQuorum() + layout.zkBaseDir();
        state.table = layout.dataTable();
        if (!settings.live()) {
            String given = settings.givenSnapshot();
            snapshot = given != null ? given : state.snapshot;
            if (snapshot == null || !cluster.snapshotExists(snapshot)) {
                if (given != null) {
                    throw new IllegalArgumentException("--snapshot " + given + ": HBase has no such snapshot");
                }
                if (snapshot != null) {
                    log.warn("The snapshot {} of the earlier run is gone: taking a new one; the ranges done stay done", snapshot);
                }
                snapshot = "rewind-" + name + "-" + shard.index() + "of" + shard.count() + "-" + STAMP.format(Instant.now());
                cluster.snapshot(snapshot);
                listener.snapshotTaken(snapshot, layout.dataTable());
            }
            ownSnapshot = given == null;
            state.snapshot = snapshot;
            state.save(storage);
            if (settings.hbaseRoot() == null) {
                clone = "rewind-baseline-" + name + "-" + shard.index() + "of" + shard.count() + "-" + STAMP.format(Instant.now());
                cluster.cloneSnapshot(snapshot, clone);
            }
        } else {
            state.snapshot = null;
        }
        double prepared = (System.nanoTime() - started) / 1e9;
        String scanned = clone != null ? clone : layout.dataTable();
        String cloneToDrop = clone;
        Thread dropOnExit = new Thread(() -> {
            if (cloneToDrop != null) {
                cluster.dropTable(cloneToDrop);
            }
        }, "rewind-baseline-cleanup");
        Runtime.getRuntime().addShutdownHook(dropOnExit);
        Path scratch = Files.createTempDirectory("rewind-baseline");
        Map<String, String> source = new LinkedHashMap<>();
        source.put("baseline", name);
        source.put("cluster", state.cluster);
        source.put("table", layout.dataTable());
        source.put("snapshot", snapshot == null ? "(live table)" : snapshot);
        source.put("read", settings.hbaseRoot() != null ? "snapshot files" : "scan");
        source.put("scan.time", TimeArgs.format(System.currentTimeMillis()));
        KeyRangeReader.Counts counts = new KeyRangeReader.Counts();
        try (RejectFile rejects = new RejectFile(settings.rejects(), true);
                SnapshotFiles files = settings.hbaseRoot() == null ? null : new SnapshotFiles(snapshot, settings.hbaseRoot(),
                        restoreDir(settings.hbaseRoot(), name + "-" + shard.index() + "of" + shard.count()), settings.hbaseSettings())) {
            state.abandonUnderway(storage);
            ReadPlan plan = ReadPlan.of(cluster.regions(scanned), wanted, state.done);
            KeyRangeReader.Context context = new KeyRangeReader.Context(cluster.connection(), scanned, layout, uids, fromMs, toMs,
                    settings.rate(), rejects, settings.bufferPoints(), counts, files);
            long reading = System.nanoTime();
            String what = snapshot == null ? "live table" : (files != null ? "the files of snapshot " : "snapshot ") + snapshot;
            try (AutoCloseable shown = listener.reading(what, plan, counts, started)) {
                readAll(scratch, plan, context, source);
            }
            state.completedMs = System.currentTimeMillis();
            state.save(storage);
            if (ownSnapshot) {
                cluster.deleteSnapshot(snapshot);
            }
            return new Outcome(state, (System.nanoTime() - started) / 1e9, prepared, (System.nanoTime() - reading) / 1e9,
                    counts.points.get(), counts.bytes.get(), settings.rejects());
        } finally {
            if (clone != null) {
                cluster.dropTable(clone);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(dropOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
            deleteQuietly(scratch);
        }
    }

    /** Reads every range of the plan, {@code parallelism} at a time; the first range that fails for good stops the run. */
    private void readAll(Path scratch, ReadPlan plan, KeyRangeReader.Context context, Map<String, String> source) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(settings.parallelism(), r -> {
            Thread t = new Thread(r, "rewind-baseline-reader");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (KeyRange range : plan.ranges()) {
                futures.add(pool.submit(() -> {
                    readRange(scratch, range, context, source);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Reads one range, trying it again from its start (its files of the failed try deleted first) while HBase fails, up
     * to {@code maxAttempts}; records it as done once its last files are published.
     */
    private void readRange(Path scratch, KeyRange range, KeyRangeReader.Context context, Map<String, String> source)
            throws IOException, InterruptedException {
        String id = range.id();
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
        int maxAttempts = settings.maxAttempts();
        for (int attempt = 1; ; attempt++) {
            state.abandon(storage, id);
            RowDecoder.Tally tally = new RowDecoder.Tally();
            AtomicLong rows = new AtomicLong();
            AtomicLong rejected = new AtomicLong();
            int[] chunks = {0};
            try (BackgroundFlush writer = new BackgroundFlush()) {
                KeyRangeReader.Flushes flush = full -> {
                    int chunk = chunks[0]++;
                    writer.submit(() -> {
                        full.flush(storage, scratch, state, id, chunk, source);
                        return null;
                    });
                    return new WindowBuffers();
                };
                try {
                    flush.flushed(new KeyRangeReader(context).read(range, new WindowBuffers(), tally, rows, rejected, flush));
                    writer.await();
                } catch (IOException | RuntimeException e) {
                    writer.awaitQuietly();
                    if (attempt >= maxAttempts) {
                        throw new IOException("reading the key range " + range + " failed " + attempt + " times; last: " + e.getMessage()
                                + " (a rerun continues where this run stopped)", e);
                    }
                    log.warn("Reading the key range {} failed (attempt {} of {}), reading it again: {}", range, attempt, maxAttempts,
                            e.toString());
                    backoff.pause();
                    continue;
                }
            }
            synchronized (state) {
                state.files += state.underway.remove(id).size();
                state.done.add(range);
                state.points += tally.points;
                state.rows += rows.get();
                state.duplicates += tally.duplicates;
                state.conflicting += tally.conflicting;
                state.skippedCells += tally.annotations + tally.histograms + tally.otherCells;
                state.rejected += rejected.get() + tally.malformed;
                state.save(storage);
            }
            context.counts().rangesDone.incrementAndGet();
            return;
        }
    }

    /**
     * Where HBase lays out the snapshot's regions to read its files (links, no data): on the root directory's filesystem,
     * never under the root directory itself (HBase's rule); a local temporary directory when HBase's root is local.
     */
    static String restoreDir(String hbaseRoot, String run) {
        java.net.URI root = java.net.URI.create(hbaseRoot);
        String leaf = "rewind-baseline-" + run + "-" + STAMP.format(Instant.now()) + "-" + ProcessHandle.current().pid();
        if (root.getScheme() == null || root.getScheme().equals("file")) {
            return Path.of(System.getProperty("java.io.tmpdir"), leaf).toUri().toString();
        }
        return root.getScheme() + "://" + (root.getAuthority() == null ? "" : root.getAuthority()) + "/tmp/" + leaf;
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.debug("scratch {} left: {}", dir, e.toString());
        }
    }
}
