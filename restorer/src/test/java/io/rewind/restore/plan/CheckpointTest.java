package io.rewind.restore.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheLeadingRunOfAcknowledgedBatchesCountsAsWritten() throws IOException {
        Path file = dir.resolve("cp");
        try (Checkpoint cp = Checkpoint.open(file, "restore-a", false)) {
            cp.acked("u1", 1, 10);
            cp.acked("u1", 2, 10);
            assertThat(cp.ackedBatches("u1")).isZero();
            cp.acked("u1", 0, 10);
            assertThat(cp.ackedBatches("u1")).isEqualTo(3);
            cp.acked("u1", 4, 10);
            cp.acked("u1", 1, 10); // acknowledged again after a retry: counted once
            assertThat(cp.ackedPoints("u1")).isEqualTo(30);
        }
        try (Checkpoint cp = Checkpoint.open(file, "restore-a", false)) {
            assertThat(cp.continuing()).isTrue();
            assertThat(cp.ackedBatches("u1")).isEqualTo(3);
            assertThat(cp.isDone("u1")).isFalse();
            cp.acked("u1", 3, 5);
            cp.allBatchesProduced("u1", 4);
            assertThat(cp.isDone("u1")).isTrue();
            assertThat(cp.totalAckedPoints()).isEqualTo(35);
        }
    }

    @Test
    void aUnitWithNothingToWriteIsDoneAtOnce() throws IOException {
        try (Checkpoint cp = Checkpoint.open(dir.resolve("cp"), "r", false)) {
            cp.allBatchesProduced("empty", 0);
            assertThat(cp.isDone("empty")).isTrue();
        }
    }

    @Test
    void aTornLastLineIsIgnoredAndRelativeTimesKeepTheirFirstMeaning() throws IOException {
        Path file = dir.resolve("cp");
        long started;
        try (Checkpoint cp = Checkpoint.open(file, "r", false)) {
            started = cp.startedMs();
            cp.acked("u", 0, 7);
        }
        Files.writeString(file, "acked u 9", StandardOpenOption.APPEND);
        try (Checkpoint cp = Checkpoint.open(file, "r", false)) {
            assertThat(cp.startedMs()).isEqualTo(started);
            assertThat(cp.ackedBatches("u")).isEqualTo(1);
            cp.acked("u", 1, 7);
        }
        try (Checkpoint cp = Checkpoint.open(file, "r", false)) {
            assertThat(cp.ackedPoints("u")).isEqualTo(14);
        }
    }

    @Test
    void theCheckpointOfAnotherRestoreIsRefusedUnlessFresh() throws IOException {
        Path file = dir.resolve("cp");
        try (Checkpoint cp = Checkpoint.open(file, "restore-a", false)) {
            cp.acked("u", 0, 1);
        }
        assertThatThrownBy(() -> Checkpoint.open(file, "restore-b", false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("different restore").hasMessageContaining("--fresh");
        try (Checkpoint cp = Checkpoint.open(file, "restore-b", true)) {
            assertThat(cp.continuing()).isFalse();
            assertThat(cp.ackedBatches("u")).isZero();
        }
    }

    /** A follower that continues after its restore resolves relative times as that restore's first run did. */
    @Test
    void whenTheFirstRunStartedIsReadWhateverRestoreTheFileHolds() throws IOException {
        Path file = dir.resolve("cp");
        assertThat(Checkpoint.startedAt(file)).isEmpty();
        long started;
        try (Checkpoint cp = Checkpoint.open(file, "restore-a", false)) {
            started = cp.startedMs();
        }
        assertThat(Checkpoint.startedAt(file)).contains(started);
        Files.writeString(dir.resolve("other"), "not a checkpoint\n");
        assertThat(Checkpoint.startedAt(dir.resolve("other"))).isEmpty();
    }
}
