package io.rewind.bench;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * {@code bin/rewind bench baseline [hours]}: a dev-stack TSD's table filled with the realistic dataset by OpenTSDB's own
 * {@code import} and compacted by its {@code fsck --compact} (which also resolves the duplicates its import can leave), then read three ways in one run, each a whole process:
 * {@code rewind baseline} twice (snapshot, then a scan of its clone, or its files read without the region servers; decode,
 * archive files), with the region servers' CPU for each, OpenTSDB's own dump
 * ({@code scan --import}, every metric) and a bare HBase scan of the table (every cell fetched, nothing decoded).
 * With {@code REWIND_BENCH_JFR=1} the baseline's JVM records a Flight Recorder profile into {@code baseline.jfr}.
 */
public final class BaselineBenchmark {
    private static final long START = 1_763_726_400_000L;

    private BaselineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/rewind/devstack/cli/dev-logback.xml");
        }
        int hours = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        Path work = Path.of("benchmarks", "target", "bench-baseline").toAbsolutePath();
        DevStack.deleteRecursively(work);
        Files.createDirectories(work);
        // One import file per two hours, the table flushed after each: the dev stack's HBase (1 GiB of heap) runs out
        // of memory under imports of many millions of points in a row.
        List<Path> importFiles = new ArrayList<>();
        long points = 0;
        for (int h = 0; h < hours; h += 2) {
            Path importFile = work.resolve("import-" + h + ".txt.gz");
            points += writeImportFile(importFile, h, Math.min(hours, h + 2));
            importFiles.add(importFile);
        }
        System.out.printf("Baseline benchmark: %,d points of the realistic dataset over %d hour(s)%n", points, hours);
        try (DevStack stack = DevStack.start(work.resolve("stack"), List.of("source"), true)) {
            Tsd tsd = stack.tsd("source");
            long t0 = System.nanoTime();
            for (Path importFile : importFiles) {
                tsd.importFile(importFile, Duration.ofMinutes(30));
                BareScan.flush(stack.hbase().zookeeperQuorum(), tsd.tablePrefix() + "tsdb");
            }
            System.out.printf("  loaded by OpenTSDB's import in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            t0 = System.nanoTime();
            tsd.runTool("fsck", List.of("--full-scan", "--fix", "--compact", "--resolve-duplicates"), work.resolve("fsck.log"), Duration.ofMinutes(30));
            System.out.printf("  compacted by OpenTSDB's fsck --compact in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            tsd.stop(); // nothing but the readers below touches the table

            Path bareLog = work.resolve("bare-scan.log");
            double bare = time(List.of(java(), "-cp", System.getProperty("java.class.path"), BareScan.class.getName(),
                    stack.hbase().zookeeperQuorum(), tsd.tablePrefix() + "tsdb"), bareLog);
            String bareSummary = Files.readAllLines(bareLog).stream().filter(l -> l.startsWith("rows")).findFirst().orElseThrow();
            long bytes = Long.parseLong(bareSummary.replaceAll(".*bytes=(\\d+).*", "$1"));
            System.out.println("  bare scan: " + bareSummary);

            // The baseline both ways: a scan of the snapshot's clone through the region servers, and the snapshot's files read
            // without them. The region servers' CPU tells what each costs the live cluster.
            List<String> cpuRows = new ArrayList<>();
            double[] baselines = new double[2];
            String[] modes = {"scan", "files"};
            for (int m = 0; m < modes.length; m++) {
                String mode = modes[m];
                Path baselineLog = work.resolve("baseline-" + mode + ".log");
                List<String> command = new ArrayList<>(List.of(java()));
                if (System.getenv("REWIND_BENCH_JFR") != null) {
                    command.add("-XX:StartFlightRecording=filename=" + work.resolve("baseline-" + mode + ".jfr") + ",settings=profile");
                }
                command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.rewind.cli.RewindCli", "baseline",
                        "--storage-config", tsd.configFile().toString(), "--archive", work.resolve("archive-" + mode).toString(),
                        "--rejects", work.resolve("rejects-" + mode + ".jsonl").toString(), "--read", mode));
                if (mode.equals("files")) {
                    command.addAll(List.of("--hbase-root", stack.hbase().rootDir()));
                }
                CpuMeter meter = new CpuMeter("rewind baseline --read=" + mode, true, CpuMeter.machine(),
                        CpuMeter.server("HBase", stack.hbase()));
                meter.measure(points, () -> baselines[java.util.Arrays.asList(modes).indexOf(mode)] = time(command, baselineLog));
                cpuRows.add(meter.cpuRow());
                String complete = Files.readAllLines(baselineLog).stream().filter(l -> l.contains("complete:")).findFirst().orElseThrow(
                        () -> new IllegalStateException("the baseline did not complete: " + baselineLog));
                if (!complete.contains(String.format("%,d points", points))) {
                    throw new IllegalStateException("the baseline did not read every point: " + complete);
                }
                System.out.println("  --read=" + mode + ": " + complete.trim());
            }

            List<String> scan = new ArrayList<>(List.of("--import",
                    Long.toString(START / 1000), Long.toString(START / 1000 + hours * 3_600L)));
            for (String metric : metrics()) {
                scan.add("sum");
                scan.add(metric);
            }
            Path scanLog = work.resolve("opentsdb-scan.txt");
            long t1 = System.nanoTime();
            tsd.runTool("scan", scan, scanLog, Duration.ofMinutes(60));
            double opentsdb = (System.nanoTime() - t1) / 1e9;
            long dumped;
            try (var lines = Files.lines(scanLog)) {
                dumped = lines.filter(l -> l.startsWith("sys.")).count();
            }
            if (dumped != points) {
                throw new IllegalStateException("OpenTSDB's scan printed " + dumped + " points of " + points + ": " + scanLog);
            }

            System.out.printf("%n%-52s %9s %14s %9s%n", "whole process, " + String.format("%,d", points) + " points", "seconds", "points/s", "MB/s");
            row("rewind baseline --read=scan (snapshot, clone, scan)", baselines[0], points, bytes);
            row("rewind baseline --read=files (snapshot, its files)", baselines[1], points, bytes);
            row("OpenTSDB scan --import (its own dump)", opentsdb, points, bytes);
            row("bare HBase scan (every cell, nothing decoded)", bare, points, bytes);
            for (int m = 0; m < modes.length; m++) {
                System.out.printf("rewind baseline --read=%s / OpenTSDB scan: %.2fx (target >= 1 with files); / bare HBase scan: %.2fx"
                        + " (target >= 0.8 with files)%n", modes[m], opentsdb / baselines[m], bare / baselines[m]);
            }
            System.out.println("CPU seconds per million points (others: the rest of the machine, mostly the baseline's JVMs):");
            cpuRows.forEach(System.out::println);
        }
    }

    private static void row(String what, double seconds, long points, long bytes) {
        System.out.printf("%-52s %9.1f %,14.0f %9.1f%n", what, seconds, points / seconds, bytes / seconds / 1e6);
    }

    private static double time(List<String> command, Path log) throws Exception {
        long t0 = System.nanoTime();
        int exit = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start().waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command.subList(command.indexOf("-cp") + 2, command.indexOf("-cp") + 4)) + " failed (exit " + exit + "): " + Files.readString(log));
        }
        return seconds;
    }

    private static List<String> metrics() {
        List<String> all = new ArrayList<>(List.of(RealisticDataset.COUNTERS));
        all.addAll(List.of(RealisticDataset.GAUGES));
        return all;
    }

    /** The dataset as OpenTSDB's import text, gzip'ed; returns the number of points. */
    private static long writeImportFile(Path file, int fromHour, int toHour) throws IOException {
        long points = 0;
        try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file), 1 << 16),
                StandardCharsets.UTF_8))) {
            for (int h = fromHour; h < toHour; h++) {
                for (SeriesPoints series : RealisticDataset.hour(START + h * ArchiveLayout.HOUR_MS)) {
                    StringBuilder tags = new StringBuilder();
                    series.id().key().tags().forEach((k, v) -> tags.append(' ').append(k).append('=').append(v));
                    for (int i = 0; i < series.size(); i++) {
                        Object value = series.value(i);
                        out.append(series.id().key().metric()).append(' ').append(Long.toString(series.timestampMs(i) / 1000)).append(' ')
                                .append(value.toString()).append(tags).append('\n');
                        points++;
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
