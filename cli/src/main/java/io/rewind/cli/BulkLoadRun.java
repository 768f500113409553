package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.RateLimit;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.hbase.BulkLoad;
import io.rewind.restore.Restore;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.targets.Target;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A restore with {@code --write-mode=hfiles}: the batches go to the bulk load's spool (nothing is checkpointed per batch:
 * nothing is in HBase before its file is loaded), then the HFiles are written and loaded, each step resumable by the
 * bulk load's manifest ({@link BulkLoad}).
 */
final class BulkLoadRun {
    private BulkLoadRun() {
    }

    /** What the bulk load did, for the summary. */
    record Outcome(Restore.Result result, BulkLoad.Written written, List<BulkLoad.HFile> loaded, long loadMs, boolean resumed) {
    }

    /** The bulk load's work directory for a checkpoint: its spool and manifest, and by default its HFiles. */
    static Path workDir(Path checkpointFile) {
        return checkpointFile.toAbsolutePath().resolveSibling(checkpointFile.getFileName() + ".hfiles");
    }

    /** A size: a number of bytes, or with k, m or g (powers of 1024). */
    static long size(String text, String option) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT).replaceFirst("i?b$", "");
        long unit = t.endsWith("k") ? 1L << 10 : t.endsWith("m") ? 1L << 20 : t.endsWith("g") ? 1L << 30 : 1;
        try {
            long n = Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1));
            if (n > 0 && n <= Long.MAX_VALUE / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " " + text + ": give a size in bytes, or with k, m or g (64m, 1g)");
    }

    static Outcome run(PrintWriter out, boolean json, Storage storage, RestorePlan plan, Transforms transforms, int batchSize,
            int parallelism, Target target, BulkLoad bulk, Checkpoint done, io.rewind.service.RejectFile rejects, Restore.Counts progress,
            RateLimit limit)
            throws IOException, InterruptedException {
        PrintWriter say = json ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : out;
        if (!done.continuing()) {
            bulk.forget();
        }
        Restore.Result result;
        BulkLoad.Written written = null;
        String planDigest = planDigest(plan);
        boolean resumed = bulk.filesWritten(planDigest);
        if (!resumed && bulk.manifest().written) {
            say.println("HFiles: the archive changed since the earlier run wrote its files (a gap healed, a compaction, the Kafka"
                    + " tail): writing them again from the archive.");
        }
        if (resumed) {
            BulkLoad.Manifest manifest = bulk.manifest();
            say.printf("HFiles: an earlier run wrote all %d file(s); loading the %d not loaded yet.%n", manifest.files.size(),
                    manifest.files.size() - manifest.loaded.size());
            long cells = manifest.files.stream().mapToLong(BulkLoad.HFile::cells).sum();
            result = new Restore.Result(0, 0, 0, 0, Map.of(), 0);
            say.printf("  (%,d row(s) in them)%n", cells);
        } else {
            rejects.startOver(); // the archive is read again from the start: its refusals too
            try (ProgressLine line = ProgressLine.start(plan.estimatedPoints(), progress, limit)) {
                result = Restore.run(storage, plan, transforms, batchSize, parallelism, target, null, progress);
            }
            long started = System.nanoTime();
            say.printf("HFiles: sorting and writing the rows of %,d point(s) ...%n", result.pointsSent());
            say.flush();
            written = bulk.writeFiles(planDigest);
            say.printf("HFiles: wrote %d file(s), %s, %,d row(s) in %.1f s; %,d row(s) the table already held were merged in place as"
                    + " rows.%n", written.files().size(), Report.bytes(written.bytes()), written.rowsInFiles(),
                    (System.nanoTime() - started) / 1e9, written.rowsMerged());
        }
        say.flush();
        long loadStarted = System.nanoTime();
        BulkLoad.Manifest manifest = bulk.manifest();
        long total = manifest.files.stream().filter(f -> !manifest.loaded.contains(f.path())).mapToLong(BulkLoad.HFile::bytes).sum();
        long[] bytesLoaded = {0};
        int[] count = {0};
        int files = manifest.files.size() - manifest.loaded.size();
        List<BulkLoad.HFile> loaded = bulk.load(file -> {
            bytesLoaded[0] += file.bytes();
            count[0]++;
            double seconds = (System.nanoTime() - loadStarted) / 1e9;
            double rate = bytesLoaded[0] / Math.max(seconds, 1e-3);
            say.printf("  loaded %d/%d: %s (%s)  ETA %s%n", count[0], files, file.path(), Report.bytes(file.bytes()),
                    ProgressLine.formatSeconds((long) ((total - bytesLoaded[0]) / Math.max(rate, 1))));
            say.flush();
        });
        long loadMs = (System.nanoTime() - loadStarted) / 1_000_000;
        say.printf("HFiles: bulk-loaded %d file(s) in %.1f s%s.%n", loaded.size(), loadMs / 1000.0,
                loaded.size() < files ? String.format(" (%d more the region servers had already adopted for an earlier run)",
                        files - loaded.size()) : "");
        return new Outcome(result, written, loaded, loadMs, resumed);
    }

    /** What the plan reads: its units (each the archive's files of a window and partition, and the Kafka tail's offsets). */
    static String planDigest(RestorePlan plan) {
        List<String> units = new java.util.ArrayList<>();
        plan.units().forEach(unit -> units.add(io.rewind.restore.Batches.unitKey(unit)));
        return Restore.fingerprint(units);
    }

    /** The bulk load's part of a JSON summary. */
    static void toJson(ObjectNode summary, Outcome outcome) {
        ObjectNode node = summary.putObject("hfiles");
        node.put("resumedAfterWriting", outcome.resumed());
        if (outcome.written() != null) {
            node.put("files", outcome.written().files().size()).put("bytes", outcome.written().bytes())
                    .put("rowsInFiles", outcome.written().rowsInFiles()).put("rowsMergedInPlace", outcome.written().rowsMerged());
        }
        node.put("loadedByThisRun", outcome.loaded().size()).put("loadMs", outcome.loadMs());
    }

    /** Deletes a directory and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(path);
            }
        }
    }

    /** What a dry run would write: the files per region, with cells and bytes. */
    static void dryRunText(PrintWriter out, BulkLoad.Written written) {
        out.printf("HFiles: would write %d file(s), %s before compression, %,d row(s); %,d row(s) the table already holds would be"
                + " merged in place as rows.%n", written.files().size(), Report.bytes(written.bytes()), written.rowsInFiles(),
                written.rowsMerged());
        written.files().forEach(f -> out.printf("  %-60s %,12d row(s) %12s%n", f.path(), f.cells(), Report.bytes(f.bytes())));
        out.println("  (series the cluster has no UIDs for yet are counted above, not in these files: their rows have no keys"
                + " before their UIDs are assigned)");
    }
}
