package io.rewind.cli;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.RateLimit;
import io.rewind.archive.Shard;
import io.rewind.archive.storage.Storage;
import io.rewind.baseline.BaselineRequest;
import io.rewind.baseline.BaselineRun;
import io.rewind.baseline.BaselineState;
import io.rewind.baseline.KeyRangeReader;
import io.rewind.baseline.ReadPlan;
import io.rewind.baseline.ShardCoverage;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.OpenTsdbClient;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code rewind baseline}: what a cluster held before the tap, read from its own HBase tables into the archive.
 * Exit codes as the other verbs: 0 done; 1 done, with rejected rows or cells; 2 the command line is wrong; 3
 * the work could not be done (HBase or storage unreachable after the retries): a rerun continues.
 */
@Command(name = "baseline", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Backs up what an OpenTSDB cluster already holds, read straight from its HBase tables (a snapshot of",
                "the data table, cloned and scanned, or the live table), into the archive beside the points the tap",
                "captures: one restore then covers the cluster's history before and after the tap went in.",
                "Start the tap and the archiver first, then the baseline, so that the two overlap.",
                "A baseline point's ingest time is the time HBase holds for its cell (when a TSD, or its compaction, wrote it)."})
public final class BaselineCommand implements Callable<Integer> {
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

    /** How the snapshot is read. */
    enum Read {
        files, scan
    }

    @Option(names = "--read", paramLabel = "HOW",
            description = {"'files': read the snapshot's HFiles straight from HBase's root directory (--hbase-root), as HBase's",
                    "TableSnapshotScanner does: the region servers serve nothing, so the backup costs the live cluster its snapshot",
                    "only. 'scan': scan a clone of the snapshot through the region servers. Default: files when --hbase-root is",
                    "given, else scan."})
    Read read;

    @Option(names = "--hbase-root", paramLabel = "URI",
            description = {"HBase's root directory (its hbase.rootdir: hdfs://namenode:8020/hbase, file:///var/lib/hbase), readable",
                    "from this machine, for --read=files."})
    String hbaseRoot;

    @Option(names = "--from", defaultValue = "0", paramLabel = "TIME",
            description = "Only points at or after this time (ISO-8601, epoch seconds or ms, or -30d; default: all).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Only points before this time (default: no end).")
    String to;

    @Option(names = "--metric", paramLabel = "NAME",
            description = "Only this metric (repeatable): prefix scans of its rows, one per salt bucket.")
    List<String> metrics = new ArrayList<>();

    @Mixin
    HBaseReadOptions reading;

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

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        OpenTsdbClient.requireReadable(storageConfig);
        StorageLayout layout = StorageLayout.fromConfig(storageConfig);
        String baseline = name != null ? name : layout.dataTable();
        if (!baseline.matches(ArchiveLayout.NAME)) {
            throw new IllegalArgumentException("--name '" + baseline + "' is not a name the archive can hold: letters, digits, '.', '_', '-'"
                    + (name == null ? " (name the baseline with --name)" : ""));
        }
        Shard shardOf = Shard.parse(shard);
        long fromMs = TimeArgs.parseTime(from, System.currentTimeMillis());
        long toMs = to == null ? Long.MAX_VALUE : TimeArgs.parseTime(to, System.currentTimeMillis());
        if (fromMs >= toMs) {
            throw new IllegalArgumentException("the time range is empty: --from " + from + " is not before --to " + to);
        }
        reading.check();
        if (bufferPoints < 1) {
            throw new IllegalArgumentException("--buffer-points is at least 1");
        }
        RateLimit rate = reading.rate();
        try (Storage storage = archive.open()) {
            if (status) {
                boolean covered = ShardCoverage.report(storage, archive.topic, baseline,
                        new BaselineRequest(null, layout.dataTable(), from, fromMs, to, toMs, metrics), out);
                return covered ? RewindCli.OK : RewindCli.PROBLEMS;
            }
            Path rejects = rejectsFile != null ? rejectsFile : Path.of("rewind-baseline-" + baseline + ".rejects.jsonl");
            BaselineRun.Settings settings = new BaselineRun.Settings(baseline, shardOf, live, givenSnapshot, reading.parallelism, rate,
                    rejects, bufferPoints, reading.maxAttempts, reading.hbaseSettings, false, filesRoot());
            return run(out, settings, storage, archive.topic, layout, new BaselineRequest(null, layout.dataTable(), from, fromMs, to, toMs,
                    metrics), dryRun).code();
        }
    }

    /** HBase's root directory when the snapshot's files are read, else null; refuses what cannot work. */
    private String filesRoot() {
        Read how = read != null ? read : hbaseRoot != null && !live ? Read.files : Read.scan;
        if (how == Read.scan) {
            return null;
        }
        if (hbaseRoot == null) {
            throw new IllegalArgumentException("--read=files reads the snapshot's files in HBase's root directory: name it with --hbase-root");
        }
        if (live) {
            throw new IllegalArgumentException("--read=files reads a snapshot's files: --live reads the live table, through the region servers");
        }
        java.net.URI root = java.net.URI.create(hbaseRoot);
        if ((root.getScheme() == null || root.getScheme().equals("file")) && !java.nio.file.Files.isDirectory(
                root.getScheme() == null ? Path.of(hbaseRoot) : Path.of(root))) {
            throw new IllegalArgumentException("--hbase-root " + hbaseRoot + ": no such directory on this machine");
        }
        return root.getScheme() == null ? Path.of(hbaseRoot).toAbsolutePath().toUri().toString() : hbaseRoot;
    }

    /** What a baseline run ended with: its exit code, and the points the baseline holds (-1 for a dry run). */
    record Ran(int code, long points) {
    }

    /**
     * Runs one baseline (or continues it, or says it is complete), or with {@code dryRun} prints what it would read. Shared by
     * {@code heal}, which runs one per hour with gaps.
     */
    static Ran run(PrintWriter out, BaselineRun.Settings settings, Storage storage, String topic, StorageLayout layout,
            BaselineRequest request, boolean dryRun) throws Exception {
        String baseline = settings.name();
        Shard shardOf = settings.shard();
        try (BaselineRun run = BaselineRun.open(settings, storage, topic, layout, request)) {
            BaselineState state = run.state();
            if (state.complete()) {
                out.printf("Baseline '%s' (shard %s) is complete since %s: %,d points from %s. Name another with --name to take a new one.%n",
                        baseline, shardOf, TimeArgs.format(state.completedMs()), state.points(), state.table());
                if (state.rejected() > 0) {
                    out.printf("  it rejected %,d rows and cells it could not read (see its rejects file): they are not in the archive%n",
                            state.rejected());
                }
                return new Ran(state.rejected() > 0 ? RewindCli.PROBLEMS : RewindCli.OK, state.points());
            }
            if (dryRun) {
                ReadPlan plan = run.plan();
                out.printf("Baseline '%s' of %s (ZooKeeper %s), shard %s: %d region(s), %d key range(s) to read, %s of store files%s%n",
                        baseline, layout.dataTable(), layout.zkQuorum(), shardOf, plan.regions(), plan.ranges().size(),
                        Report.bytes(plan.bytes()), state.done().isEmpty() ? "" : " (" + state.done().size()
                                + " range(s) done by an earlier run)");
                plan.ranges().forEach(r -> out.println("  " + r));
                return new Ran(RewindCli.OK, -1);
            }
            BaselineRun.Outcome done = run.run(listener(out, baseline, layout, shardOf, settings.rate()));
            return new Ran(report(out, done), done.state().points());
        }
    }

    /** What the run shows while it goes: the snapshot it took, its plan, and the progress line. */
    private static BaselineRun.Listener listener(PrintWriter out, String baseline, StorageLayout layout, Shard shard, RateLimit rate) {
        return new BaselineRun.Listener() {
            @Override
            public void snapshotTaken(String snapshot, String table) {
                out.printf("Took the snapshot %s of %s%n", snapshot, table);
            }

            @Override
            public AutoCloseable reading(String source, ReadPlan plan, KeyRangeReader.Counts counts, long startedNanos) {
                out.printf("Baseline '%s' of %s (%s), shard %s: %d key range(s) in %d region(s), %s%n", baseline, layout.dataTable(),
                        source, shard, plan.ranges().size(), plan.regions(), Report.bytes(plan.bytes()));
                return ProgressLine.start(() -> status(counts, plan, startedNanos, rate));
            }
        };
    }

    private static int report(PrintWriter out, BaselineRun.Outcome done) {
        BaselineState state = done.state();
        double seconds = done.seconds();
        out.printf("Baseline '%s' complete: %,d points in %,d rows, %,d files, in %.1f s (%,.0f points/s, %.1f MB/s read)%n",
                state.name(), state.points(), state.rows(), state.files(), seconds, done.pointsRead() / seconds,
                done.bytesRead() / seconds / 1e6);
        out.printf("  of which %.1f s to prepare (the snapshot, and for a scan its clone), %.1f s to read and write (%,.0f points/s)%n",
                done.prepareSeconds(),
                done.readSeconds(), done.pointsRead() / done.readSeconds());
        out.printf("  duplicate timestamps resolved: %,d (%,d with another value: the latest cell kept, as tsd.storage.fix_duplicates does)%n",
                state.duplicates(), state.conflicting());
        out.printf("  cells without plain points skipped (annotations, histograms, others): %,d%n", state.skippedCells());
        if (state.rejected() > 0) {
            out.printf("  rejected rows and cells: %,d, in %s%n", state.rejected(), done.rejects());
            return RewindCli.PROBLEMS;
        }
        return RewindCli.OK;
    }

    private static String status(KeyRangeReader.Counts c, ReadPlan plan, long started, RateLimit rate) {
        double seconds = Math.max((System.nanoTime() - started) / 1e9, 1e-3);
        double bytesPerSecond = c.bytes() / seconds;
        String eta = plan.bytes() == 0 || bytesPerSecond < 1 ? "--"
                : ProgressLine.formatSeconds((long) (Math.max(0, plan.bytes() - c.bytes()) / bytesPerSecond));
        return String.format("%,d points  %,d rows  %,.0f points/s%s  %.1f MB/s  ranges %d/%d  ETA %s", c.points(), c.rows(),
                c.points() / seconds, rate.limited() ? String.format(" (limit %,.0f)", rate.perSecond()) : "", bytesPerSecond / 1e6,
                c.rangesDone(), plan.ranges().size(), eta);
    }
}
