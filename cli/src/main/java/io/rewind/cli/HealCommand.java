package io.rewind.cli;

import io.rewind.archive.Sha256;
import io.rewind.archive.Shard;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.archive.storage.Storage;
import io.rewind.baseline.BaselineRequest;
import io.rewind.baseline.BaselineRun;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.OpenTsdbClient;
import io.rewind.schema.Gap;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code rewind heal}: closes the archive's gaps. For each hour with a gap still open it runs a baseline of exactly the metrics
 * of those gaps (every metric when a gap covers them all) over exactly that hour, read from the cluster's live HBase table, then
 * records the gaps healed. A rerun continues an hour's baseline where it stopped; an hour healed is never read again, and a gap
 * published later for a healed hour is healed by the next run.
 */
@Command(name = "heal", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Takes the points the taps let through without backing them up (their gaps: a Kafka outage longer than the",
                "spool, a tap stopped with points it could not keep) from the cluster's HBase tables into the archive: for each",
                "hour with an open gap, a baseline of just its metrics over just that hour, then the gaps are recorded healed.",
                "'rewind list' shows the gaps, open and healed.",
                "Exit codes: 0 every gap healed (or none open); 1 some hour could not be healed, or cells were rejected;",
                "2 the command line is wrong; 3 the archive or HBase could not be read."})
public final class HealCommand implements Callable<Integer> {
    private static final DateTimeFormatter HOUR_NAME = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    @Mixin
    ArchiveOptions archive;

    @Option(names = "--storage-config", required = true, paramLabel = "FILE",
            description = {"A TSD's opentsdb.conf of the cluster the taps write to: ZooKeeper quorum and base znode, table names,",
                    "salt and UID widths."})
    Path storageConfig;

    @Option(names = "--dry-run", description = "Print the open gaps and the rows each heal would read, and read nothing.")
    boolean dryRun;

    @Option(names = "--settle", defaultValue = "5m", paramLabel = "DURATION",
            description = {"Leave for a later run the hours whose last point let through arrived less than this ago: the TSDs may",
                    "still be writing them to HBase (default: ${DEFAULT-VALUE})."})
    String settle;

    @Option(names = "--allow-empty", description = {"Record an hour healed even when the cluster holds none of its gaps' points (the TSDs",
            "refused them too); without it such an hour stays open, since the likelier cause is the wrong --storage-config."})
    boolean allowEmpty;

    @Option(names = "--accept-incomplete", description = {"Record an hour healed even when heal could not take all of its points: cells",
            "its baseline rejected, rollups or histograms (said for each hour; those points stay out of the archive)."})
    boolean acceptIncomplete;

    @Option(names = "--rejects-dir", defaultValue = ".", paramLabel = "DIR",
            description = "Where each hour's rows and cells the codec cannot read go, rewind-heal-HOUR-ID.rejects.jsonl (default: here).")
    Path rejectsDir;

    @Mixin
    HBaseReadOptions reading;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        reading.check();
        OpenTsdbClient.requireReadable(storageConfig);
        StorageLayout layout = StorageLayout.fromConfig(storageConfig);
        try (Storage storage = archive.open()) {
            GapLedger ledger = GapLedger.read(storage, archive.topic);
            ledger.unreadable().forEach(u -> out.println("UNREADABLE gap record " + u));
            List<GapLedger.Hour> open = ledger.open();
            if (open.isEmpty()) {
                out.printf("No gap open in %s (topic %s): every point the taps let through without backup is healed.%n", storage.uri(),
                        archive.topic);
                return ledger.unreadable().isEmpty() ? RewindCli.OK : RewindCli.PROBLEMS;
            }
            out.printf("%d hour(s) with open gaps in %s (topic %s), %,d points let through without backup:%n", open.size(), storage.uri(),
                    archive.topic, open.stream().mapToLong(GapLedger.Hour::openPoints).sum());
            open.forEach(hour -> out.println("  " + describe(hour)));
            int result = ledger.unreadable().isEmpty() ? RewindCli.OK : RewindCli.PROBLEMS;
            long now = System.currentTimeMillis();
            long settleMs = TimeArgs.parseDuration(settle);
            int healed = 0;
            for (GapLedger.Hour hour : open) {
                long lastMissed = hour.open().stream().mapToLong(Gap::lastMissedMs).max().orElse(0);
                if (lastMissed > now - settleMs) {
                    // The TSDs may still be writing those points to HBase (the incident that kept Kafka away may keep HBase away too).
                    out.printf("Waiting %s: its last point let through arrived at %s, less than --settle %s ago; rerun heal after %s%n",
                            hourText(hour.hourStartMs()), TimeArgs.format(lastMissed), settle, TimeArgs.format(lastMissed + settleMs));
                    result = RewindCli.PROBLEMS;
                    continue;
                }
                String name = baselineName(hour, layout);
                out.printf("%s %s: baseline '%s' of the live table %s%n", dryRun ? "Would heal" : "Healing", hourText(hour.hourStartMs()), name,
                        layout.dataTable());
                BaselineRun.Settings settings = new BaselineRun.Settings(name, Shard.parse("0/1"), true, null, reading.parallelism,
                        reading.rate(), rejectsDir.resolve("rewind-" + name + ".rejects.jsonl"), 2_000_000, reading.maxAttempts, reading.hbaseSettings,
                        true);
                long from = hour.hourStartMs();
                long to = from + Gap.HOUR_MS;
                BaselineCommand.Ran ran;
                try {
                    ran = BaselineCommand.run(out, settings, storage, archive.topic, layout, new BaselineRequest(null, layout.dataTable(),
                            Long.toString(from), from, Long.toString(to), to, hour.openMetrics()), dryRun);
                } catch (IllegalArgumentException e) {
                    out.printf("  NOT HEALED: %s%n", e.getMessage());
                    result = RewindCli.PROBLEMS;
                    continue;
                }
                if (dryRun) {
                    long unhealable = unhealable(hour);
                    if (unhealable > 0) {
                        out.printf("  %,d points of its gaps are rollups or histograms, which heal cannot read back%n", unhealable);
                        result = RewindCli.PROBLEMS;
                    }
                    continue;
                }
                String empty = empty(hour, ran);
                String incomplete = incomplete(hour, ran);
                if (empty != null || incomplete != null && !acceptIncomplete) {
                    out.printf("  NOT HEALED, the gaps stay open: %s%n", empty != null ? empty
                            : incomplete + " (--accept-incomplete records it healed all the same)");
                    result = RewindCli.PROBLEMS;
                    continue;
                }
                if (incomplete != null) {
                    out.printf("  healed INCOMPLETE (--accept-incomplete): %s%n", incomplete);
                }
                GapLedger.markHealed(storage, archive.topic, hour, name, System.currentTimeMillis());
                out.printf("  healed: %d gap(s) of %s recorded as healed by '%s'%n", hour.open().size(), hourText(hour.hourStartMs()), name);
                healed++;
            }
            if (!dryRun && result == RewindCli.OK) {
                out.printf("Every open gap is healed (%d hour(s)). A restore of those hours now holds what OpenTSDB held.%n", healed);
            }
            return result;
        }
    }

    /**
     * Why an hour whose baseline ran left points out of the archive, or null when it left none: cells the codec could not read
     * (they are in the rejects file), or points of kinds heal cannot read back. {@code --accept-incomplete} records it healed.
     */
    private static String incomplete(GapLedger.Hour hour, BaselineCommand.Ran ran) {
        if (ran.code() != RewindCli.OK) {
            return "the baseline rejected cells it could not read (see its rejects file): those points are not in the archive";
        }
        long unhealable = unhealable(hour);
        if (unhealable > 0) {
            return String.format("%,d points of the gaps are rollups or histograms, which heal cannot read back (OpenTSDB keeps rollups in"
                    + " tables of their own, and a baseline reads plain points); their plain points were read. Restore them from where they"
                    + " were computed; a restore of this hour says the gaps are open", unhealable);
        }
        return null;
    }

    /**
     * Why an hour whose baseline read nothing for gaps that hold points is not healed (the wrong cluster, most likely), or null;
     * only {@code --allow-empty} records it healed.
     */
    private String empty(GapLedger.Hour hour, BaselineCommand.Ran ran) {
        if (ran.points() == 0 && hour.openPoints() > 0 && !allowEmpty) {
            return String.format("the cluster holds no point of %s in that hour, though the taps let %,d through to it: is --storage-config"
                    + " the cluster the taps write to? (--allow-empty records the gaps healed all the same, when the TSDs refused those"
                    + " points)", hour.allMetrics() ? "any metric" : String.join(", ", hour.openMetrics()), hour.openPoints());
        }
        return null;
    }

    /** Points of the hour's open gaps that heal cannot read back: rollups and histograms. */
    private static long unhealable(GapLedger.Hour hour) {
        return hour.open().stream().filter(g -> !g.healable()).mapToLong(Gap::points).sum();
    }

    /** The hour, its metrics, points and taps, as list and heal print them. */
    static String describe(GapLedger.Hour hour) {
        String metrics = hour.allMetrics() ? "every metric" : String.join(", ", hour.openMetrics());
        String taps = hour.open().stream().map(Gap::tap).distinct().sorted().collect(Collectors.joining(", "));
        return String.format("%s  %s  (%,d points, tap %s)", hourText(hour.hourStartMs()), metrics, hour.openPoints(), taps);
    }

    /** The hour as list and restore give it in JSON: its open gaps, what they cover, and the gaps healed and by which heal. */
    static void toJson(com.fasterxml.jackson.databind.node.ObjectNode node, GapLedger.Hour hour) {
        node.put("hourStartMs", hour.hourStartMs()).put("hour", hourText(hour.hourStartMs())).put("open", !hour.open().isEmpty())
                .put("allMetrics", hour.allMetrics()).put("openPoints", hour.openPoints());
        hour.openMetrics().forEach(node.putArray("openMetrics")::add);
        hour.open().forEach(g -> node.withArray("openGaps").add(g.id()));
        hour.healed().forEach(g -> node.withArray("healedGaps").add(g.id()));
        hour.healedBy().forEach(b -> node.withArray("healedBy").add(b));
    }

    static String hourText(long hourStartMs) {
        return TimeArgs.format(hourStartMs);
    }

    /**
     * One baseline per hour, set of open gaps and cluster: a rerun with the same gaps from the same cluster continues it; a new
     * gap, or another cluster (a first run pointed at the wrong one), makes another.
     */
    static String baselineName(GapLedger.Hour hour, StorageLayout layout) {
        String ids = hour.open().stream().map(Gap::id).sorted().collect(Collectors.joining(",")) + "|" + layout.zkQuorum() + "|"
                + layout.zkBaseDir() + "|" + layout.dataTable();
        return "heal-" + HOUR_NAME.format(Instant.ofEpochMilli(hour.hourStartMs())) + "-"
                + java.util.HexFormat.of().formatHex(Sha256.digest().digest(ids.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
    }
}
