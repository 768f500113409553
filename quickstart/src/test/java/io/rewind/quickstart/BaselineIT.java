package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.CliRun;
import io.rewind.cli.RewindCli;
import io.rewind.service.TimeArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.Cell;
import org.apache.hadoop.hbase.CellUtil;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rewind baseline} against real TSDs on the dev stack's HBase: points written straight into a TSD (no tap), of
 * every value kind, at second and millisecond timestamps, in hours OpenTSDB has compacted and in the current one, on a
 * TSD with appends, one with salted tables and one with other UID widths; duplicates written over compacted rows; then
 * the baseline, a restore into a fresh TSD, and {@code /api/query} on both, series by series. And the baseline next to
 * the tap and the archiver, and a baseline killed midway and run again.
 */
@ExtendWith(DevStackExtension.class)
class BaselineIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HOUR_S = 3_600;
    private static final byte[] T = {'t'};

    @TempDir
    Path dir;

    /** A source TSD, its settings, and the metrics written into it. */
    record Source(String name, Map<String, String> settings) {
    }

    @Test
    void everyCellKindOfEveryLayoutIsBackedUpAndRestoresAsTheSourceAnswers(DevStack stack) throws Exception {
        Tsd target = stack.tsd("bl-copy", Map.of());
        List<Source> sources = List.of(
                new Source("bl-plain", Map.of("tsd.storage.fix_duplicates", "true")),
                new Source("bl-appends", Map.of("tsd.storage.enable_appends", "true")),
                new Source("bl-salted", Map.of("tsd.storage.salt.width", "1", "tsd.storage.salt.buckets", "8")),
                new Source("bl-widths", Map.of("tsd.storage.uid.width.metric", "4", "tsd.storage.uid.width.tagk", "2",
                        "tsd.storage.uid.width.tagv", "5")));
        long nowS = System.currentTimeMillis() / 1000;
        long firstHour = (nowS / HOUR_S - 4) * HOUR_S;
        for (Source source : sources) {
            Tsd tsd = stack.tsd(source.name(), source.settings());
            String metric = source.name().replace('-', '.');
            writeEveryKind(tsd, metric, firstHour, nowS, new Random(source.name().hashCode()));
            readAll(tsd, metric, firstHour, nowS); // a TSD compacts the old rows it reads
            try (Connection hbase = hbase(stack)) {
                String table = tsd.tablePrefix() + "tsdb";
                if (source.name().equals("bl-appends")) {
                    assertThat(cells(hbase, table).stream().map(StoredCell::qualifier).filter(q -> q.length == 3 && q[0] == 5).count())
                            .as("append cells").isPositive();
                } else {
                    Await.until("OpenTSDB to compact the old rows of " + table, Duration.ofMinutes(1), () -> { },
                            () -> cells(hbase, table).stream().map(StoredCell::qualifier).anyMatch(q -> q.length > 4 && (q[0] & 0xF0) != 0xF0));
                }
                if (source.name().equals("bl-plain")) {
                    overwriteCompactedPoints(hbase, table);
                }
            }

            CliRun baseline = baseline("--storage-config", tsd.configFile().toString(), "--archive", archive(source).toString(),
                    "--rejects", dir.resolve(source.name() + ".rejects.jsonl").toString());
            assertThat(baseline.exitCode()).as(baseline.out() + baseline.err()).isZero();
            if (source.name().equals("bl-plain")) {
                assertThat(baseline.out()).containsPattern("duplicate timestamps resolved: [1-9]");
            }
            // One snapshot read twice: by a scan of its clone through the region servers, and from its files without them. A
            // TSD rewrites the rows it reads (compaction, duplicates fixed), so only one instant compares cell for cell.
            String snapshot = "bl-files-" + source.name();
            try (Connection hbase = hbase(stack); Admin admin = hbase.getAdmin()) {
                admin.snapshot(snapshot, TableName.valueOf(tsd.tablePrefix() + "tsdb"));
            }
            Path byScan = dir.resolve("archive-scan-" + source.name());
            Path fromFiles = dir.resolve("archive-files-" + source.name());
            CliRun scanned = baseline("--storage-config", tsd.configFile().toString(), "--archive", byScan.toString(), "--snapshot",
                    snapshot, "--read", "scan", "--rejects", dir.resolve(source.name() + ".scan-rejects.jsonl").toString());
            assertThat(scanned.exitCode()).as(scanned.out() + scanned.err()).isZero();
            CliRun files = baseline("--storage-config", tsd.configFile().toString(), "--archive", fromFiles.toString(), "--snapshot",
                    snapshot, "--hbase-root", stack.hbase().rootDir(), "--parallelism", "3",
                    "--rejects", dir.resolve(source.name() + ".files-rejects.jsonl").toString());
            assertThat(files.exitCode()).as(files.out() + files.err()).isZero();
            assertThat(files.out()).as("--hbase-root reads the files").contains("the files of snapshot " + snapshot);
            assertThat(countLines(files.out())).as(source.name() + ": what the baseline from files counted")
                    .isEqualTo(countLines(scanned.out())).isNotEmpty();
            assertThat(export(fromFiles, firstHour, nowS).out()).as(source.name() + ": every point, from files and by scan")
                    .isEqualTo(export(byScan, firstHour, nowS).out()).isNotEmpty();
            if (source.name().equals("bl-plain")) {
                assertThat(files.out()).containsPattern("duplicate timestamps resolved: [1-9]");
            }
            Map<String, Map<String, Map<Long, JsonNode>>> expected = readAll(tsd, metric, firstHour, nowS);

            CliRun restore = restore("--archive", archive(source).toString(), "--from", Long.toString(firstHour * 1000),
                    "--to", Long.toString((nowS + 1) * 1000), "--target", target.httpUrl().toString(), "--rejects",
                    dir.resolve(source.name() + ".restore-rejects.jsonl").toString());
            assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
            assertThat(readAll(target, metric, firstHour, nowS)).as(source.name()).isEqualTo(expected);
            assertThat(expected.values().stream().mapToInt(series -> series.values().stream().mapToInt(Map::size).sum()).sum())
                    .as("points of " + source.name()).isGreaterThan(1_000);
        }
    }

    @Test
    void aBaselineTakenAfterTheTapWentInHoldsEachPointOnceWithTheArchive(DevStack stack) throws Exception {
        Tsd source = stack.tsd("bl-overlap", Map.of());
        Tsd target = stack.tsd("bl-overlap-copy", Map.of());
        long nowS = System.currentTimeMillis() / 1000;
        long firstHour = (nowS / HOUR_S - 3) * HOUR_S;
        String metric = "bl.overlap";
        int before = writeEveryKind(source, metric + ".before", firstHour, firstHour + 2 * HOUR_S, new Random(1));
        Path work = dir.resolve("pipeline");
        int after;
        try (Pipeline pipeline = Pipeline.start(stack, source, work, Duration.ofSeconds(2))) {
            TsdClient tap = new TsdClient("127.0.0.1", pipeline.tap().port());
            long inKafka = pipeline.pointsArchived();
            // Through the tap: new points, and points the cluster held before (the same values again: the overlap).
            after = writeEveryKind(tap, metric + ".after", firstHour + HOUR_S, nowS, new Random(2));
            after += writeEveryKind(tap, metric + ".before", firstHour, firstHour + 2 * HOUR_S, new Random(1));
            long expected = inKafka + after;
            Await.until("the archiver to write the points written through the tap", Duration.ofMinutes(2), () -> { },
                    () -> pipeline.pointsArchived() >= expected);
        }
        CliRun baseline = baseline("--storage-config", source.configFile().toString(), "--archive", work.resolve("archive").toString(),
                "--rejects", dir.resolve("overlap.rejects.jsonl").toString());
        assertThat(baseline.exitCode()).as(baseline.out() + baseline.err()).isZero();

        CliRun list = list("--archive", work.resolve("archive").toString());
        assertThat(list.out()).contains("Baseline 'bl-overlap-tsdb'").contains("overlap");
        CliRun restore = restore("--archive", work.resolve("archive").toString(), "--from", Long.toString(firstHour * 1000),
                "--to", Long.toString((nowS + 1) * 1000), "--metric", metric + ".*", "--target", target.httpUrl().toString(),
                "--rejects", dir.resolve("overlap.restore-rejects.jsonl").toString(), "--verify");
        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        Map<String, Map<String, Map<Long, JsonNode>>> sourceSeries = readAll(source, metric + ".before", firstHour, nowS);
        sourceSeries.putAll(readAll(source, metric + ".after", firstHour, nowS));
        Map<String, Map<String, Map<Long, JsonNode>>> restored = readAll(target, metric + ".before", firstHour, nowS);
        restored.putAll(readAll(target, metric + ".after", firstHour, nowS));
        assertThat(restored).isEqualTo(sourceSeries);
        long distinct = sourceSeries.values().stream().flatMap(m -> m.values().stream()).mapToLong(Map::size).sum();
        assertThat(distinct).isEqualTo(before + after - before); // the rewrites of the "before" points are the same points
        assertThat(restore.out()).as("each point restored once").contains(String.format("Restored %,d points", distinct));
    }

    @Test
    void aBaselineKilledMidwayAndRunAgainHoldsWhatAnUninterruptedOneHolds(DevStack stack) throws Exception {
        Tsd source = stack.tsd("bl-killed", Map.of());
        long nowS = System.currentTimeMillis() / 1000;
        long firstHour = (nowS / HOUR_S - 6) * HOUR_S;
        for (int m = 0; m < 4; m++) {
            writeEveryKind(source, "bl.killed.m" + m, firstHour, nowS, new Random(m));
        }
        String table = source.tablePrefix() + "tsdb";
        try (Connection hbase = hbase(stack); Admin admin = hbase.getAdmin()) {
            // Two regions, so that the killed run leaves a range done and a range under way.
            TableName name = TableName.valueOf(table);
            admin.flush(name);
            admin.split(name, new byte[] {0, 0, 3});
            Await.until("HBase to split " + table, Duration.ofMinutes(1), () -> { }, () -> admin.getRegions(name).size() >= 2);
        }
        Path whole = dir.resolve("whole");
        Path killed = dir.resolve("killed");
        CliRun uninterrupted = baseline("--storage-config", source.configFile().toString(), "--archive", whole.toString(),
                "--rejects", dir.resolve("whole.rejects.jsonl").toString(), "--buffer-points", "500");
        assertThat(uninterrupted.exitCode()).as(uninterrupted.out() + uninterrupted.err()).isZero();

        Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RewindCli.class.getName(), "baseline", "--storage-config", source.configFile().toString(),
                "--archive", killed.toString(), "--rejects", dir.resolve("killed.rejects.jsonl").toString(), "--buffer-points", "500",
                "--parallelism", "1", "--max-rate", "1000").redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
        try {
            String state = ArchiveLayout.baselineState("points", "bl-killed-tsdb", 0, 1);
            Await.until("the baseline to finish a key range and write files of the next", Duration.ofMinutes(2), () -> {
                if (!run.isAlive()) {
                    throw new IllegalStateException("the baseline ended before it was killed; its log is " + dir.resolve("killed.log"));
                }
            }, () -> {
                Path file = killed.resolve(state);
                if (!Files.exists(file)) {
                    return false;
                }
                JsonNode json = JSON.readTree(file.toFile());
                return json.path("done").size() >= 1 && json.path("underway").elements().hasNext()
                        && json.path("underway").elements().next().size() >= 1;
            });
        } finally {
            run.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        CliRun rerun = baseline("--storage-config", source.configFile().toString(), "--archive", killed.toString(),
                "--rejects", dir.resolve("killed.rejects.jsonl").toString(), "--buffer-points", "500");
        assertThat(rerun.exitCode()).as(rerun.out() + rerun.err()).isZero();

        assertThat(pointsInFiles(killed)).as("points stored, none twice").isEqualTo(pointsInFiles(whole));
        CliRun wholeExport = export(whole, firstHour, nowS);
        CliRun killedExport = export(killed, firstHour, nowS);
        assertThat(killedExport.out()).isEqualTo(wholeExport.out());
        assertThat(wholeExport.out().lines().count()).isEqualTo(pointsInFiles(whole));
        // Not only the same as an uninterrupted run: restored into a TSD of its own, what the source TSD answers, point for point.
        Tsd restored = stack.tsd("bl-killed-restored", Map.of());
        CliRun restore = restore("--archive", killed.toString(), "--from", Long.toString(firstHour * 1000), "--to",
                Long.toString((nowS + 1) * 1000), "--target", restored.httpUrl().toString(), "--rejects",
                dir.resolve("killed.restore-rejects.jsonl").toString());
        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        for (int m = 0; m < 4; m++) {
            String metric = "bl.killed.m" + m;
            assertThat(readAll(restored, metric, firstHour, nowS)).as(metric).isEqualTo(readAll(source, metric, firstHour, nowS));
        }
        CliRun again = baseline("--storage-config", source.configFile().toString(), "--archive", killed.toString(),
                "--rejects", dir.resolve("killed.rejects.jsonl").toString());
        assertThat(again.out()).contains("is complete since");
    }

    /** Every point the baseline's files hold, counted from the files themselves (a point written twice counts twice). */
    private static long pointsInFiles(Path archive) throws IOException {
        long points = 0;
        // The archive's own listing, as a restore reads it: a killed run's unpublished temporary files are not points stored.
        try (LocalStorage storage = new LocalStorage(archive); Stream<Storage.ObjectInfo> objects = storage.list(ArchiveLayout.VERSION + "/")) {
            for (String key : objects.map(Storage.ObjectInfo::key).filter(k -> k.endsWith(".avro")).toList()) {
                try (SegmentReader reader = SegmentFiles.open(storage, key, id -> true)) {
                    points += reader.metadata().pointCount();
                }
            }
        }
        return points;
    }

    /**
     * Writes points of three series straight into a TSD (or through the tap): every value kind a TSD stores (integers of 1,
     * 2, 4 and 8 bytes, floats stored on 4 bytes and on 8), at second and millisecond timestamps, every 30 s from
     * {@code fromS} to {@code toS}. Returns the number of points.
     */
    private static int writeEveryKind(Tsd tsd, String metric, long fromS, long toS, Random random) {
        return writeEveryKind(TsdClient.of(tsd), metric, fromS, toS, random);
    }

    private static int writeEveryKind(TsdClient client, String metric, long fromS, long toS, Random random) {
        List<String> values = List.of("7", "-300", "70000", "123456789012", "1.5", "0.1", "-2.75e12", "1e-7");
        int n = 0;
        StringBuilder batch = new StringBuilder();
        int inBatch = 0;
        for (long ts = fromS; ts < toS; ts += 30) {
            for (String host : List.of("a", "b", "c")) {
                boolean ms = random.nextInt(3) == 0;
                String timestamp = ms ? Long.toString(ts * 1000 + random.nextInt(1000)) : Long.toString(ts);
                String value = values.get(random.nextInt(values.size()));
                batch.append(inBatch == 0 ? "[" : ",").append(String.format(
                        "{\"metric\":\"%s\",\"timestamp\":%s,\"value\":%s,\"tags\":{\"host\":\"%s\",\"dc\":\"lga\"}}", metric, timestamp, value, host));
                inBatch++;
                n++;
                if (inBatch == 500) {
                    put(client, batch.append("]").toString());
                    batch.setLength(0);
                    inBatch = 0;
                }
            }
        }
        if (inBatch > 0) {
            put(client, batch.append("]").toString());
        }
        return n;
    }

    private static void put(TsdClient client, String json) {
        TsdClient.Response response = client.post("/api/put?details&sync", json, false);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    /** Every series of the metric as the TSD answers {@code /api/query}: tags, then timestamp to value. */
    private static Map<String, Map<String, Map<Long, JsonNode>>> readAll(Tsd tsd, String metric, long fromS, long toS) {
        Map<String, Map<String, Map<Long, JsonNode>>> all = new TreeMap<>();
        all.put(metric, TsdClient.of(tsd).pointsBySeries(metric, fromS * 1000, toS * 1000 + 999));
        return all;
    }

    /** Writes, over some points of compacted rows, a single cell of the same second with another value: a duplicate timestamp. */
    private static void overwriteCompactedPoints(Connection hbase, String table) throws IOException {
        List<Put> puts = new ArrayList<>();
        for (StoredCell cell : cells(hbase, table)) {
            byte[] q = cell.qualifier();
            if (q.length > 4 && (q[0] & 0xF0) != 0xF0 && puts.size() < 20) {
                // The first point's offset with a 1-byte integer: the same second, another value, a newer cell.
                puts.add(new Put(cell.row()).addColumn(T, new byte[] {q[0], (byte) (q[1] & 0xF0)}, new byte[] {42}));
            }
        }
        try (Table t = hbase.getTable(TableName.valueOf(table))) {
            t.put(puts);
        }
        assertThat(puts).isNotEmpty();
    }

    /** A cell of the table: its row key and qualifier. */
    record StoredCell(byte[] row, byte[] qualifier) {
    }

    /** Every cell of a table. */
    private static List<StoredCell> cells(Connection hbase, String table) throws IOException {
        List<StoredCell> cells = new ArrayList<>();
        try (Table t = hbase.getTable(TableName.valueOf(table)); ResultScanner rows = t.getScanner(new Scan().addFamily(T))) {
            for (Result row : rows) {
                for (Cell cell : row.rawCells()) {
                    cells.add(new StoredCell(row.getRow(), CellUtil.cloneQualifier(cell)));
                }
            }
        }
        return cells;
    }

    /** A baseline's counts: its points, rows, duplicates, skipped cells (not its times). */
    private static List<String> countLines(String out) {
        return out.lines().filter(l -> l.contains("duplicate timestamps") || l.contains("cells without plain points")
                || l.startsWith("Baseline '") && l.contains("complete:")).map(l -> l.replaceAll(", [0-9,]+ files, in .*", "")).toList();
    }

    private static Connection hbase(DevStack stack) throws IOException {
        Configuration conf = HBaseConfiguration.create();
        conf.set("hbase.zookeeper.quorum", stack.hbase().zookeeperQuorum());
        return ConnectionFactory.createConnection(conf);
    }

    private Path archive(Source source) {
        return dir.resolve("archive-" + source.name());
    }

    private static CliRun baseline(String... args) {
        return CliRun.of(Stream.concat(Stream.of("baseline"), Stream.of(args)).toArray(String[]::new));
    }

    private static CliRun restore(String... args) {
        return CliRun.of(Stream.concat(Stream.of("restore"), Stream.of(args)).toArray(String[]::new));
    }

    private static CliRun list(String... args) {
        return CliRun.of(Stream.concat(Stream.of("list"), Stream.of(args)).toArray(String[]::new));
    }

    private CliRun export(Path archive, long fromS, long toS) throws IOException {
        Path file = dir.resolve(archive.getFileName() + ".export.txt");
        CliRun run = CliRun.of("export", "--archive", archive.toString(), "--from", TimeArgs.format(fromS * 1000),
                "--to", TimeArgs.format((toS + 1) * 1000), "--output", file.toString());
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        return new CliRun(run.exitCode(), Files.readString(file), run.err());
    }
}
