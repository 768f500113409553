package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** verify, list and inspect against a local archive, through the command line. */
class VerifyCommandTest {
    private static final long W = 1_763_640_000_000L;

    @TempDir
    Path dir;
    List<String> keys;

    @BeforeEach
    void archive() throws IOException {
        try (LocalStorage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 3);
            keys = archive.commit(TestArchive.ingestedAt(TestArchive.workload("v", W, 180, 4), W + 4 * TestArchive.HOUR));
        }
    }

    @Test
    void aSoundArchiveVerifies() {
        CliRun run = CliRun.of("verify", "--archive", dir.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains(keys.size() + " file(s) verified: no problem.");
    }

    @Test
    void verifyNamesAFlippedByteATruncatedFileAndAMissingFile() throws IOException {
        String flipped = keys.get(0);
        String truncated = keys.get(1);
        String missing = keys.get(2);
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve(flipped).toFile(), "rw")) {
            file.seek(file.length() / 2);
            int b = file.read();
            file.seek(file.length() / 2);
            file.write(b ^ 0x10);
        }
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve(truncated).toFile(), "rw")) {
            file.setLength(file.length() - 100);
        }
        Files.delete(dir.resolve(missing));

        CliRun run = CliRun.of("verify", "--archive", dir.toString());

        assertThat(run.exitCode()).isEqualTo(RewindCli.PROBLEMS);
        assertThat(run.out().lines().filter(l -> l.startsWith("PROBLEM"))).hasSize(3)
                .anySatisfy(l -> assertThat(l).contains(flipped))
                .anySatisfy(l -> assertThat(l).contains(truncated))
                .anySatisfy(l -> assertThat(l).contains(missing + ": missing"));
    }

    @Test
    void listShowsEveryWindowAndPartitionAndTheGaps(@TempDir Path other) throws IOException {
        List<String> lost;
        try (LocalStorage storage = new LocalStorage(other)) {
            TestArchive archive = new TestArchive(storage, 2);
            archive.commit(TestArchive.ingestedAt(TestArchive.workload("g", W, 60, 4), W + 4 * TestArchive.HOUR));
            lost = archive.commit(TestArchive.ingestedAt(TestArchive.workload("g", W + TestArchive.HOUR, 60, 4), W + 5 * TestArchive.HOUR));
            archive.commit(TestArchive.ingestedAt(TestArchive.workload("g", W + 2 * TestArchive.HOUR, 60, 4), W + 6 * TestArchive.HOUR));
            for (String key : lost) {
                storage.delete(key);
                storage.delete(key + ".sha256");
            }
        }

        CliRun run = CliRun.of("list", "--archive", other.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("2 window(s), 2 partition(s)");
        assertThat(run.out().lines().filter(l -> l.startsWith("  2025-11-20T"))).hasSize(4);
        assertThat(run.out()).contains("partition 0: offsets ").contains("partition 1: offsets ")
                .contains("window 2025-11-20T13:00:00Z: no data, while windows before and after have some");
    }

    @Test
    void inspectShowsTheHeaderSeriesAndFirstPoints() {
        CliRun run = CliRun.of("inspect", dir.resolve(keys.get(0)).toString(), "--points", "3");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("kind           part").contains("First points (3):").contains("v.cpu{");
    }

    @Test
    void aDryRunCountsThePointsPerTargetMetricAndWritesNothing() throws IOException {
        CliRun run = CliRun.of("restore", "--archive", dir.toString(), "--from", Long.toString(W), "--to", Long.toString(W + TestArchive.HOUR),
                "--metric", "v.cpu", "--rename-metric", "v\\.(.*)=staging.$1", "--dry-run", "--json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        var plan = Report.JSON.readTree(run.out());
        assertThat(plan.get("pointsPerMetric").get("staging.cpu").asLong()).isEqualTo(60 * 6 * 4);
        assertThat(plan.get("pointsPerMetric").size()).isEqualTo(1);
        assertThat(Files.exists(Path.of("rewind-restore.rejects.jsonl"))).isFalse();
    }

    @Test
    void aWrongCommandLineExitsTwoWithOneLine() {
        CliRun run = CliRun.of("restore", "--archive", dir.toString(), "--from", "yesterday", "--target", "http://127.0.0.1:1");

        assertThat(run.exitCode()).as(run.out() + "/" + run.err()).isEqualTo(RewindCli.USAGE);
        assertThat(run.err().strip()).startsWith("rewind restore: 'yesterday' is not a time").doesNotContain("\n");
    }

    @Test
    void aRestoreWithAnUnreadableStorageConfigStopsBeforeWritingAnything() throws IOException {
        Path rejects = dir.resolve("out").resolve("restore.rejects.jsonl");
        Files.createDirectories(rejects.getParent());

        CliRun run = CliRun.of("restore", "--archive", dir.toString(), "--from", Long.toString(W), "--to", Long.toString(W + 4 * TestArchive.HOUR),
                "--storage-config", dir.resolve("no-such-opentsdb.conf").toString(), "--rejects", rejects.toString());

        assertThat(run.exitCode()).isEqualTo(RewindCli.USAGE);
        assertThat(run.err()).contains("cannot read the OpenTSDB configuration").contains("no-such-opentsdb.conf");
        assertThat(run.out()).doesNotContain("Restoring");
        try (var written = Files.list(rejects.getParent())) {
            assertThat(written).as("no checkpoint, no reject file").isEmpty();
        }
    }
}
