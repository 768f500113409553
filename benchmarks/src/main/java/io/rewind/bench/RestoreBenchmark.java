package io.rewind.bench;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentWriter;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.restore.Restore;
import io.rewind.restore.Selection;
import io.rewind.restore.SelectionReader;
import io.rewind.restore.Transforms;
import io.rewind.schema.FileKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/rewind bench restore [hours] [batch-size] [parallelism]}: restores a realistic archive
 * into a dev-stack TSD with the restorer's command line, and in the same run loads the same points
 * with OpenTSDB's own {@code import} tool into another TSD's tables; prints both whole-process times.
 * Also the read path alone: archive to merged series, and to the JSON batches a restore sends.
 */
public final class RestoreBenchmark {
    private static final long START = 1_763_726_400_000L;
    private static final int PARTITIONS = 4;

    private RestoreBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int hours = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int batchSize = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int parallelism = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Path work = Path.of("benchmarks", "target", "bench-restore").toAbsolutePath();
        Path archive = work.resolve("archive");
        deleteRecursively(work);
        long points = writeArchive(archive, hours);
        long to = START + hours * 3_600_000L;
        System.out.printf("Restore benchmark: %,d points in %,d series over %d hour(s), %d partitions, archive %s%n", points,
                RealisticDataset.HOSTS * RealisticDataset.CPUS * (RealisticDataset.COUNTERS.length + RealisticDataset.GAUGES.length),
                hours, PARTITIONS, archive);

        readPath(archive, to, points);

        try (DevStack stack = DevStack.start(work.resolve("stack"), List.of("restore", "import"), true)) {
            Path rejects = work.resolve("rejects.jsonl");
            List<String> restore = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"),
                    "io.rewind.restore.cli.RewindCli", "restore", "--archive", archive.toString(), "--from", Long.toString(START),
                    "--to", Long.toString(to), "--target", stack.tsd("restore").httpUrl().toString(), "--rejects", rejects.toString(),
                    "--batch-size", Integer.toString(batchSize), "--parallelism", Integer.toString(parallelism)));
            long restoreStart = System.nanoTime();
            Process process = new ProcessBuilder(restore).redirectErrorStream(true).redirectOutput(work.resolve("restore.log").toFile()).start();
            int exit = process.waitFor();
            double restoreSeconds = (System.nanoTime() - restoreStart) / 1e9;
            if (exit != 0) {
                throw new IllegalStateException("restore failed (exit " + exit + "): " + Files.readString(work.resolve("restore.log")));
            }

            Path importFile = work.resolve("import.txt.gz");
            List<String> export = List.of(java(), "-cp", System.getProperty("java.class.path"), "io.rewind.restore.cli.RewindCli", "export",
                    "--archive", archive.toString(), "--from", Long.toString(START), "--to", Long.toString(to), "-o", importFile.toString());
            if (new ProcessBuilder(export).inheritIO().start().waitFor() != 0) {
                throw new IllegalStateException("export failed");
            }
            Tsd importTsd = stack.tsd("import");
            long importStart = System.nanoTime();
            importTsd.importFile(importFile, Duration.ofMinutes(30));
            double importSeconds = (System.nanoTime() - importStart) / 1e9;

            System.out.printf("%-44s %10s %14s%n", "whole process, into a dev-stack TSD", "seconds", "points/s");
            System.out.printf("%-44s %10.1f %,14.0f%n", "rewind restore (batch " + batchSize + ", parallelism " + parallelism + ")",
                    restoreSeconds, points / restoreSeconds);
            System.out.printf("%-44s %10.1f %,14.0f%n", "OpenTSDB import (tsdb import, same points)", importSeconds, points / importSeconds);
            System.out.printf("restore / import throughput: %.2fx%n", importSeconds / restoreSeconds);
            System.out.println("restore's own summary: " + Files.readAllLines(work.resolve("restore.log")).stream()
                    .filter(l -> l.startsWith("Restored")).findFirst().orElse("(none)"));
        }
    }

    /** The archive to merged, selected series (null sink); and on to the JSON batches a restore would send. */
    private static void readPath(Path archive, long to, long points) throws Exception {
        Selection all = new Selection(START, to, Long.MAX_VALUE, List.of(), Map.of());
        try (Storage storage = new LocalStorage(archive)) {
            Restore.Plan plan = Restore.plan(storage, "points", all);
            double bestRead = Double.MAX_VALUE;
            double bestBatches = Double.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long[] read = new long[1];
                long t0 = System.nanoTime();
                SelectionReader reader = new SelectionReader(storage, all);
                for (var unit : plan.units()) {
                    reader.read(unit, series -> read[0] += series.size());
                }
                bestRead = Math.min(bestRead, (System.nanoTime() - t0) / 1e9);
                check(read[0], points);
                long[] batched = new long[1];
                long t1 = System.nanoTime();
                Restore.produce(storage, plan, Transforms.NONE, 5000, null, (batch, written) -> batched[0] += batch.points());
                bestBatches = Math.min(bestBatches, (System.nanoTime() - t1) / 1e9);
                check(batched[0], points);
            }
            System.out.printf("read path, best of 3: archive to merged series %,.0f points/s; to JSON batches %,.0f points/s%n",
                    points / bestRead, points / bestBatches);
        }
    }

    private static void check(long got, long expected) {
        if (got != expected) {
            throw new IllegalStateException("read " + got + " points, the archive holds " + expected);
        }
    }

    /** One segment per (hour, partition), series spread over the partitions as Kafka would spread their keys. */
    private static long writeArchive(Path dir, int hours) throws IOException {
        long points = 0;
        try (Storage storage = new LocalStorage(dir)) {
            for (int h = 0; h < hours; h++) {
                long window = START + h * 3_600_000L;
                List<List<SeriesPoints>> byPartition = new ArrayList<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    byPartition.add(new ArrayList<>());
                }
                for (SeriesPoints series : RealisticDataset.hour(window)) {
                    byPartition.get(Math.floorMod(series.id().key().hashCode(), PARTITIONS)).add(series);
                    points += series.size();
                }
                for (int p = 0; p < PARTITIONS; p++) {
                    Path file = Files.createTempFile("rewind-bench-", ".avro");
                    try (SegmentWriter writer = new SegmentWriter(file, SegmentMetadata.of(FileKind.SEGMENT, "points", p, window,
                            window + 3_600_000L, 0, 0, 1, List.of()))) {
                        for (SeriesPoints series : byPartition.get(p)) {
                            writer.write(series);
                        }
                        SegmentFiles.publish(storage, ArchiveLayout.segment("points", window, 3_600_000L, p, 1), writer.finish());
                    } finally {
                        Files.deleteIfExists(file);
                    }
                }
            }
        }
        return points;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
