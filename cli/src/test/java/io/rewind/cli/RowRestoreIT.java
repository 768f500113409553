package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.CliRun;
import io.rewind.restore.TestArchive;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.Cell;
import org.apache.hadoop.hbase.CellUtil;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore's row writer against real TSDs and their HBase: the rows it writes are, cell for cell, the rows OpenTSDB
 * writes and compacts from the same points; a cluster whose rows hold garbage answers queries again after a restore;
 * a restore killed and run again leaves the rows an uninterrupted one leaves.
 */
@ExtendWith(DevStackExtension.class)
class RowRestoreIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HOUR = TestArchive.HOUR;
    private static final byte[] T = {'t'};

    @TempDir
    Path work;

    @Test
    void rowsWrittenByTheRestoreHoldTheCellsOpenTsdbWritesAndCompactsFromTheSamePoints(DevStack stack) throws Exception {
        long firstHour = (System.currentTimeMillis() / HOUR - 5) * HOUR; // hours a TSD compacts when it reads them
        for (Map<String, String> layout : List.of(Map.<String, String>of(),
                Map.of("tsd.storage.salt.width", "1", "tsd.storage.salt.buckets", "4"))) {
            String name = layout.isEmpty() ? "rows-plain" : "rows-salted";
            Tsd written = stack.tsd(name + "-tsd", layout);
            Tsd restored = stack.tsd(name + "-restored", layout);
            Tsd bulkLoaded = stack.tsd(name + "-hfiles", layout);
            List<Point> points = randomPoints("rows.diff", firstHour, 3, new Random(name.hashCode()));
            assignUids(points, written, restored, bulkLoaded);

            // Over telnet: a TSD's HTTP put stores every float on 8 bytes (a cast in its PutDataPointRpc), its telnet put on 4
            // where the float holds the value exactly, as the restore does.
            for (int i = 0; i < points.size(); i += 5000) {
                List<String> lines = points.subList(i, Math.min(points.size(), i + 5000)).stream().map(RowRestoreIT::putLine).toList();
                assertThat(TsdClient.of(written).telnet(lines)).isEmpty();
            }
            try (Connection hbase = hbase(stack)) {
                String table = written.tablePrefix() + "tsdb";
                compacted(hbase, written, points, firstHour, 3);
                CliRun run = restore(archive(points, firstHour + 4 * HOUR), firstHour, firstHour + 3 * HOUR,
                        "--storage-config", restored.configFile().toString(), "--batch-size", "500", "--parallelism", "3");
                assertThat(run.exitCode()).as(run.out() + run.err()).isZero();

                Map<String, Map<String, String>> compactedByOpenTsdb = rows(hbase, table);
                assertThat(compactedByOpenTsdb).hasSizeGreaterThan(30);
                assertSameRows(rows(hbase, restored.tablePrefix() + "tsdb"), compactedByOpenTsdb, name);

                // The same rows as HFiles, bulk-loaded: unsalted, by two shards, each its own files; salted, into a table of
                // two regions, the files cut at the regions' boundary.
                Path archive = archive(points, firstHour + 4 * HOUR);
                String bulkTable = bulkLoaded.tablePrefix() + "tsdb";
                if (!layout.isEmpty()) {
                    split(hbase, bulkTable, new byte[] {2});
                }
                List<String> shards = layout.isEmpty() ? List.of("0/2", "1/2") : List.of("0/1");
                for (String shard : shards) {
                    CliRun bulk = restore(archive, firstHour, firstHour + 3 * HOUR, "--storage-config", bulkLoaded.configFile().toString(),
                            "--write-mode", "hfiles", "--shard", shard, "--target", bulkLoaded.httpUrl().toString(), "--verify",
                            "--checkpoint", work.resolve(name + "-" + shard.replace('/', '-') + ".checkpoint").toString());
                    assertThat(bulk.exitCode()).as(bulk.out() + bulk.err()).isZero();
                    assertThat(bulk.out()).as(bulk.out()).contains("HFiles: wrote").contains("HFiles: bulk-loaded")
                            .doesNotContain("bulk-loaded 0 file");
                }
                assertSameRows(rows(hbase, bulkTable), compactedByOpenTsdb, name + ", bulk-loaded");
            }
        }
    }

    @Test
    void aClusterWithGarbageOverItsCompactedRowsAnswersAgainAfterARestoreAndReplaceLeavesExactlyTheArchive(DevStack stack)
            throws Exception {
        Tsd production = stack.tsd("rows-incident", Map.of());
        long firstHour = (System.currentTimeMillis() / HOUR - 5) * HOUR;
        Random random = new Random(23);
        List<Point> good = randomPoints("rows.incident", firstHour, 3, random);
        RestoreIT.write(production, good);
        try (Connection hbase = hbase(stack)) {
            compacted(hbase, production, good, firstHour, 3);
        }
        // The incident, archived as the tap archives it: other values over some good points (the same kind, another kind),
        // points at new timestamps, and a series that did not exist before.
        List<Point> garbage = new ArrayList<>();
        for (int i = 0; i < good.size(); i += 7) {
            Point p = good.get(i);
            Object other = i % 2 == 0 ? (p.getValue() instanceof Long l ? (Object) (l + 1) : (Object) ((Double) p.getValue() + 1))
                    : (p.getValue() instanceof Long l ? (Object) (l + 0.5) : (Object) 77L);
            garbage.add(TestArchive.point(p.getMetric(), p.getTimestampMs(), p.getPrecision(), other, p.getTags()));
            garbage.add(TestArchive.point(p.getMetric(), p.getTimestampMs() + 1, TimestampPrecision.MILLISECONDS, -1L, p.getTags()));
        }
        Map<String, String> newSeries = Map.of("host", "garbage");
        for (int s = 0; s < 50; s++) {
            garbage.add(TestArchive.point("rows.incident.m0", firstHour + s * 60_000L, TimestampPrecision.SECONDS, 666L, newSeries));
        }
        RestoreIT.write(production, garbage);
        // The garbage at new timestamps written once more, other values: each such cell now has an older version in HBase,
        // which a restore that deleted only the version it read would bring back.
        List<Point> rewritten = garbage.stream().filter(p -> p.getPrecision() == TimestampPrecision.MILLISECONDS
                && p.getValue() instanceof Long l && l == -1L).map(p -> TestArchive.point(p.getMetric(), p.getTimestampMs(),
                        p.getPrecision(), -2L, p.getTags())).toList();
        RestoreIT.write(production, rewritten);
        garbage.addAll(rewritten);
        // A series the archive never saw, written straight to the TSD: a restore never touches it.
        List<Point> elsewhere = List.of(TestArchive.point("rows.incident.m0", firstHour + 5_000, TimestampPrecision.SECONDS, 5L,
                Map.of("host", "untracked")));
        RestoreIT.write(production, elsewhere);
        TsdClient.Response broken = query(production, "rows.incident.m0", firstHour, firstHour + 3 * HOUR - 1);
        assertThat(broken.body()).as("the incident: OpenTSDB cannot read the metric").contains("Duplicate timestamp");

        long goodIngest = firstHour + 4 * HOUR;
        long asOf = goodIngest + 60_000;
        Path archive = work.resolve("archive");
        try (LocalStorage storage = new LocalStorage(archive)) {
            TestArchive writer = new TestArchive(storage, 2);
            writer.commit(TestArchive.ingestedAt(good, goodIngest));
            writer.commit(TestArchive.ingestedAt(garbage, asOf + 60_000));
        }
        List<String> asOfArgs = List.of("--as-of", Long.toString(asOf), "--storage-config", production.configFile().toString(),
                "--batch-size", "400", "--parallelism", "3");

        // Another client writes other series into the cluster all along, one second after another, each acknowledged once
        // HBase holds it (sync): what it wrote is known point for point, and no restore may change it.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        List<Point> livePoints = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Throwable> liveFailed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread live = new Thread(() -> {
            try {
                for (int s = 0; writing.get() && s < 3 * 3600; s++) {
                    long t = firstHour + s * 1000L;
                    List<Point> two = List.of(TestArchive.point("rows.live", t, TimestampPrecision.SECONDS, (long) s, Map.of("host", "live")),
                            TestArchive.point("rows.incident.m1", t, TimestampPrecision.SECONDS, (long) s, Map.of("host", "live")));
                    RestoreIT.write(production, two);
                    livePoints.addAll(two);
                    written.addAndGet(2);
                }
            } catch (Throwable e) {
                liveFailed.set(e);
            }
        });
        live.start();
        try {
            CliRun dryRun = restore(archive, firstHour, firstHour + 3 * HOUR, Stream.concat(asOfArgs.stream(),
                    Stream.of("--replace", "--dry-run")).toArray(String[]::new));
            assertThat(dryRun.exitCode()).as(dryRun.out() + dryRun.err()).isZero();
            assertThat(dryRun.out()).contains("Rows: would write").containsPattern("rows\\.incident\\.m0 +[0-9,]+ +[1-9][0-9,]* +[1-9]");
            CliRun dryRunJson = restore(archive, firstHour, firstHour + 3 * HOUR, Stream.concat(asOfArgs.stream(),
                    Stream.of("--replace", "--dry-run", "--json")).toArray(String[]::new));
            JsonNode plan = JSON.readTree(dryRunJson.out()); // one document: the plan and the rows it would change
            assertThat(plan.path("pointsPerMetric").path("rows.incident.m0").asLong()).isPositive();
            assertThat(plan.path("rows").path("pointsPerMetric").path("rows.incident.m0").path("overwritten").asLong()).isPositive();
            assertThat(plan.path("rows").path("pointsPerMetric").path("rows.incident.m0").path("deleted").asLong()).isPositive();
            assertThat(query(production, "rows.incident.m0", firstHour, firstHour + 3 * HOUR - 1).body())
                    .as("a dry run changes nothing").contains("Duplicate timestamp");

            CliRun repair = restore(archive, firstHour, firstHour + 3 * HOUR, asOfArgs.toArray(String[]::new));
            assertThat(repair.exitCode()).as(repair.out() + repair.err()).isZero();
            assertThat(repair.out()).containsPattern("[1-9][0-9,]* overwritten");
            for (String metric : metrics(good)) {
                Map<String, Map<Long, String>> answer = RestoreIT.series(production, metric, firstHour, firstHour + 3 * HOUR - 1);
                Map<String, Map<Long, String>> expected = RestoreIT.expected(good, metric, metric);
                expected.forEach((series, pointsOf) -> assertThat(answer.get(series)).as(metric + series).containsAllEntriesOf(pointsOf));
                assertThat(answer.values().stream().mapToInt(Map::size).sum()).as("the garbage at new timestamps stays")
                        .isGreaterThan(expected.values().stream().mapToInt(Map::size).sum());
            }

            CliRun replace = restore(archive, firstHour, firstHour + 3 * HOUR, Stream.concat(asOfArgs.stream(),
                    Stream.of("--replace", "--yes", "--rejects", work.resolve("replace.rejects.jsonl").toString()))
                    .toArray(String[]::new));
            assertThat(replace.exitCode()).as(replace.out() + replace.err()).isZero();
            assertThat(replace.out()).containsPattern("[1-9][0-9,]* deleted");
            CliRun again = restore(archive, firstHour, firstHour + 3 * HOUR, Stream.concat(asOfArgs.stream(),
                    Stream.of("--replace", "--dry-run")).toArray(String[]::new));
            assertThat(again.out()).as("nothing left to change: no older version came back")
                    .contains("0 point(s) added, 0 overwritten, 0 deleted");
        } finally {
            writing.set(false);
            live.join();
        }
        assertThat(liveFailed.get()).as("the other client's writes").isNull();
        assertThat(written.get()).isPositive();
        String liveSeries = new TreeMap<>(Map.of("host", "live")).toString();
        for (String metric : metrics(good)) {
            Map<String, Map<Long, String>> answer = RestoreIT.series(production, metric, firstHour, firstHour + 3 * HOUR - 1);
            Map<String, Map<Long, String>> expected = RestoreIT.expected(good, metric, metric);
            if (metric.equals("rows.incident.m0")) {
                expected.putAll(RestoreIT.expected(elsewhere, metric, metric)); // never archived: untouched
            }
            expected.putAll(RestoreIT.expected(livePoints, metric, metric)); // the other client's series of an archived metric: untouched
            assertThat(answer).as(metric).isEqualTo(expected);
        }
        assertThat(RestoreIT.series(production, "rows.live", firstHour, firstHour + 3 * HOUR - 1)).as("the other client's series")
                .isEqualTo(RestoreIT.expected(livePoints, "rows.live", "rows.live")).containsKey(liveSeries);
    }

    @Test
    void aRestoreKilledMidwayAndRunAgainLeavesTheRowsOfAnUninterruptedOne(DevStack stack) throws Exception {
        long firstHour = (System.currentTimeMillis() / HOUR - 6) * HOUR;
        Tsd whole = stack.tsd("rows-whole", Map.of());
        Tsd killed = stack.tsd("rows-killed", Map.of());
        List<Point> points = randomPoints("rows.killed", firstHour, 4, new Random(5));
        List<Point> before = randomPoints("rows.killed", firstHour, 4, new Random(6)); // what the targets held: merged
        assignUids(Stream.concat(points.stream(), before.stream()).toList(), whole, killed);
        try (Connection hbase = hbase(stack)) {
            // HBase then keeps each write of a cell as a version of its own: a row written twice is counted where it is stored.
            keepVersions(hbase, whole.tablePrefix() + "tsdb");
            keepVersions(hbase, killed.tablePrefix() + "tsdb");
        }
        RestoreIT.write(whole, before);
        RestoreIT.write(killed, before);
        Map<String, Map<String, Integer>> wholeBefore;
        Map<String, Map<String, Integer>> killedBefore;
        try (Connection hbase = hbase(stack)) {
            compacted(hbase, whole, before, firstHour, 4);
            compacted(hbase, killed, before, firstHour, 4);
            wholeBefore = versions(hbase, whole.tablePrefix() + "tsdb");
            killedBefore = versions(hbase, killed.tablePrefix() + "tsdb");
        }
        Path archive = ArchiverOutput.archive(stack, work, "rows-killed", points, firstHour + 5 * HOUR); // the real archiver's

        CliRun uninterrupted = restore(archive, firstHour, firstHour + 4 * HOUR, "--topic", "rows-killed", "--storage-config",
                whole.configFile().toString(),
                "--rejects", work.resolve("whole.rejects.jsonl").toString());
        assertThat(uninterrupted.exitCode()).as(uninterrupted.out() + uninterrupted.err()).isZero();

        List<String> args = List.of("restore", "--archive", archive.toString(), "--topic", "rows-killed", "--from", Long.toString(firstHour),
                "--to", Long.toString(firstHour + 4 * HOUR), "--storage-config", killed.configFile().toString(),
                "--rejects", work.resolve("killed.rejects.jsonl").toString(), "--batch-size", "50", "--parallelism", "2");
        Path checkpoint = work.resolve("killed.checkpoint");
        Process first = RestoreIT.restoreProcess(work, args);
        Await.until("the restore to acknowledge some batches", Duration.ofSeconds(60), () -> assertThat(first.isAlive()).isTrue(),
                () -> Files.exists(checkpoint) && Files.readAllLines(checkpoint).size() >= 10);
        first.destroyForcibly().waitFor();
        Process rerun = RestoreIT.restoreProcess(work, args);
        String output = new String(rerun.getInputStream().readAllBytes());
        assertThat(rerun.waitFor()).as(output).isZero();
        assertThat(output).contains("written by earlier runs");

        try (Connection hbase = hbase(stack)) {
            Map<String, Map<String, String>> rows = rows(hbase, whole.tablePrefix() + "tsdb");
            assertThat(rows.values()).allSatisfy(cells -> assertThat(cells).hasSize(1));
            assertSameRows(rows(hbase, killed.tablePrefix() + "tsdb"), rows, "rerun after a kill");
            // Each row written once, counted where it is stored: its cell holds one version more than before the restore (a
            // cell of the same qualifier the TSD had written keeps its versions below the restored one). A row written twice,
            // by one run or by the rerun after a kill, would hold one more.
            assertThat(versions(hbase, whole.tablePrefix() + "tsdb")).as("versions of each cell after one run")
                    .isEqualTo(oneVersionMore(wholeBefore, rows));
            assertThat(versions(hbase, killed.tablePrefix() + "tsdb")).as("versions of each cell after a kill and a rerun")
                    .isEqualTo(oneVersionMore(killedBefore, rows));
        }
        // And what the TSD answers: the points it held before, the restored version at every timestamp the archive has.
        for (String metric : metrics(points)) {
            Map<String, Map<Long, String>> expected = RestoreIT.expected(before, metric, metric);
            RestoreIT.expected(points, metric, metric).forEach((series, restored) ->
                    expected.computeIfAbsent(series, k -> new TreeMap<>()).putAll(restored));
            assertThat(RestoreIT.series(killed, metric, firstHour, firstHour + 4 * HOUR - 1)).as(metric).isEqualTo(expected);
        }
    }

    @Test
    void aBulkLoadKilledWhileLoadingResumesWithoutLoadingAFileTwiceAndMergesTheRowsTheTableHeldAsRowModeDoes(DevStack stack)
            throws Exception {
        long firstHour = (System.currentTimeMillis() / HOUR - 6) * HOUR;
        Tsd byRows = stack.tsd("hfiles-rows", Map.of());
        Tsd bulk = stack.tsd("hfiles-killed", Map.of());
        List<Point> points = randomPoints("hfiles.killed", firstHour, 4, new Random(7));
        // What the tables held before: the first hour only, so that the restore finds rows to merge and rows to load.
        List<Point> before = randomPoints("hfiles.killed", firstHour, 1, new Random(8));
        assignUids(Stream.concat(points.stream(), before.stream()).toList(), byRows, bulk);
        RestoreIT.write(byRows, before);
        RestoreIT.write(bulk, before);
        try (Connection hbase = hbase(stack)) {
            compacted(hbase, byRows, before, firstHour, 1);
            compacted(hbase, bulk, before, firstHour, 1);
        }
        Path archive = archive(points, firstHour + 5 * HOUR);
        CliRun rowMode = restore(archive, firstHour, firstHour + 4 * HOUR, "--storage-config", byRows.configFile().toString());
        assertThat(rowMode.exitCode()).as(rowMode.out() + rowMode.err()).isZero();

        List<String> args = List.of("restore", "--archive", archive.toString(), "--from", Long.toString(firstHour),
                "--to", Long.toString(firstHour + 4 * HOUR), "--storage-config", bulk.configFile().toString(), "--write-mode", "hfiles",
                "--hfile-size", "2k", "--rejects", work.resolve("bulk.rejects.jsonl").toString());
        Path manifest = work.resolve("bulk.checkpoint.hfiles").resolve("manifest.tsv");
        Process first = RestoreIT.restoreProcess(work, args);
        Await.until("the bulk load to load a file", Duration.ofSeconds(120), () -> assertThat(first.isAlive()).as("the restore")
                .isTrue(), () -> Files.exists(manifest) && Files.readAllLines(manifest).stream().anyMatch(l -> l.startsWith("loaded\t")));
        List<ProcessHandle> tools = first.descendants().toList();
        first.destroyForcibly().waitFor();
        tools.forEach(tool -> tool.onExit().join()); // HBase's tool ends with the restore that started it
        List<String> atKill = Files.readAllLines(manifest);
        long files = atKill.stream().filter(l -> l.startsWith("file\t")).count();
        List<String> loadedAtKill = atKill.stream().filter(l -> l.startsWith("loaded\t")).map(l -> l.split("\t")[1]).toList();
        assertThat(loadedAtKill).as("killed with files left to load").isNotEmpty().hasSizeLessThan((int) files);

        // A file loaded by the killed run but not yet marked (killed between the two), and a file of the run gone unloaded
        // (someone removed it): the first is found in the table and counted, the second stops the rerun, which says so.
        List<String> marked = new ArrayList<>(atKill);
        marked.remove("loaded\t" + loadedAtKill.get(0));
        Files.write(manifest, marked);
        String unloaded = atKill.stream().filter(l -> l.startsWith("file\t")).map(l -> l.split("\t")[1])
                .filter(f -> !loadedAtKill.contains(f)).reduce((a, b) -> b).orElseThrow(); // the last: every other one loads first
        Path unloadedFile = Path.of(java.net.URI.create(unloaded));
        Path aside = work.resolve("aside");
        Files.move(unloadedFile, aside);
        Process missing = RestoreIT.restoreProcess(work, args);
        String refused = new String(missing.getInputStream().readAllBytes()) + Files.readString(work.resolve("restore-stderr.log"));
        assertThat(missing.waitFor()).as(refused).isNotZero();
        assertThat(refused).contains("is gone, and the table does not hold its rows");
        assertThat(Files.readAllLines(manifest)).as("the file loaded before the kill, found in the table")
                .contains("adopted\t" + loadedAtKill.get(0)).doesNotContain("loaded\t" + unloaded);
        Files.move(aside, unloadedFile);

        Process rerun = RestoreIT.restoreProcess(work, args);
        String output = new String(rerun.getInputStream().readAllBytes());
        assertThat(rerun.waitFor()).as(output).isZero();
        assertThat(output).contains("an earlier run wrote all " + files + " file(s)");
        List<String> marks = Files.readAllLines(manifest).stream().filter(l -> l.startsWith("loaded\t") || l.startsWith("adopted\t"))
                .map(l -> l.substring(l.indexOf('\t') + 1)).toList();
        List<String> written = Files.readAllLines(manifest).stream().filter(l -> l.startsWith("file\t")).map(l -> l.split("\t")[1]).toList();
        assertThat(marks).as("every file loaded once").doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);

        try (Connection hbase = hbase(stack)) {
            Map<String, Map<String, String>> expected = rows(hbase, byRows.tablePrefix() + "tsdb");
            assertThat(expected.values()).allSatisfy(cells -> assertThat(cells).hasSize(1));
            assertSameRows(rows(hbase, bulk.tablePrefix() + "tsdb"), expected, "bulk-loaded after a kill, over rows the table held");
        }
        for (String metric : metrics(points)) {
            Map<String, Map<Long, String>> expected = RestoreIT.expected(before, metric, metric);
            RestoreIT.expected(points, metric, metric).forEach((series, restored) ->
                    expected.computeIfAbsent(series, k -> new TreeMap<>()).putAll(restored));
            assertThat(RestoreIT.series(bulk, metric, firstHour, firstHour + 4 * HOUR - 1)).as(metric).isEqualTo(expected);
        }

        // The archive gains a point (a late one, a gap healed): the same command line reads the archive again and restores it.
        Point late = TestArchive.point("hfiles.killed.m0", firstHour + 2 * HOUR + 1_234, TimestampPrecision.MILLISECONDS, 4242L,
                Map.of("host", "late"));
        try (LocalStorage storage = new LocalStorage(archive)) {
            new TestArchive(storage, 2).commit(TestArchive.ingestedAt(List.of(late), firstHour + 5 * HOUR + 60_000));
        }
        Process again = RestoreIT.restoreProcess(work, args);
        String againOutput = new String(again.getInputStream().readAllBytes());
        assertThat(again.waitFor()).as(againOutput).isZero();
        assertThat(againOutput).contains("the archive changed since the earlier run wrote its files");
        assertThat(RestoreIT.series(bulk, "hfiles.killed.m0", firstHour, firstHour + 4 * HOUR - 1))
                .containsEntry(new TreeMap<>(Map.of("host", "late")).toString(), Map.of(firstHour + 2 * HOUR + 1_234, "4242"));
    }

    /** Splits a table at a key and waits until HBase has its two regions. */
    private static void split(Connection hbase, String table, byte[] at) throws IOException {
        TableName name = TableName.valueOf(table);
        try (Admin admin = hbase.getAdmin()) {
            admin.split(name, at);
            Await.until("HBase to split " + table, Duration.ofSeconds(60), () -> { }, () -> admin.getRegions(name).size() == 2
                    && hbase.getRegionLocator(name).getStartKeys().length == 2);
        }
    }

    /** The same rows with the same cells; a difference is named by its row, not by two whole tables. */
    private static void assertSameRows(Map<String, Map<String, String>> actual, Map<String, Map<String, String>> expected, String what) {
        assertThat(actual.keySet()).as(what + ": row keys").isEqualTo(expected.keySet());
        expected.forEach((key, cells) -> assertThat(actual.get(key)).as(what + ": row " + key).isEqualTo(cells));
    }

    /**
     * Waits until the TSD holds every point and has compacted every row of the points' hours: it compacts the old rows it
     * reads.
     */
    private static void compacted(Connection hbase, Tsd tsd, List<Point> points, long firstHour, int hours) {
        String table = tsd.tablePrefix() + "tsdb";
        Await.until("OpenTSDB to store and compact every row of " + table, Duration.ofMinutes(2), () -> { }, () -> {
            long stored = 0;
            for (String metric : metrics(points)) {
                stored += TsdClient.of(tsd).query(metric, firstHour, firstHour + hours * HOUR - 1).stream()
                        .mapToLong(series -> series.points().size()).sum();
            }
            return stored >= points.size() && rows(hbase, table).values().stream().allMatch(cells -> cells.size() == 1);
        });
    }

    /** A point as a line of OpenTSDB's telnet put. */
    private static String putLine(Point p) {
        StringBuilder line = new StringBuilder("put ").append(p.getMetric()).append(' ')
                .append(p.getPrecision() == TimestampPrecision.SECONDS ? p.getTimestampMs() / 1000 : p.getTimestampMs()).append(' ')
                .append(p.getValue());
        p.getTags().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        return line.toString();
    }

    /**
     * Random series of every value kind (integers of 1, 2, 4 and 8 bytes, floats that fit 4 bytes and others), in seconds
     * and in milliseconds, over {@code hours} hours: rows of one point and of hundreds.
     */
    private static List<Point> randomPoints(String prefix, long firstHour, int hours, Random random) {
        List<Point> points = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            for (int h = 0; h < 4; h++) {
                Map<String, String> tags = new LinkedHashMap<>();
                tags.put("host", "h" + h);
                if (h % 2 == 0) {
                    tags.put("dc", "dc" + m);
                }
                for (int hour = 0; hour < hours; hour++) {
                    int count = random.nextInt(5) == 0 ? 1 : 1 + random.nextInt(300);
                    Set<Long> seconds = new LinkedHashSet<>();
                    while (seconds.size() < count) {
                        seconds.add((long) random.nextInt(3600));
                    }
                    for (long second : seconds) {
                        boolean ms = random.nextInt(3) == 0;
                        long t = firstHour + hour * HOUR + second * 1000 + (ms ? 1 + random.nextInt(999) : 0);
                        points.add(TestArchive.point(prefix + ".m" + m, t, ms ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS,
                                randomValue(random), tags));
                    }
                }
            }
        }
        return points;
    }

    private static Object randomValue(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> (long) (random.nextInt(256) - 128);
            case 1 -> (long) (random.nextInt(65536) - 32768);
            case 2 -> (long) random.nextInt();
            case 3 -> random.nextLong() >> 11; // 8 bytes, and exact as a double: a TSD answers a series mixing kinds in doubles
            case 4 -> random.nextInt(4000) / 4.0 - 500; // fits a float
            default -> random.nextGaussian() * 1e9;
        };
    }

    private static List<String> metrics(List<Point> points) {
        return points.stream().map(Point::getMetric).distinct().sorted().toList();
    }

    /** Assigns every name of the points on each TSD in the same order, so that their rows have the same keys. */
    private static void assignUids(List<Point> points, Tsd... tsds) {
        Set<String> tagks = new java.util.TreeSet<>();
        Set<String> tagvs = new java.util.TreeSet<>();
        points.forEach(p -> {
            tagks.addAll(p.getTags().keySet());
            tagvs.addAll(p.getTags().values());
        });
        String query = "/api/uid/assign?metric=" + String.join(",", metrics(points)) + "&tagk=" + String.join(",", tagks)
                + "&tagv=" + String.join(",", tagvs);
        for (Tsd tsd : tsds) {
            TsdClient.Response response = TsdClient.of(tsd).get(query);
            assertThat(response.status()).as(response.body()).isEqualTo(200);
        }
    }

    private Path archive(List<Point> points, long ingestMs) throws IOException {
        Path dir = work.resolve("archive-" + ingestMs + "-" + points.size());
        try (LocalStorage storage = new LocalStorage(dir)) {
            new TestArchive(storage, 2).commit(TestArchive.ingestedAt(points, ingestMs));
        }
        return dir;
    }

    private CliRun restore(Path archive, long from, long to, String... more) {
        List<String> args = new ArrayList<>(List.of("restore", "--archive", archive.toString(), "--from", Long.toString(from),
                "--to", Long.toString(to)));
        if (Stream.of(more).noneMatch("--rejects"::equals)) {
            args.addAll(List.of("--rejects", work.resolve("rejects-" + System.nanoTime() + ".jsonl").toString()));
        }
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static TsdClient.Response query(Tsd tsd, String metric, long start, long end) {
        return TsdClient.of(tsd).post("/api/query", JSON.createObjectNode().put("start", start).put("end", end)
                .set("queries", JSON.createArrayNode().add(JSON.createObjectNode().put("aggregator", "none").put("metric", metric)))
                .toString(), false);
    }

    /** Every row of a table that holds points: row key to (qualifier to value), in hex; annotations and the like left out. */
    private static Map<String, Map<String, String>> rows(Connection hbase, String table) throws IOException {
        HexFormat hex = HexFormat.of();
        Map<String, Map<String, String>> rows = new TreeMap<>();
        try (Table t = hbase.getTable(TableName.valueOf(table)); ResultScanner scanner = t.getScanner(new Scan().addFamily(T))) {
            for (Result row : scanner) {
                for (Cell cell : row.rawCells()) {
                    byte[] q = CellUtil.cloneQualifier(cell);
                    if (q.length % 2 == 0) {
                        rows.computeIfAbsent(hex.formatHex(row.getRow()), k -> new TreeMap<>()).put(hex.formatHex(q),
                                hex.formatHex(CellUtil.cloneValue(cell)));
                    }
                }
            }
        }
        return rows;
    }

    /** Lets the table's data family keep ten versions of each cell, so that every write of a cell stays visible. */
    private static void keepVersions(Connection hbase, String table) throws IOException {
        try (Admin admin = hbase.getAdmin()) {
            TableName name = TableName.valueOf(table);
            admin.modifyColumnFamily(name, ColumnFamilyDescriptorBuilder.newBuilder(admin.getDescriptor(name).getColumnFamily(T))
                    .setMaxVersions(10).build());
        }
    }

    /** The versions each cell of {@code rows} holds when written once over a table whose cells held {@code before}. */
    private static Map<String, Map<String, Integer>> oneVersionMore(Map<String, Map<String, Integer>> before,
            Map<String, Map<String, String>> rows) {
        Map<String, Map<String, Integer>> expected = new TreeMap<>();
        rows.forEach((row, cells) -> cells.keySet().forEach(q -> expected.computeIfAbsent(row, k -> new TreeMap<>())
                .put(q, before.getOrDefault(row, Map.of()).getOrDefault(q, 0) + 1)));
        return expected;
    }

    /** For each row that holds points, how many versions HBase keeps of each of its cells (qualifiers in hex). */
    private static Map<String, Map<String, Integer>> versions(Connection hbase, String table) throws IOException {
        HexFormat hex = HexFormat.of();
        Map<String, Map<String, Integer>> rows = new TreeMap<>();
        try (Table t = hbase.getTable(TableName.valueOf(table));
                ResultScanner scanner = t.getScanner(new Scan().addFamily(T).readAllVersions())) {
            for (Result row : scanner) {
                for (Cell cell : row.rawCells()) {
                    byte[] q = CellUtil.cloneQualifier(cell);
                    if (q.length % 2 == 0) {
                        rows.computeIfAbsent(hex.formatHex(row.getRow()), k -> new TreeMap<>()).merge(hex.formatHex(q), 1, Integer::sum);
                    }
                }
            }
        }
        return rows;
    }

    private static Connection hbase(DevStack stack) throws IOException {
        Configuration conf = HBaseConfiguration.create();
        conf.set("hbase.zookeeper.quorum", stack.hbase().zookeeperQuorum());
        return ConnectionFactory.createConnection(conf);
    }
}
