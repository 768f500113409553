package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.RateLimit;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.hbase.BulkLoad;
import io.rewind.opentsdb.hbase.WorkDirLock;
import io.rewind.restore.Batches;
import io.rewind.restore.ReplacedSeries;
import io.rewind.restore.Restore;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.check.TargetVerifier;
import io.rewind.restore.follow.Follower;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.targets.HttpTarget;
import io.rewind.restore.targets.RowTarget;
import io.rewind.restore.targets.StorageTarget;
import io.rewind.restore.targets.Target;
import io.rewind.service.RejectFile;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replays archived points by event-time range, as of a point in time, filtered and optionally",
                "transformed, into OpenTSDB: over HTTP to its TSDs, or straight into its HBase tables. Plans first;",
                "resumable: rerunning the same command continues."})
final class RestoreCommand implements Callable<Integer> {
    @Mixin
    ArchiveOptions archive;
    @Mixin
    SelectionOptions select;
    @Mixin
    TransformOptions transform;
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--kafka-tail", description = {"Also restore what the points topic holds past the archive (with --bootstrap-servers):",
            "every point the tap acknowledged up to the restore's start, while Kafka still holds it."})
    boolean kafkaTail;

    @Option(names = "--tail-max-points", defaultValue = "20000000", paramLabel = "N",
            description = "The most points of the Kafka tail a restore keeps in memory, about 40 bytes each (default: ${DEFAULT-VALUE}).")
    long tailMaxPoints;

    @Option(names = "--require-tail", description = "With --kafka-tail: fail when Kafka has already deleted records the archive lacks.")
    boolean requireTail;

    @Option(names = "--follow", description = {"Keep the target fed: after the archive and the Kafka tail (implied), follow the points",
            "topic as a consumer group (--group), writing each new point of the selection, transformed, until stopped.",
            "Offsets are committed once the target holds the points; rerunning the command continues. Without --to,",
            "every event time from --from on."})
    boolean follow;

    @Option(names = "--group", paramLabel = "ID", description = {"With --follow: the follower's Kafka consumer group, one per target; its",
            "committed offsets say what the target holds."})
    String group;

    @Option(names = "--linger", defaultValue = "200ms", paramLabel = "DURATION",
            description = "With --follow: the longest a point waits for its batch to fill (default: ${DEFAULT-VALUE}).")
    String linger;

    @Option(names = "--follow-buffer", defaultValue = "200000", paramLabel = "POINTS",
            description = {"With --follow: points read and not yet acknowledged by the target past which the follower stops",
                    "fetching until the target catches up (default: ${DEFAULT-VALUE})."})
    long followBuffer;

    @Mixin
    AdminPortOptions admin;

    @Option(names = "--target", paramLabel = "URL",
            description = "A TSD to write to (http://tsd:4242); repeatable: batches are spread over the TSDs of one cluster.")
    List<URI> targets = new ArrayList<>();

    @Option(names = "--storage-config", paramLabel = "FILE",
            description = {"Write into the cluster's HBase tables, configured by this opentsdb.conf of one of its TSDs, instead of",
                    "through the TSDs. --target, if given, then receives rollup and histogram points and answers --verify."})
    Path storageConfig;

    /** How a restore into storage writes. */
    enum WriteMode {
        rows, points, hfiles
    }

    @Option(names = "--write-mode", defaultValue = "rows", paramLabel = "MODE",
            description = {"With --storage-config: 'rows' (default) writes each (series, hour) row as OpenTSDB's compaction leaves it,",
                    "one cell, merged with what the row already holds (the restored version wins at each timestamp);",
                    "'points' stores each point as a TSD's put does (OpenTSDB's TSDB.addPoint, as its import);",
                    "'hfiles' writes the same rows as sorted HFiles cut at the table's regions and bulk-loads them (HBase's",
                    "BulkLoadHFiles): the fastest, for a range the table does not hold yet; rows it already holds are merged",
                    "as 'rows' does. Resumable by file; see --hfiles-dir."})
    WriteMode writeMode;

    @Option(names = "--hfiles-dir", paramLabel = "DIR",
            description = {"With --write-mode=hfiles: where the HFiles are written for the region servers to adopt, a directory on",
                    "the cluster's filesystem (hdfs://namenode/tmp/rewind-hfiles; a local path when HBase's root directory is on",
                    "this machine's filesystem, as the dev stack's). Each restore writes into a subdirectory of its own.",
                    "Default: beside the checkpoint (<checkpoint>.hfiles/files)."})
    String hfilesDir;

    @Option(names = "--shard", defaultValue = "0/1", paramLabel = "I/N",
            description = {"Restore only shard I of N (from 0): the series whose key hashes to I, so that N processes, on N",
                    "machines, restore one range into one cluster together at N times the rate, each with its own checkpoint",
                    "(and HFiles). Refused with a transform that maps several series onto one. Default: ${DEFAULT-VALUE}."})
    String shard;

    @Option(names = "--hfile-size", defaultValue = "1g", paramLabel = "SIZE",
            description = "With --write-mode=hfiles: the largest HFile written (default: ${DEFAULT-VALUE}); one per region at least.")
    String hfileSize;

    @Option(names = "--replace", description = {"With --storage-config (rows): in the restored range, each series the archive holds",
            "keeps exactly the archive's points as of --as-of: points the archive lacks there are deleted, and so are",
            "series first written after --as-of. Series the archive never saw are not touched. Refused when --rename-metric,",
            "--set-tag or --drop-tag map two archived series onto one. Asks on a terminal."})
    boolean replace;

    @Option(names = "--yes", description = "Do not ask before --replace deletes points.")
    boolean yes;

    @Option(names = "--hbase", paramLabel = "KEY=VALUE",
            description = "An HBase client setting for --write-mode=rows or hfiles (repeatable), e.g. hbase.rpc.timeout=120000.")
    Map<String, String> hbaseSettings = new LinkedHashMap<>();

    @Option(names = "--dry-run", description = {"Print the plan (files, points per metric) and write nothing. With --storage-config",
            "(rows, hfiles), also read the rows the restore would change and count the points it would add, overwrite and delete;",
            "with hfiles, the files it would write."})
    boolean dryRun;

    @Option(names = "--verify", description = "After the replay, query the target and compare every series with the archive.")
    boolean verify;

    @Option(names = "--batch-size", defaultValue = "" + Defaults.BATCH_SIZE, paramLabel = "N",
            description = "Points per batch: one HTTP request, or one flush to HBase (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--parallelism", defaultValue = "" + Defaults.PARALLELISM, paramLabel = "N",
            description = "Batches in flight at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--sync", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"The TSD answers once the points are stored in HBase (?sync), so a checkpointed batch is durable",
                    "(default). --no-sync: faster, but a TSD crash can lose batches the checkpoint has as done.",
                    "HTTP only: with --storage-config a batch is checkpointed once HBase has it."})
    boolean sync;

    @Option(names = "--gzip", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Gzip request bodies (default); --no-gzip saves CPU on both sides where the network is fast. HTTP only.")
    boolean gzip;

    @Option(names = "--timeout", defaultValue = "60s", paramLabel = "DURATION", description = "Per request (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--max-rate", defaultValue = "0", paramLabel = "POINTS/S",
            description = {"At most this many points per second over all senders (a token bucket), for restoring into a cluster",
                    "that serves live traffic; 0 (default): as fast as the target takes them."})
    double maxRate;

    @Option(names = "--max-attempts", defaultValue = "10", paramLabel = "N",
            description = "Attempts per batch on connection errors, timeouts, 5xx and 429, with exponential backoff (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(names = "--rejects", defaultValue = "rewind-restore.rejects.jsonl", paramLabel = "FILE",
            description = "Where points the target refuses go, one JSON line each with its reason (default: ${DEFAULT-VALUE}).")
    Path rejects;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Finished work, for resuming (default: next to --rejects, named after it: rewind-restore.checkpoint).")
    Path checkpoint;

    @Option(names = "--fresh", description = "Start over: ignore and overwrite an existing checkpoint and reject file.")
    boolean fresh;

    @Option(names = "--allow-rejects", description = "Exit 0 even if the target refused points.")
    boolean allowRejects;

    @Option(names = "--allow-gaps", description = {"Exit 0 even if the range holds gaps still open: points the taps let through to",
            "OpenTSDB without backing them up, which 'rewind heal' takes from HBase (restored or not, they are said)."})
    boolean allowGaps;

    @Option(names = "--json", description = "Print the plan and the result as JSON.")
    boolean json;

    private static final Duration BACKOFF_MIN = Duration.ofMillis(200);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(30);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * A dry run into storage: the selection read once, the rows the restore would change read and the changes counted,
     * nothing written; printed with the plan.
     */
    private void predictChanges(PrintWriter out, Storage storage, RestorePlan plan, Transforms transforms, Duration requestTimeout)
            throws Exception {
        StorageTarget.Settings settings = new StorageTarget.Settings(storageConfig, requestTimeout, maxAttempts, BACKOFF_MIN,
                BACKOFF_MAX, null);
        Path work = writeMode == WriteMode.hfiles ? java.nio.file.Files.createTempDirectory("rewind-hfiles-dry-run") : null;
        try (RejectFile none = RejectFile.discarding(); RowTarget target = RowTarget.open(settings, true, hbaseSettings,
                work == null ? null : bulkSettings(work, work.resolve("files").toUri().toString()), none)) {
            Restore.Result read = Restore.run(storage, plan, transforms, batchSize, parallelism, target, null, new Restore.Counts());
            BulkLoad.Written files = work == null ? null : target.bulkLoad().writeFiles(BulkLoadRun.planDigest(plan));
            Report.plan(out, json, storage, plan, read.perMetric(), target, none.count());
            if (files != null && !json) {
                BulkLoadRun.dryRunText(out, files);
            }
        } finally {
            if (work != null) {
                BulkLoadRun.deleteTree(work);
            }
        }
    }

    /** The plan, with the Kafka tail when asked; refuses a tail Kafka has partly deleted when it is required. */
    private RestorePlan plan(Storage storage, io.rewind.restore.plan.Selection selection) throws java.io.IOException {
        kafka.tailMaxPoints = tailMaxPoints;
        RestorePlan plan = RestorePlan.of(storage, archive.topic, selection, kafka.settings(archive.topic), kafkaTail);
        if (requireTail && !plan.tail().incomplete().isEmpty()) {
            throw new IllegalStateException("Kafka has already deleted records the archive lacks (--require-tail): " + plan.tail()
                    .incomplete().stream().map(p -> String.format("partition %d: %,d record(s) before offset %,d", p.partition(),
                            p.deleted(), p.logStart())).collect(java.util.stream.Collectors.joining("; ")));
        }
        return plan;
    }

    /**
     * The open gaps of the range, said before anything is restored: the archive lacks their points (and --replace would delete
     * them from the target if it held them), so the restore is not what production held until they are healed.
     */
    private List<GapLedger.Hour> openGaps(PrintWriter out, Storage storage, io.rewind.restore.plan.Selection selection) throws java.io.IOException {
        GapLedger ledger = GapLedger.read(storage, archive.topic);
        PrintWriter to = json ? spec.commandLine().getErr() : out; // with --json, the JSON stays whole; the summary holds the gaps too
        if (!ledger.unreadable().isEmpty()) {
            String unreadable = "cannot read " + ledger.unreadable().size() + " gap record(s) of the archive, so whether the range lacks"
                    + " points the taps let through is unknown: " + String.join("; ", ledger.unreadable());
            if (!allowGaps) {
                throw new IllegalStateException(unreadable + " (--allow-gaps restores all the same)");
            }
            to.println("GAPS: " + unreadable);
        }
        List<GapLedger.Hour> open = ledger.open(selection.fromMs(), selection.toMs()).stream()
                .filter(h -> h.allMetrics() || h.openMetrics().stream().anyMatch(selection::selectsMetric)).toList();
        if (!open.isEmpty()) {
            to.printf("GAPS: %d hour(s) of this range hold points the taps let through without backing them up (%,d points); the archive"
                    + " lacks them until 'rewind heal' takes them from HBase:%n", open.size(), open.stream().mapToLong(GapLedger.Hour::openPoints).sum());
            open.forEach(hour -> to.println("  OPEN    " + HealCommand.describe(hour)));
            to.flush();
        }
        return open;
    }

    private static void gapsToJson(ObjectNode json, List<GapLedger.Hour> open) {
        ArrayNode gaps = json.putArray("openGaps");
        open.forEach(hour -> HealCommand.toJson(gaps.addObject(), hour));
    }

    /** Asks on a terminal before --replace deletes points; without one (a script, a pipe) the command line is the answer. */
    private boolean confirmed(PrintWriter out) {
        java.io.Console console = System.console();
        if (console == null) {
            return true;
        }
        out.flush();
        String answer = console.readLine("--replace deletes the points the archive lacks in %s for every series it holds"
                + " (rewind restore --dry-run counts them). Go on? [y/N] ", select.from + " .. " + select.to);
        return answer != null && answer.trim().equalsIgnoreCase("y");
    }

    /** {@code x.rejects.jsonl} or {@code x.jsonl} gives {@code x.checkpoint}, in the same directory. */
    static Path defaultCheckpoint(Path rejects) {
        String name = rejects.getFileName().toString().replaceFirst("(\\.rejects)?\\.jsonl$", "");
        return rejects.toAbsolutePath().resolveSibling(name + ".checkpoint");
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!dryRun && targets.isEmpty() && storageConfig == null) {
            throw new IllegalArgumentException("name a --target (http://tsd:4242) or a --storage-config (opentsdb.conf),"
                    + " or pass --dry-run to see the plan");
        }
        if (verify && targets.isEmpty()) {
            throw new IllegalArgumentException("--verify queries a TSD of the cluster: name it with --target");
        }
        if (storageConfig != null) {
            io.rewind.opentsdb.hbase.OpenTsdbClient.requireReadable(storageConfig);
        }
        boolean rows = storageConfig != null && writeMode != WriteMode.points;
        if (replace && !rows) {
            throw new IllegalArgumentException("--replace rewrites the cluster's rows: it needs --storage-config with --write-mode=rows"
                    + " or hfiles");
        }
        if ((hfilesDir != null || writeMode == WriteMode.hfiles) && (storageConfig == null || writeMode != WriteMode.hfiles)) {
            throw new IllegalArgumentException(writeMode == WriteMode.hfiles ? "--write-mode=hfiles writes the cluster's tables: name"
                    + " its opentsdb.conf with --storage-config" : "--hfiles-dir goes with --write-mode=hfiles");
        }
        BulkLoadRun.size(hfileSize, "--hfile-size");
        if (io.rewind.archive.Shard.parse(shard).count() > 1 && transform.transforms().canMergeSeries()) {
            throw new IllegalArgumentException("--shard splits the series between restores: --rename-metric, --set-tag or --drop-tag"
                    + " could map series of two shards onto one, which both would write");
        }
        if (batchSize < 1 || parallelism < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("--batch-size, --parallelism and --max-attempts must be at least 1");
        }
        if (follow) {
            checkFollow();
        }
        if (kafkaTail && !kafka.given()) {
            throw new IllegalArgumentException("--kafka-tail reads the points topic: name its Kafka cluster with --bootstrap-servers");
        }
        if (requireTail && !kafkaTail) {
            throw new IllegalArgumentException("--require-tail goes with --kafka-tail");
        }
        if (maxRate < 0 || Double.isNaN(maxRate)) {
            throw new IllegalArgumentException("--max-rate is a number of points per second, or 0 for no limit: " + maxRate);
        }
        RateLimit limit = RateLimit.of(maxRate);
        Transforms transforms = transform.transforms();
        selection(System.currentTimeMillis()); // refuses a wrong time before anything is written
        Duration requestTimeout = Duration.ofMillis(TimeArgs.parseDuration(timeout));
        try (Storage storage = archive.open()) {
            List<GapLedger.Hour> gaps = openGaps(out, storage, selection(System.currentTimeMillis()));
            boolean gapsOpen = !gaps.isEmpty() && !allowGaps;
            if (dryRun) {
                RestorePlan plan = plan(storage, selection(System.currentTimeMillis()));
                if (rows && plan.unreadable().isEmpty()) {
                    predictChanges(out, storage, replace ? plan.replacing() : plan, transforms, requestTimeout);
                } else {
                    Report.plan(out, json, storage, plan, Batches.countPerMetric(storage, plan, transforms), null, 0);
                }
                return plan.unreadable().isEmpty() && !gapsOpen ? RewindCli.OK : RewindCli.PROBLEMS;
            }
            if (replace && transforms.canMergeSeries()) {
                // Before asking, checkpointing or writing anything; the restore checks its own plan again, Kafka tail included.
                ReplacedSeries.refuseMerges(storage, RestorePlan.of(storage, archive.topic, selection(System.currentTimeMillis()))
                        .replacing(), transforms);
            }
            if (replace && !yes && !confirmed(out)) {
                out.println("Nothing written.");
                return RewindCli.PROBLEMS;
            }
            Path checkpointFile = checkpoint != null ? checkpoint : defaultCheckpoint(rejects);
            List<String> arguments = new ArrayList<>(List.of(storage.uri().toString(), archive.topic, select.from, select.to,
                    String.valueOf(select.asOf), select.metrics.toString(), select.tags.toString(), targets.toString(),
                    Integer.toString(batchSize), String.valueOf(storageConfig), writeMode.name(), Boolean.toString(replace),
                    Boolean.toString(kafkaTail)));
            // Options added since checkpoints were first written join the fingerprint only when given, so that a checkpoint
            // written before them is still continued.
            if (!shard.equals("0/1")) {
                arguments.add("shard " + shard);
            }
            if (follow) {
                arguments.addAll(List.of("follow", group));
            }
            arguments.addAll(transform.asArguments());
            String followed = follow ? followFingerprint(storage) : null;
            // A group with offsets has followed before: the archive is in the target, and the topic goes on from them. A new
            // follower (or --fresh) restores the archive first: no other follower of its group may run meanwhile, and the
            // group's old offsets go first, so that an interrupted --fresh never continues from them.
            Map<Integer, Long> from = follow ? Follower.startingOffsets(kafka.settings(archive.topic), group, followed, fresh) : Map.of();
            if (!from.isEmpty()) {
                try (RejectFile rejectFile = new RejectFile(rejects, true); Targets target = targets(rejectFile, limit, requestTimeout, null)) {
                    // Relative times as the first run resolved them (its checkpoint says when): the followed range stays put.
                    long started = Checkpoint.startedAt(checkpointFile).orElse(System.currentTimeMillis());
                    Follow.run(out, followSettings(transforms, started, followed, requestTimeout), target.following(),
                            admin.or(Follow.ADMIN_PORT), from, true, target.into());
                    return rejectFile.count() > 0 && !allowRejects ? RewindCli.PROBLEMS : RewindCli.OK;
                }
            }
            if (writeMode == WriteMode.hfiles) {
                arguments.addAll(List.of(String.valueOf(hfilesDir), hfileSize));
            }
            String fingerprint = Restore.fingerprint(arguments);
            // With hfiles, one process at a time with this checkpoint, taken before the checkpoint or the reject file is opened.
            try (WorkDirLock alone = writeMode == WriteMode.hfiles ? WorkDirLock.acquire(BulkLoadRun.workDir(checkpointFile),
                    "restore") : null;
                    Checkpoint done = Checkpoint.open(checkpointFile, fingerprint, fresh);
                    RejectFile rejectFile = new RejectFile(rejects, done.continuing());
                    Targets target = targets(rejectFile, limit, requestTimeout, writeMode != WriteMode.hfiles ? null
                            : hfilesOf(checkpointFile, fingerprint))) {
                RestorePlan plan = restorePlan(out, storage, done, limit, checkpointFile, target.into());
                int exit = replay(out, storage, plan, transforms, target.target(), target.rows(), done, rejectFile, gaps, limit,
                        requestTimeout);
                if (!follow) {
                    return exit;
                }
                Map<Integer, Long> ends = new java.util.TreeMap<>();
                plan.kafka().forEach(p -> ends.put(p.partition(), p.end()));
                Follower.handOver(kafka.settings(archive.topic), group, followed, ends);
                Follow.run(out, followSettings(transforms, done.startedMs(), followed, requestTimeout), target.following(),
                        admin.or(Follow.ADMIN_PORT), ends, false, target.into());
                return exit != RewindCli.OK || rejectFile.count() > 0 && !allowRejects ? RewindCli.PROBLEMS : RewindCli.OK;
            }
        }
    }

    /**
     * What a follower's group follows, kept with its offsets: the archive, topic, selection, transforms and target (in any
     * order). Not the batch size, nor anything else a rerun may change without changing what the target holds.
     */
    private String followFingerprint(Storage storage) {
        List<String> what = new ArrayList<>(List.of(storage.uri().toString(), archive.topic, select.from, String.valueOf(
                followUnbounded ? "" : select.to), select.metrics.toString(), new java.util.TreeMap<>(select.tags).toString(),
                new java.util.TreeSet<>(targets.stream().map(URI::toString).toList()).toString(), String.valueOf(storageConfig),
                writeMode.name()));
        if (!shard.equals("0/1")) {
            what.add("shard " + shard);
        }
        what.addAll(transform.asArguments());
        return Restore.fingerprint(what);
    }

    /**
     * Where the points go: the TSDs over HTTP, or the cluster's tables (rows or points); and what the follower writes
     * with, which over HTTP retries each batch itself, for as long as it takes, and counts it: one attempt per call.
     */
    private record Targets(Target target, Target following, RowTarget rows, StorageTarget points, String into) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try (RowTarget r = rows; StorageTarget p = points) {
                // closed in this order
            }
        }
    }

    /**
     * The bulk load's settings: its work directory beside the checkpoint, its HFiles in a directory of this restore's own
     * (named after its command line and its checkpoint, so that two restores never share one).
     */
    private BulkLoad.Settings hfilesOf(Path checkpointFile, String fingerprint) {
        Path work = BulkLoadRun.workDir(checkpointFile);
        String base = hfilesDir != null ? hfilesDir.replaceFirst("/+$", "") : work.resolve("files").toUri().toString().replaceFirst("/+$", "");
        String own = Restore.fingerprint(List.of(fingerprint, checkpointFile.toAbsolutePath().toString(), host())).substring(0, 16);
        return bulkSettings(work, base + "/" + own);
    }

    /** This machine's name: two machines restoring with the same command line and checkpoint path share no directory. */
    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private BulkLoad.Settings bulkSettings(Path work, String files) {
        return new BulkLoad.Settings(work, files, Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 4),
                BulkLoadRun.size(hfileSize, "--hfile-size"), maxAttempts);
    }

    private Targets targets(RejectFile rejectFile, RateLimit limit, Duration requestTimeout, BulkLoad.Settings bulk) throws Exception {
        HttpTarget http = targets.isEmpty() ? null : new HttpTarget(new HttpTarget.Settings(targets, sync, gzip,
                requestTimeout, maxAttempts, BACKOFF_MIN, BACKOFF_MAX), rejectFile);
        StorageTarget.Settings direct = storageConfig == null ? null : new StorageTarget.Settings(storageConfig,
                requestTimeout, maxAttempts, BACKOFF_MIN, BACKOFF_MAX, http);
        boolean rowsMode = storageConfig != null && writeMode != WriteMode.points;
        RowTarget rowTarget = rowsMode ? RowTarget.open(direct, false, hbaseSettings, bulk, rejectFile) : null;
        StorageTarget pointTarget = direct != null && !rowsMode ? StorageTarget.open(direct, rejectFile) : null;
        Target target = Target.limited(rowTarget != null ? rowTarget : pointTarget != null ? pointTarget : http, limit);
        Target following = !follow || direct != null ? target : Target.limited(new HttpTarget(
                new HttpTarget.Settings(targets, sync, gzip, requestTimeout, 1, BACKOFF_MIN, BACKOFF_MAX), rejectFile), limit);
        return new Targets(target, following, rowTarget, pointTarget, storageConfig != null ? "the tables of " + storageConfig
                : targets.toString());
    }

    /** The plan of the range, with the Kafka tail when asked, said before anything is written. */
    private RestorePlan restorePlan(PrintWriter out, Storage storage, Checkpoint done, RateLimit limit, Path checkpointFile, String into)
            throws java.io.IOException {
        RestorePlan selected = plan(storage, selection(done.startedMs()));
        RestorePlan plan = replace ? selected.replacing() : selected;
        if (!plan.unreadable().isEmpty()) {
            throw new IllegalStateException("cannot read " + plan.unreadable().size() + " file(s) of the range: "
                    + String.join("; ", plan.unreadable()) + " (rewind verify names every problem)");
        }
        if (!json) {
            out.printf("Restoring %s of %s into %s: %d file(s), about %,d points%s.%n", Report.range(plan.selection()),
                    storage.uri(), into, plan.files(), plan.estimatedPoints(),
                    (plan.tail() != null ? String.format(" (%,d of them from the Kafka tail)", plan.tailPoints()) : "")
                            + (limit.limited() ? String.format(", at most %,.0f points/s", limit.perSecond()) : "")
                            + (done.continuing() ? ", continuing from " + checkpointFile : ""));
            Report.kafkaText(out, plan);
            out.flush();
        }
        return plan;
    }

    /** The plan replayed into the target, verified when asked, and reported; returns the exit code. */
    private int replay(PrintWriter out, Storage storage, RestorePlan plan, Transforms transforms, Target target, RowTarget rowTarget,
            Checkpoint done, RejectFile rejectFile, List<GapLedger.Hour> gaps, RateLimit limit, Duration requestTimeout) throws Exception {
        Restore.Counts progress = new Restore.Counts();
        Restore.Result result;
        BulkLoadRun.Outcome bulk = null;
        if (rowTarget != null && rowTarget.bulkLoad() != null) {
            bulk = BulkLoadRun.run(out, json, storage, plan, transforms, batchSize, parallelism, target, rowTarget.bulkLoad(), done,
                    rejectFile, progress, limit);
            result = bulk.result();
        } else {
            try (ProgressLine line = ProgressLine.start(plan.estimatedPoints(), progress, limit)) {
                result = Restore.run(storage, plan, transforms, batchSize, parallelism, target, done, progress);
            }
        }
        TargetVerifier.Report verification = verify
                ? TargetVerifier.verify(storage, plan, transforms, targets.get(0), requestTimeout) : null;
        ObjectNode summary = Report.restoreSummary(result, rejectFile, done, verification);
        Report.kafka(summary, plan);
        gapsToJson(summary, gaps);
        if (rowTarget != null) {
            Report.rowChanges(summary, rowTarget);
        }
        if (bulk != null) {
            BulkLoadRun.toJson(summary, bulk);
        }
        if (json) {
            out.println(summary.toPrettyString());
        } else {
            Report.restoreText(out, result, rejectFile, done, verification);
            if (rowTarget != null) {
                Report.rowChangesText(out, rowTarget, false);
            }
            if (!gaps.isEmpty() && follow) {
                out.printf("GAPS: %d hour(s) of the range hold points the archive lacks: run 'rewind heal', then restore those hours into"
                        + " the same target with this command without --follow and --group (a rerun of it follows on, it does not"
                        + " restore them again).%n", gaps.size());
            } else if (!gaps.isEmpty()) {
                out.printf("GAPS: %d hour(s) of the range hold points the archive lacks: run 'rewind heal', then this restore again%s.%n",
                        gaps.size(), allowGaps ? "" : " (exit 1; --allow-gaps exits 0)");
            }
        }
        out.flush();
        boolean rejected = rejectFile.count() > 0 && !allowRejects;
        boolean unequal = verification != null && !verification.equal();
        boolean gapsOpen = !gaps.isEmpty() && !allowGaps;
        return rejected || unequal || gapsOpen ? RewindCli.PROBLEMS : RewindCli.OK;
    }

    /** What --follow asks for, refused before anything is written when it cannot work. */
    private void checkFollow() {
        if (!kafka.given()) {
            throw new IllegalArgumentException("--follow reads the points topic: name its Kafka cluster with --bootstrap-servers");
        }
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("--follow needs a --group: the follower's Kafka consumer group, one per target, whose"
                    + " offsets say what the target holds");
        }
        if (select.asOf != null) {
            throw new IllegalArgumentException("--follow writes every new version as it arrives: it cannot restore --as-of a past time");
        }
        if (json) {
            throw new IllegalArgumentException("--follow prints a line a minute while it runs: --json goes with a restore of a range");
        }
        if (writeMode == WriteMode.hfiles) {
            throw new IllegalArgumentException("--follow writes each new point as it arrives: --write-mode=hfiles is for a range");
        }
        if (replace || verify) {
            throw new IllegalArgumentException("--follow never finishes: " + (replace ? "--replace" : "--verify")
                    + " goes with a restore of a range (run one first, then follow)");
        }
        if (TimeArgs.parseDuration(linger) < 1) {
            throw new IllegalArgumentException("--linger is at least 1ms: " + linger);
        }
        if (followBuffer < batchSize) {
            throw new IllegalArgumentException("--follow-buffer holds at least one batch (--batch-size " + batchSize + "): " + followBuffer);
        }
        if (!sync) {
            throw new IllegalArgumentException("--follow commits what the target has stored: it needs --sync (a TSD's answer to"
                    + " --no-sync does not say the points are stored)");
        }
        kafkaTail = true;
        followUnbounded = !spec.commandLine().getParseResult().hasMatchedOption("--to");
    }

    /** --follow without --to: every event time from --from on (the archive is read up to a day ahead of now). */
    private boolean followUnbounded;

    /** The selection, its relative times resolved against {@code nowMs}; without an end for --follow without --to. */
    private io.rewind.restore.plan.Selection selection(long nowMs) {
        io.rewind.restore.plan.Selection range = select.selection(nowMs).ofShard(io.rewind.archive.Shard.parse(shard));
        return followUnbounded
                ? new io.rewind.restore.plan.Selection(range.fromMs(), Long.MAX_VALUE, range.asOfMs(), range.metrics(), range.tags(),
                        range.shard())
                : range;
    }

    /**
     * The follower's settings: the restore's selection and transforms, without an end when --to was not given; a stop, or a
     * rebalance, waits up to 30 s for the batches in flight, and for a write under way up to the request's timeout.
     */
    private Follower.Settings followSettings(Transforms transforms, long startedMs, String fingerprint, Duration requestTimeout) {
        return new Follower.Settings(kafka.settings(archive.topic), group, fingerprint, selection(startedMs), transforms, batchSize,
                Duration.ofMillis(TimeArgs.parseDuration(linger)), parallelism, followBuffer, BACKOFF_MIN, BACKOFF_MAX, Duration.ofSeconds(30),
                // one write: a request over HTTP; into HBase, the storage target's own attempts
                requestTimeout.plusSeconds(5).multipliedBy(storageConfig == null ? 1 : maxAttempts));
    }
}
