package io.rewind.cli;

import io.rewind.archive.Sha256;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.archive.storage.Storage;
import io.rewind.baseline.BaselineRequest;
import io.rewind.baseline.BaselineRun;
import io.rewind.baseline.Shard;
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
            for (GapLedger.Hour hour : open) {
                String name = baselineName(hour);
                out.printf("%s %s: baseline '%s' of the live table %s%n", dryRun ? "Would heal" : "Healing", hourText(hour.hourStartMs()), name,
                        layout.dataTable());
                BaselineRun.Settings settings = new BaselineRun.Settings(name, Shard.parse("0/1"), true, null, reading.parallelism,
                        reading.rate(), rejectsDir.resolve("rewind-" + name + ".rejects.jsonl"), 2_000_000, reading.maxAttempts, reading.hbaseSettings,
                        true);
                long from = hour.hourStartMs();
                long to = from + Gap.HOUR_MS;
                int code;
                try {
                    code = BaselineCommand.run(out, settings, storage, archive.topic, layout, new BaselineRequest(null, layout.dataTable(),
                            Long.toString(from), from, Long.toString(to), to, hour.openMetrics()), dryRun);
                } catch (IllegalArgumentException e) {
                    out.printf("  NOT HEALED: %s%n", e.getMessage());
                    result = RewindCli.PROBLEMS;
                    continue;
                }
                if (dryRun) {
                    continue;
                }
                GapLedger.markHealed(storage, archive.topic, hour, name, System.currentTimeMillis());
                out.printf("  healed: %d gap(s) of %s recorded as healed by '%s'%n", hour.open().size(), hourText(hour.hourStartMs()), name);
                result = Math.max(result, code);
            }
            if (!dryRun && result == RewindCli.OK) {
                out.printf("Every open gap is healed (%d hour(s)). A restore of those hours now holds what OpenTSDB held.%n", open.size());
            }
            return result;
        }
    }

    /** The hour, its metrics, points and taps, as list and heal print them. */
    static String describe(GapLedger.Hour hour) {
        String metrics = hour.allMetrics() ? "every metric" : String.join(", ", hour.openMetrics());
        String taps = hour.open().stream().map(Gap::tap).distinct().sorted().collect(Collectors.joining(", "));
        return String.format("%s  %s  (%,d points, tap %s)", hourText(hour.hourStartMs()), metrics, hour.openPoints(), taps);
    }

    static String hourText(long hourStartMs) {
        return TimeArgs.format(hourStartMs);
    }

    /** One baseline per hour and set of open gaps: a rerun with the same gaps continues it; a new gap makes another. */
    static String baselineName(GapLedger.Hour hour) {
        String ids = hour.open().stream().map(Gap::id).sorted().collect(Collectors.joining(","));
        return "heal-" + HOUR_NAME.format(Instant.ofEpochMilli(hour.hourStartMs())) + "-"
                + java.util.HexFormat.of().formatHex(Sha256.digest().digest(ids.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
    }
}
