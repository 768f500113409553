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
import io.rewind.restore.Batches;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.SelectionReader;
import io.rewind.schema.FileKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/rewind bench restore [hours] [batch:parallelism[:nosync][:nogzip][:storage[:points|:hfiles]] ...]}: restores a
 * realistic archive into a dev-stack TSD with the restorer's command line (over HTTP, or with {@code storage} straight
 * into the TSD's HBase tables with its configuration: compacted rows, or with {@code points} one cell per point as
 * OpenTSDB's {@code TSDB.addPoint} stores them, or with {@code hfiles} as HFiles bulk-loaded), and in the same run loads the same points
 * with OpenTSDB's own {@code import} tool into another TSD's tables; prints both whole-process times.
 * Also the read path alone: archive to merged series, and to the JSON batches a restore sends. With
 * {@code REWIND_BENCH_JFR=1} each restore's JVM records a Flight Recorder profile into {@code restore-<config>.jfr}.
 */
public final class RestoreBenchmark {
    static final long START = 1_763_726_400_000L;
    private static final int PARTITIONS = 4;

    private RestoreBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/rewind/devstack/cli/dev-logback.xml");
        }
        int hours = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        List<String> configs = args.length > 1 ? List.of(args).subList(1, args.length) : List.of("10000:8", "5000:4:nogzip", "10000:4:storage",
                "10000:4:storage:points", "10000:4:storage:hfiles");
        Path work = Path.of("benchmarks", "target", "bench-restore").toAbsolutePath();
        Path archive = work.resolve("archive");
        DevStack.deleteRecursively(work);
        long points = writeArchive(archive, hours);
        long to = START + hours * ArchiveLayout.HOUR_MS;
        System.out.printf("Restore benchmark: %,d points in %,d series over %d hour(s), %d partitions, archive %s%n", points,
                RealisticDataset.HOSTS * RealisticDataset.CPUS * (RealisticDataset.COUNTERS.length + RealisticDataset.GAUGES.length),
                hours, PARTITIONS, archive);

        readPath(archive, to, points);

        if (System.getProperty("rewind.dev.hbase.heap") == null) {
            // OpenTSDB's import of a few million points runs HBase out of a 1 GiB heap.
            System.setProperty("rewind.dev.hbase.heap", "4g");
        }
        try (DevStack stack = DevStack.start(work.resolve("stack"), List.of("import"), true)) {
            List<String> results = new ArrayList<>();
            List<Double> restoreSeconds = new ArrayList<>();
            List<String> cpuRows = new ArrayList<>();
            for (String config : configs) {
                // Every restore writes into fresh tables, behind a TSD of its own: into tables an earlier restore
                // filled, HBase would also rewrite and compact that restore's cells.
                Tsd target = stack.tsd("restore-" + (restoreSeconds.size() + 1), Map.of());
                String[] c = config.split(":");
                List<String> restore = new ArrayList<>(List.of(java()));
                if (System.getenv("REWIND_BENCH_JFR") != null) {
                    restore.add("-XX:StartFlightRecording=filename=" + work.resolve("restore-" + config.replace(':', '-') + ".jfr")
                            + ",settings=profile");
                    restore.add("-Drewind.hbase-tools.java-options=-XX:StartFlightRecording=filename="
                            + work.resolve("tools-" + config.replace(':', '-') + ".jfr") + ",settings=profile");
                }
                restore.addAll(List.of("-cp", System.getProperty("java.class.path"),
                        "io.rewind.cli.RewindCli", "restore", "--archive", archive.toString(), "--from", Long.toString(START),
                        "--to", Long.toString(to),
                        "--rejects", work.resolve("rejects-" + config.replace(':', '-') + ".jsonl").toString(),
                        "--batch-size", c[0], "--parallelism", c[1]));
                List<String> flags = List.of(c).subList(2, c.length);
                if (flags.contains("storage")) {
                    restore.addAll(List.of("--storage-config", target.configFile().toString(), "--write-mode",
                            flags.contains("points") ? "points" : flags.contains("hfiles") ? "hfiles" : "rows",
                            "--checkpoint", work.resolve("checkpoint-" + config.replace(':', '-')).toString()));
                } else {
                    restore.addAll(List.of("--target", target.httpUrl().toString()));
                }
                if (flags.contains("nosync")) {
                    restore.add("--no-sync");
                }
                if (flags.contains("nogzip")) {
                    restore.add("--no-gzip");
                }
                Path log = work.resolve("restore-" + config.replace(':', '-') + ".log");
                CpuMeter meter = meter("rewind restore " + config, stack, target);
                int[] exit = new int[1];
                meter.measure(points, () -> exit[0] = new ProcessBuilder(restore).redirectErrorStream(true).redirectOutput(log.toFile())
                        .start().waitFor());
                double seconds = meter.seconds();
                cpuRows.add(meter.cpuRow());
                if (exit[0] != 0) {
                    throw new IllegalStateException("restore failed (exit " + exit[0] + "): " + Files.readString(log));
                }
                String summary = Files.readAllLines(log).stream().filter(l -> l.startsWith("Restored")).findFirst().orElse("");
                if (!summary.startsWith(String.format("Restored %,d points", points))) {
                    throw new IllegalStateException("the restore did not write every point of the archive: " + summary);
                }
                restoreSeconds.add(seconds);
                results.add(String.format("%-56s %10.1f %,14.0f", "rewind restore " + config + " (batch:parallelism)", seconds, points / seconds));
                System.out.println("  " + config + ": " + summary);
                target.stop(); // its compactions would otherwise run during the next measurement
            }

            Path importFile = work.resolve("import.txt.gz");
            List<String> export = List.of(java(), "-cp", System.getProperty("java.class.path"), "io.rewind.cli.RewindCli", "export",
                    "--archive", archive.toString(), "--from", Long.toString(START), "--to", Long.toString(to), "-o", importFile.toString());
            if (new ProcessBuilder(export).inheritIO().start().waitFor() != 0) {
                throw new IllegalStateException("export failed");
            }
            Tsd importTsd = stack.tsd("import");
            CpuMeter importMeter = meter("OpenTSDB import", stack, importTsd);
            importMeter.measure(points, () -> importTsd.importFile(importFile, Duration.ofMinutes(30)));
            double importSeconds = importMeter.seconds();
            cpuRows.add(importMeter.cpuRow());

            System.out.printf("%-56s %10s %14s%n", "whole process, into a dev-stack TSD", "seconds", "points/s");
            results.forEach(System.out::println);
            System.out.printf("%-56s %10.1f %,14.0f%n", "OpenTSDB import (tsdb import, same points)", importSeconds, points / importSeconds);
            for (int i = 0; i < configs.size(); i++) {
                System.out.printf("rewind restore %s / import throughput: %.2fx%n", configs.get(i), importSeconds / restoreSeconds.get(i));
            }
            int rows = configs.indexOf("10000:4:storage");
            for (int i = 0; i < configs.size(); i++) {
                if (rows >= 0 && configs.get(i).endsWith(":hfiles")) {
                    double rate = points / restoreSeconds.get(i);
                    System.out.printf("rewind restore %s / 10000:4:storage (rows) throughput: %.2fx; 100 M points at this rate: %s%n",
                            configs.get(i), restoreSeconds.get(rows) / restoreSeconds.get(i),
                            io.rewind.cli.ProgressLine.formatSeconds((long) (100_000_000 / rate)));
                }
            }
            System.out.println("CPU seconds per million points (others: the rest of the machine, mostly the restore's or import's JVM):");
            cpuRows.forEach(System.out::println);
        }
    }

    /** The archive to merged, selected series (null sink); and on to the JSON batches a restore would send. */
    private static void readPath(Path archive, long to, long points) throws Exception {
        Selection all = new Selection(START, to, Long.MAX_VALUE, List.of(), Map.of());
        try (Storage storage = new LocalStorage(archive)) {
            RestorePlan plan = RestorePlan.of(storage, "points", all);
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
                Batches.produce(storage, plan, Transforms.NONE, 5000, null, (batch, written) -> {
                    batch.json();
                    batched[0] += batch.points();
                });
                bestBatches = Math.min(bestBatches, (System.nanoTime() - t1) / 1e9);
                check(batched[0], points);
            }
            System.out.printf("read path, best of 3: archive to merged series %,.0f points/s; to JSON batches %,.0f points/s%n",
                    points / bestRead, points / bestBatches);
        }
    }

    /** The whole machine, the TSD written to and HBase; the rest of the machine is the restore's or import's JVM. */
    private static CpuMeter meter(String name, DevStack stack, Tsd tsd) {
        return new CpuMeter(name, true, CpuMeter.machine(), CpuMeter.server("TSD", tsd), CpuMeter.server("HBase", stack.hbase()));
    }

    private static void check(long got, long expected) {
        if (got != expected) {
            throw new IllegalStateException("read " + got + " points, the archive holds " + expected);
        }
    }

    /** One segment per (hour, partition), series spread over the partitions by the hash of their key. */
    static long writeArchive(Path dir, int hours) throws IOException {
        long points = 0;
        try (Storage storage = new LocalStorage(dir)) {
            for (int h = 0; h < hours; h++) {
                long window = START + h * ArchiveLayout.HOUR_MS;
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
                            window + ArchiveLayout.HOUR_MS, 0, 0, 1, List.of()))) {
                        for (SeriesPoints series : byPartition.get(p)) {
                            writer.write(series);
                        }
                        SegmentFiles.publish(storage, ArchiveLayout.segment("points", window, ArchiveLayout.HOUR_MS, p, 1), writer.finish());
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
}
