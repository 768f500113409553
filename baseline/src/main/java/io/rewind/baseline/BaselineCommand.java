package io.rewind.baseline;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.RateLimit;
import io.rewind.archive.storage.Backoff;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.restore.RejectFile;
import io.rewind.restore.StorageTarget;
import io.rewind.restore.TimeArgs;
import io.rewind.restore.cli.ArchiveOptions;
import io.rewind.restore.cli.ProgressLine;
import io.rewind.restore.cli.Report;
import io.rewind.restore.cli.RewindCli;
import java.io.IOException;
import java.io.PrintWriter;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code rewind baseline}: what a cluster held before the tap, read from its own HBase tables into the archive.
 * Exit codes as the other verbs: 0 done; 1 done, with rejected rows or cells; 2 the command line is wrong; 3
 * the work could not be done (HBase or storage unreachable after the retries): a rerun continues.
 */
@Command(name = "baseline", mixinStandardHelpOptions = true, sortOptions = false, versionProvider = BaselineCommand.Version.class,
        description = {"Backs up what an OpenTSDB cluster already holds, read straight from its HBase tables (a snapshot of",
                "the data table, cloned and scanned, or the live table), into the archive beside the points the tap",
                "captures: one restore then covers the cluster's history before and after the tap went in.",
                "Start the tap and the archiver first, then the baseline, so that the two overlap.",
                "A baseline point's ingest time is the time HBase holds for its cell (when a TSD, or its compaction, wrote it)."})
public final class BaselineCommand implements Callable<Integer> {
    /** Not a static field: {@link #main} picks the logging configuration before the first logger is made. */
    private static Logger log() {
        return LoggerFactory.getLogger(BaselineCommand.class);
    }
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    @Mixin
    ArchiveOptions archive;

    @Option(names = "--storage-config", required = true, paramLabel = "FILE",
            description = {"A TSD's opentsdb.conf: ZooKeeper quorum and base znode, table names, salt and UID widths."})
    Path storageConfig;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The baseline's name in the archive (default: the data table's name); a rerun with it continues it.")
    String name;

    @Option(names = "--live", description = "Scan the live table, with no snapshot (where snapshots are not allowed):"
            + " the baseline is then no single instant's copy.")
    boolean live;

    @Option(names = "--snapshot", paramLabel = "NAME",
            description = {"Read this existing snapshot of the data table instead of taking one (it is left in place):",
                    "one snapshot for every --shard, so that all of them read the same instant."})
    String givenSnapshot;

    @Option(names = "--from", defaultValue = "0", paramLabel = "TIME",
            description = "Only points at or after this time (ISO-8601, epoch seconds or ms, or -30d; default: all).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Only points before this time (default: no end).")
    String to;

    @Option(names = "--metric", paramLabel = "NAME",
            description = "Only this metric (repeatable): prefix scans of its rows, one per salt bucket.")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--parallelism", defaultValue = "2", paramLabel = "N", description = "Key ranges read at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--max-rate", defaultValue = "0", paramLabel = "POINTS/S",
            description = "At most this many points per second over all readers, to spare a live cluster (default: no limit).")
    double maxRate;

    @Option(names = "--shard", defaultValue = "0/1", paramLabel = "I/N",
            description = {"Read only shard I of N (from 0), to split a large table over N machines: a share of every salt bucket's",
                    "metric UIDs, fixed whatever the regions (--status tells whether the shards together cover the table)."})
    String shard;

    @Option(names = "--status", description = {"Read nothing: report every shard's state of this baseline in the archive, and",
            "whether the shards together cover what this command line asks (exit 0) or not (exit 1)."})
    boolean status;

    @Option(names = "--dry-run", description = "Print the regions to read and their bytes, and read nothing.")
    boolean dryRun;

    @Option(names = "--rejects", paramLabel = "FILE",
            description = "Where rows and cells the codec cannot read go, with their key and qualifier (default: rewind-baseline-NAME.rejects.jsonl).")
    Path rejectsFile;

    @Option(names = "--buffer-points", defaultValue = "2000000", paramLabel = "N",
            description = {"Points each reader holds before it hands them to its writer thread, which writes one file per hour",
                    "they cover while the reader fills the next (default: ${DEFAULT-VALUE}: about 100 MB of heap per reader)."})
    int bufferPoints;

    @Option(names = "--max-attempts", defaultValue = "5", paramLabel = "N",
            description = "Tries of a key range whose read fails (HBase unreachable, a region moving) before the run stops (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(names = "--hbase", paramLabel = "KEY=VALUE", description = "An HBase client setting (repeatable), e.g. hbase.rpc.timeout=120000.")
    Map<String, String> hbaseSettings = new LinkedHashMap<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/rewind/restore/cli/restore-logback.xml");
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new BaselineCommand());
        cli.setExecutionExceptionHandler(RewindCli.commandLine().getExecutionExceptionHandler());
        return cli;
    }

    /** The plan: the key ranges this shard reads, with the bytes of the regions they lie in. */
    record Plan(List<KeyRange> units, long bytes, int regions) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        StorageTarget.requireReadable(storageConfig);
        StorageLayout layout = StorageLayout.fromConfig(storageConfig);
        String baseline = name != null ? name : layout.dataTable();
        if (!baseline.matches(ArchiveLayout.NAME)) {
            throw new IllegalArgumentException("--name '" + baseline + "' is not a name the archive can hold: letters, digits, '.', '_', '-'"
                    + (name == null ? " (name the baseline with --name)" : ""));
        }
        int[] shardOf = parseShard(shard);
        long fromMs = TimeArgs.parseTime(from, System.currentTimeMillis());
        long toMs = to == null ? Long.MAX_VALUE : TimeArgs.parseTime(to, System.currentTimeMillis());
        if (fromMs >= toMs) {
            throw new IllegalArgumentException("the time range is empty: --from " + from + " is not before --to " + to);
        }
        if (parallelism < 1 || bufferPoints < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("--parallelism, --buffer-points and --max-attempts are at least 1");
        }
        RateLimit rate = RateLimit.of(maxRate);
        try (Storage storage = archive.open()) {
            if (status) {
                return ShardCoverage.report(storage, archive.topic, baseline, new BaselineRequest(null, layout.dataTable(), from, fromMs,
                        to, toMs, metrics), out);
            }
            BaselineState state = BaselineState.load(storage, archive.topic, baseline, shardOf[0], shardOf[1])
                    .orElseGet(() -> BaselineState.fresh(archive.topic, baseline, shardOf[0], shardOf[1]));
            try (HBaseCluster cluster = HBaseCluster.connect(layout, hbaseSettings)) {
                BaselineRequest request = state.bind(new BaselineRequest(cluster.clusterId(), layout.dataTable(), from, fromMs, to, toMs,
                        metrics));
                if (state.complete()) {
                    out.printf("Baseline '%s' (shard %d of %d) is complete since %s: %,d points from %s. Name another with --name to take a new one.%n",
                            baseline, shardOf[0], shardOf[1], TimeArgs.format(state.completedMs), state.points, state.table);
                    return RewindCli.OK;
                }
                try (Uids uids = new Uids(cluster.connection(), layout.uidTable())) {
                    return read(out, storage, cluster, uids, layout, state, baseline, request, shardOf, rate);
                }
            }
        }
    }

    /** Plans this shard's key ranges, prints them for a dry run, or reads them. */
    private int read(PrintWriter out, Storage storage, HBaseCluster cluster, Uids uids, StorageLayout layout, BaselineState state,
            String baseline, BaselineRequest request, int[] shardOf, RateLimit rate) throws Exception {
        state.wanted = wanted(uids, layout, request);
        List<KeyRange> wanted = new ShardKeySpace(layout, shardOf[1]).within(shardOf[0], state.wanted);
        if (dryRun) {
            Plan plan = plan(cluster.regions(layout.dataTable()), wanted, state.done);
            out.printf("Baseline '%s' of %s (ZooKeeper %s), shard %d of %d: %d region(s), %d key range(s) to read, %s of store files%s%n",
                    baseline, layout.dataTable(), layout.zkQuorum(), shardOf[0], shardOf[1], plan.regions(), plan.units().size(),
                    Report.bytes(plan.bytes()), state.done.isEmpty() ? "" : " (" + state.done.size() + " range(s) done by an earlier run)");
            plan.units().forEach(u -> out.println("  " + u));
            return RewindCli.OK;
        }
        return run(out, storage, cluster, uids, layout, state, baseline, wanted, shardOf, request.fromMs(), request.toMs(), rate);
    }

    private int run(PrintWriter out, Storage storage, HBaseCluster cluster, Uids uids, StorageLayout layout, BaselineState state,
            String baseline, List<KeyRange> wanted, int[] shardOf, long fromMs, long toMs, RateLimit rate) throws Exception {
        long started = System.nanoTime();
        String snapshot = null;
        String clone = null;
        boolean ownSnapshot = false;
        if (state.startedMs == 0) {
            state.startedMs = System.currentTimeMillis();
        }
        state.cluster = layout.zkQuorum() + layout.zkBaseDir();
        state.table = layout.dataTable();
        if (!live) {
            snapshot = givenSnapshot != null ? givenSnapshot : state.snapshot;
            if (snapshot == null || !cluster.snapshotExists(snapshot)) {
                if (givenSnapshot != null) {
                    throw new IllegalArgumentException("--snapshot " + givenSnapshot + ": HBase has no such snapshot");
                }
                if (snapshot != null) {
                    log().warn("The snapshot {} of the earlier run is gone: taking a new one; the ranges done stay done", snapshot);
                }
                snapshot = "rewind-" + baseline + "-" + shardOf[0] + "of" + shardOf[1] + "-" + STAMP.format(Instant.now());
                cluster.snapshot(snapshot);
                out.printf("Took the snapshot %s of %s%n", snapshot, layout.dataTable());
            }
            ownSnapshot = givenSnapshot == null;
            state.snapshot = snapshot;
            state.save(storage);
            clone = "rewind-baseline-" + baseline + "-" + shardOf[0] + "of" + shardOf[1] + "-" + STAMP.format(Instant.now());
            cluster.cloneSnapshot(snapshot, clone);
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
        Path rejectsPath = rejectsFile != null ? rejectsFile : Path.of("rewind-baseline-" + baseline + ".rejects.jsonl");
        Path scratch = Files.createTempDirectory("rewind-baseline");
        Map<String, String> source = new LinkedHashMap<>();
        source.put("baseline", baseline);
        source.put("cluster", state.cluster);
        source.put("table", layout.dataTable());
        source.put("snapshot", snapshot == null ? "(live table)" : snapshot);
        source.put("scan.time", TimeArgs.format(System.currentTimeMillis()));
        UnitReader.Progress progress = new UnitReader.Progress();
        try (RejectFile rejects = new RejectFile(rejectsPath, true)) {
            state.abandonUnderway(storage);
            Plan plan = plan(cluster.regions(scanned), wanted, state.done);
            out.printf("Baseline '%s' of %s (%s), shard %d of %d: %d key range(s) in %d region(s), %s%n", baseline, layout.dataTable(),
                    snapshot == null ? "live table" : "snapshot " + snapshot, shardOf[0], shardOf[1], plan.units().size(), plan.regions(),
                    Report.bytes(plan.bytes()));
            UnitReader.Context context = new UnitReader.Context(cluster.connection(), scanned, layout, uids, fromMs, toMs, rate,
                    rejects, bufferPoints, progress);
            long reading = System.nanoTime();
            try (ProgressLine line = ProgressLine.start(() -> status(progress, plan, started, rate))) {
                readAll(storage, scratch, state, plan, context, source);
            }
            state.completedMs = System.currentTimeMillis();
            state.save(storage);
            if (ownSnapshot) {
                cluster.deleteSnapshot(snapshot);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double read = (System.nanoTime() - reading) / 1e9;
            out.printf("Baseline '%s' complete: %,d points in %,d rows, %,d files, in %.1f s (%,.0f points/s, %.1f MB/s read)%n", baseline,
                    state.points, state.rows, state.files, seconds, progress.points.get() / seconds, progress.bytes.get() / seconds / 1e6);
            out.printf("  of which %.1f s to snapshot and clone, %.1f s to read and write (%,.0f points/s)%n", prepared, read,
                    progress.points.get() / read);
            out.printf("  duplicate timestamps resolved: %,d (%,d with another value: the latest cell kept, as tsd.storage.fix_duplicates does)%n",
                    state.duplicates, state.conflicting);
            out.printf("  cells without plain points skipped (annotations, histograms, others): %,d%n", state.skippedCells);
            if (state.rejected > 0) {
                out.printf("  rejected rows and cells: %,d, in %s%n", state.rejected, rejectsPath);
                return RewindCli.PROBLEMS;
            }
            return RewindCli.OK;
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
    private void readAll(Storage storage, Path scratch, BaselineState state, Plan plan, UnitReader.Context context,
            Map<String, String> source) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "rewind-baseline-reader");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (KeyRange unit : plan.units()) {
                futures.add(pool.submit(() -> {
                    readUnit(storage, scratch, state, unit, context, source);
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
     * to {@code --max-attempts}; records it as done once its last files are published.
     */
    private void readUnit(Storage storage, Path scratch, BaselineState state, KeyRange unit, UnitReader.Context context,
            Map<String, String> source) throws IOException, InterruptedException {
        String id = unit.id();
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
        for (int attempt = 1; ; attempt++) {
            state.abandon(storage, id);
            RowDecoder.Tally tally = new RowDecoder.Tally();
            AtomicLong rows = new AtomicLong();
            AtomicLong rejected = new AtomicLong();
            int[] chunks = {0};
            try (BackgroundFlush writer = new BackgroundFlush()) {
                UnitReader.Flushes flush = full -> {
                    int chunk = chunks[0]++;
                    writer.submit(() -> {
                        full.flush(storage, scratch, state, id, chunk, source);
                        return null;
                    });
                    return new WindowBuffers();
                };
                try {
                    flush.flushed(new UnitReader(context).read(unit, new WindowBuffers(), tally, rows, rejected, flush));
                    writer.await();
                } catch (IOException | RuntimeException e) {
                    writer.awaitQuietly();
                    if (attempt >= maxAttempts) {
                        throw new IOException("reading the key range " + unit + " failed " + attempt + " times; last: " + e.getMessage()
                                + " (a rerun continues where this run stopped)", e);
                    }
                    log().warn("Reading the key range {} failed (attempt {} of {}), reading it again: {}", unit, attempt, maxAttempts,
                            e.toString());
                    backoff.pause();
                    continue;
                }
            }
            synchronized (state) {
                state.files += state.underway.remove(id).size();
                state.done.add(unit);
                state.points += tally.points;
                state.rows += rows.get();
                state.duplicates += tally.duplicates;
                state.conflicting += tally.conflicting;
                state.skippedCells += tally.annotations + tally.histograms + tally.otherCells;
                state.rejected += rejected.get() + tally.malformed;
                state.save(storage);
            }
            context.progress().unitsDone.incrementAndGet();
            return;
        }
    }

    /**
     * The key ranges of the rows wanted: the whole table, or with {@code --metric} each metric's rows under every salt
     * prefix, from the base hour of {@code --from} to that of {@code --to}.
     */
    private static List<KeyRange> wanted(Uids uids, StorageLayout layout, BaselineRequest request) throws IOException {
        long fromMs = request.fromMs();
        long toMs = request.toMs();
        if (request.metrics().isEmpty()) {
            return List.of(KeyRange.ALL);
        }
        List<KeyRange> ranges = new ArrayList<>();
        long fromBase = Math.max(0, Math.floorDiv(fromMs, 1000L) - Math.floorMod(Math.floorDiv(fromMs, 1000L), 3600));
        long toBase = toMs == Long.MAX_VALUE ? 0xFFFFFFFFL + 1 : Math.min(0xFFFFFFFFL + 1, Math.floorDiv(toMs - 1, 1000L) + 1);
        for (String metric : request.metrics()) {
            byte[] uid = uids.uid(Uids.Kind.METRIC, metric);
            if (uid == null) {
                throw new IllegalArgumentException("--metric " + metric + ": the cluster has no such metric (no UID in " + layout.uidTable() + ")");
            }
            for (int bucket = 0; bucket < layout.saltPrefixes(); bucket++) {
                byte[] prefix = KeyRange.concat(layout.saltBytes(bucket), uid);
                byte[] start = KeyRange.concat(prefix, fourBytes(fromBase));
                byte[] stop = toBase > 0xFFFFFFFFL ? KeyRange.afterPrefix(prefix) : KeyRange.concat(prefix, fourBytes(toBase));
                ranges.add(new KeyRange(start, stop));
            }
        }
        return ranges;
    }

    /** The key ranges to read: the pieces of this shard's wanted keys in each region, less what an earlier run finished. */
    static Plan plan(List<HBaseCluster.Region> regions, List<KeyRange> wanted, List<KeyRange> done) {
        List<KeyRange> units = new ArrayList<>();
        long bytes = 0;
        int count = 0;
        for (HBaseCluster.Region region : regions) {
            boolean used = false;
            for (KeyRange w : wanted) {
                KeyRange piece = region.range().intersect(w);
                if (!piece.isEmpty()) {
                    List<KeyRange> left = piece.minus(done);
                    units.addAll(left);
                    used |= !left.isEmpty();
                }
            }
            if (used) {
                count++;
                bytes += region.bytes();
            }
        }
        return new Plan(units, bytes, count);
    }

    private static String status(UnitReader.Progress p, Plan plan, long started, RateLimit rate) {
        double seconds = Math.max((System.nanoTime() - started) / 1e9, 1e-3);
        double bytesPerSecond = p.bytes.get() / seconds;
        String eta = plan.bytes() == 0 || bytesPerSecond < 1 ? "--" : ProgressLine.formatSeconds((long) (Math.max(0, plan.bytes() - p.bytes.get()) / bytesPerSecond));
        return String.format("%,d points  %,d rows  %,.0f points/s%s  %.1f MB/s  ranges %d/%d  ETA %s", p.points.get(), p.rows.get(),
                p.points.get() / seconds, rate.limited() ? String.format(" (limit %,.0f)", rate.perSecond()) : "", bytesPerSecond / 1e6,
                p.unitsDone.get(), plan.units().size(), eta);
    }

    static int[] parseShard(String text) {
        String[] parts = text.split("/");
        try {
            int i = Integer.parseInt(parts[0].trim());
            int n = Integer.parseInt(parts[1].trim());
            if (parts.length == 2 && n >= 1 && i >= 0 && i < n) {
                return new int[] {i, n};
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // below
        }
        throw new IllegalArgumentException("--shard " + text + ": give I/N with 0 <= I < N, e.g. 0/4");
    }

    private static byte[] fourBytes(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log().debug("scratch {} left: {}", dir, e.toString());
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = BaselineCommand.class.getPackage().getImplementationVersion();
            return new String[] {"rewind baseline " + (version == null ? "(development build)" : version)};
        }
    }
}
