package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.location.Storages;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.S3Server;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.CliRun;
import io.rewind.restore.TestArchive;
import io.rewind.schema.Point;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rewind copy} from a local archive into S3 (the dev stack's S3 server): killed midway and rerun, the copy passes {@code verify} and
 * restores the same points as the archive; a file damaged in the archive is named and not copied; {@code --delete}
 * mirrors the deletion of superseded parts, and only then.
 */
@ExtendWith(DevStackExtension.class)
class CopyIT {
    private static final long W = 1_763_640_000_000L;
    private static final long HOUR = TestArchive.HOUR;

    @TempDir
    Path work;

    @Test
    void aCopyKilledMidwayAndRerunVerifiesAndRestoresTheSamePoints(DevStack stack) throws Exception {
        S3Server s3 = stack.s3();
        s3.useInThisJvm();
        Path archive = work.resolve("archive");
        LocalStorage source = new LocalStorage(archive);
        TestArchive writer = new TestArchive(source, 3);
        List<Point> points = TestArchive.workload("it.copy", W, 12 * 60, 2);
        long files = 0;
        for (int commit = 0; commit < 4; commit++) { // four commits: a part per (hour, partition) each
            int c = commit;
            files += writer.commit(TestArchive.ingestedAt(points.stream().filter(p -> p.getTimestampMs() / 10_000 % 4 == c).toList(),
                    W + 13 * HOUR)).size();
        }
        assertThat(dataFiles(source)).hasSize((int) files).hasSizeGreaterThan(50);
        String copy = s3.bucket("copy", "rewind");
        Storage target = Storages.open(copy);

        // Killed midway: a copy in a process of its own, slowed down so that it is still copying.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.rewind.cli.RewindCli", "copy", "--from", archive.toString(), "--to", copy,
                "--parallelism", "1", "--max-rate", "32KiB", "--scratch", work.resolve("scratch").toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("copy.log").toFile());
        builder.environment().putAll(s3.environment());
        Process first = builder.start();
        Await.until("the first copy to store ten files", Duration.ofMinutes(2),
                () -> assertThat(first.isAlive()).as("copy running, see " + work.resolve("copy.log")).isTrue(),
                () -> sidecars(target) >= 10);
        first.destroyForcibly().waitFor();
        long copiedBeforeKill = sidecars(target);
        assertThat(copiedBeforeKill).isLessThan(files);

        CliRun rerun = CliRun.of("copy", "--from", archive.toString(), "--to", copy, "--scratch", work.resolve("scratch").toString());

        assertThat(rerun.exitCode()).as(rerun.out() + rerun.err()).isZero();
        assertThat(rerun.out()).containsPattern("Copied .*: [\\d,]+ object\\(s\\) copied").contains(String.format("%,d already there",
                copiedBeforeKill));
        assertThat(dataFiles(target)).isEqualTo(dataFiles(source));
        assertThat(sidecars(target)).isEqualTo(files);
        CliRun verify = CliRun.of("verify", "--archive", copy);
        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
        assertThat(export(copy, "copy.txt")).isEqualTo(export(archive.toString(), "archive.txt"));
        // Restored from the copy into a TSD of its own: the points that were written, each once, with its value.
        Tsd restored = stack.tsd("copy-restored", java.util.Map.of());
        CliRun restore = CliRun.of("restore", "--archive", copy, "--from", Long.toString(W), "--to", Long.toString(W + 12 * HOUR),
                "--target", restored.httpUrl().toString(), "--rejects", work.resolve("copy.rejects.jsonl").toString());
        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        for (String metric : List.of("it.copy.cpu", "it.copy.load", "it.copy.latency")) {
            assertThat(RestoreIT.series(restored, metric, W, W + 12 * HOUR - 1)).as(metric).isEqualTo(RestoreIT.expected(points, metric, metric));
        }
        CliRun again = CliRun.of("copy", "--from", archive.toString(), "--to", copy);
        assertThat(again.out()).contains(": 0 object(s) copied").contains(String.format("%,d already there", files));

        // A file damaged in the archive before it was copied: named, not copied, exit 1.
        List<String> late = writer.commit(TestArchive.ingestedAt(List.of(TestArchive.point("it.copy.late", W + 5_000,
                io.rewind.schema.TimestampPrecision.SECONDS, 1L, java.util.Map.of("host", "a"))), W + 14 * HOUR));
        try (RandomAccessFile file = new RandomAccessFile(archive.resolve(late.get(0)).toFile(), "rw")) {
            file.seek(file.length() - 40);
            int b = file.read();
            file.seek(file.length() - 40);
            file.write(b ^ 0x01);
        }
        CliRun damaged = CliRun.of("copy", "--from", archive.toString(), "--to", copy);
        assertThat(damaged.exitCode()).as(damaged.out()).isEqualTo(1);
        assertThat(damaged.out()).contains("PROBLEM: " + late.get(0) + ": the source's bytes have SHA-256");
        assertThat(target.stat(late.get(0))).isEmpty();
        Files.delete(archive.resolve(late.get(0)));
        Files.delete(archive.resolve(late.get(0) + SegmentFiles.SIDECAR_SUFFIX));

        // The archiver compacts a window and deletes the parts the segment supersedes: mirrored only with --delete.
        List<String> parts = dataFiles(source).stream().filter(k -> k.startsWith(ArchiveLayout.directory(TestArchive.TOPIC, W, HOUR, 0)))
                .toList();
        writer.compact(W, 0, 1, parts);
        for (String part : parts) {
            SegmentFiles.delete(source, part);
        }
        CliRun keep = CliRun.of("copy", "--from", archive.toString(), "--to", copy);
        assertThat(keep.exitCode()).as(keep.out()).isZero();
        assertThat(keep.out()).contains(": 1 object(s) copied").contains("0 deleted (--delete mirrors deletions)");
        assertThat(dataFiles(target)).containsAll(parts);
        CliRun mirror = CliRun.of("copy", "--from", archive.toString(), "--to", copy, "--delete");
        assertThat(mirror.exitCode()).as(mirror.out()).isZero();
        assertThat(mirror.out()).contains(String.format("%,d deleted", parts.size()));
        assertThat(dataFiles(target)).isEqualTo(dataFiles(source));
        assertThat(CliRun.of("verify", "--archive", copy).exitCode()).isZero();
        assertThat(export(copy, "copy-after.txt")).isEqualTo(export(archive.toString(), "archive-after.txt"));
    }

    @Test
    void aCopyOfWhatTheArchiverWroteRestoresThePointsThatWereWritten(DevStack stack) throws Exception {
        S3Server s3 = stack.s3();
        s3.useInThisJvm();
        List<Point> points = TestArchive.workload("it.copied", W, 3 * 60, 2);
        Path archive = ArchiverOutput.archive(stack, work.resolve("archived"), "it-copied", points, W + 4 * HOUR);
        String copy = s3.bucket("copy-of-archiver", "rewind");
        CliRun copied = CliRun.of("copy", "--from", archive.toString(), "--to", copy, "--scratch", work.resolve("scratch2").toString());
        assertThat(copied.exitCode()).as(copied.out() + copied.err()).isZero();
        Tsd restored = stack.tsd("copy-of-archiver-restored", java.util.Map.of());
        CliRun restore = CliRun.of("restore", "--archive", copy, "--topic", "it-copied", "--from", Long.toString(W), "--to",
                Long.toString(W + 3 * HOUR), "--target", restored.httpUrl().toString(), "--rejects", work.resolve("copied.rejects.jsonl").toString());
        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        for (String metric : List.of("it.copied.cpu", "it.copied.load", "it.copied.latency")) {
            assertThat(RestoreIT.series(restored, metric, W, W + 3 * HOUR - 1)).as(metric).isEqualTo(RestoreIT.expected(points, metric, metric));
        }
    }

    private String export(String archive, String name) throws Exception {
        Path file = work.resolve(name);
        CliRun run = CliRun.of("export", "--archive", archive, "--from", Long.toString(W), "--to", Long.toString(W + 12 * HOUR), "-o",
                file.toString());
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        String text = Files.readString(file);
        assertThat(text.lines().count()).isGreaterThan(1000);
        return text;
    }

    private static List<String> dataFiles(Storage storage) throws Exception {
        try (Stream<Storage.ObjectInfo> all = storage.list(ArchiveLayout.VERSION + "/")) {
            return all.map(Storage.ObjectInfo::key).filter(k -> ArchiveLayout.parse(k).isPresent()).toList();
        }
    }

    private static long sidecars(Storage storage) throws Exception {
        try (Stream<Storage.ObjectInfo> all = storage.list(ArchiveLayout.VERSION + "/")) {
            return all.filter(o -> o.key().endsWith(SegmentFiles.SIDECAR_SUFFIX)).count();
        }
    }
}
