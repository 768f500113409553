package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import io.rewind.schema.TimestampPrecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `restore --replace` refuses a transform that merges archived series before it asks, checkpoints or writes anything. */
class RestoreReplaceCommandTest {
    private static final long W = 1_763_640_000_000L; // 2025-11-20T12:00:00Z, a window start

    @TempDir
    Path dir;

    @Test
    void replaceWithADroppedTagThatMergesSeriesIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path archive = dir.resolve("archive");
        new TestArchive(new LocalStorage(archive), 1).commit(TestArchive.ingestedAt(List.of(
                TestArchive.point("m.cpu", W + 60_000, TimestampPrecision.SECONDS, 1L, Map.of("host", "a", "dc", "lga")),
                TestArchive.point("m.cpu", W + 60_000, TimestampPrecision.SECONDS, 2L, Map.of("host", "b", "dc", "lga"))), W + TestArchive.HOUR));
        Path config = Files.writeString(dir.resolve("opentsdb.conf"), "tsd.storage.hbase.zk_quorum = 127.0.0.1:1\n");
        Path rejects = dir.resolve("out").resolve("r.rejects.jsonl");
        Files.createDirectories(rejects.getParent());

        CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to",
                Long.toString(W + TestArchive.HOUR), "--storage-config", config.toString(), "--replace", "--yes", "--drop-tag", "host",
                "--rejects", rejects.toString());

        assertThat(run.exitCode()).as(run.out() + "/" + run.err()).isEqualTo(RewindCli.USAGE);
        assertThat(run.err()).contains("--drop-tag host").contains("m.cpu{dc=lga,host=a}").contains("m.cpu{dc=lga,host=b}").contains("onto m.cpu{dc=lga}");
        assertThat(run.out()).doesNotContain("Restoring");
        try (var written = Files.list(rejects.getParent())) {
            assertThat(written).as("no checkpoint, no reject file").isEmpty();
        }
    }
}
