package io.rewind.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Target;
import io.rewind.schema.Point;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a restore's senders hand batches to the target: every batch exactly once, however slow the target; a failure stops the run. */
class RestoreRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long W = 1_763_640_000_000L; // 2025-11-20T12:00:00Z, a window start

    @TempDir
    Path dir;
    Storage storage;
    List<Point> points;
    RestorePlan plan;

    @BeforeEach
    void archive() throws IOException {
        storage = new LocalStorage(dir.resolve("archive"));
        points = TestArchive.workload("run", W, 20, 2); // 720 points
        new TestArchive(storage, 2).commit(TestArchive.ingestedAt(points, W + 3 * TestArchive.HOUR));
        plan = RestorePlan.of(storage, TestArchive.TOPIC, new Selection(W, W + TestArchive.HOUR, Long.MAX_VALUE, List.of(), Map.of()));
    }

    /** A target that stores what it is sent, answering each batch after {@code latency}, and fails the write numbered {@code failAt}. */
    private static final class RecordingTarget implements Target {
        final List<String> stored = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger writes = new AtomicInteger();
        final Duration latency;
        final int failAt;
        final Error error;

        RecordingTarget(Duration latency, int failAt) {
            this(latency, failAt, null);
        }

        /** Fails the write numbered {@code failAt} with the error, or with an IOException when it is null. */
        RecordingTarget(Duration latency, int failAt, Error error) {
            this.latency = latency;
            this.failAt = failAt;
            this.error = error;
        }

        @Override
        public int write(Batch batch) throws IOException, InterruptedException {
            if (writes.incrementAndGet() == failAt) {
                if (error != null) {
                    throw error;
                }
                throw new IOException("target down");
            }
            Thread.sleep(latency.toMillis()); // the target's answer time, slower than any wait inside the restore
            for (JsonNode p : JSON.readTree(batch.json())) {
                stored.add(p.get("metric").asText() + " " + p.get("timestamp").asLong() + " " + p.get("tags"));
            }
            return 0;
        }

        @Override
        public long retries() {
            return 0;
        }
    }

    @Test
    void aSlowTargetGetsEveryBatchExactlyOnce() throws Exception {
        RecordingTarget target = new RecordingTarget(Duration.ofMillis(300), -1);
        Restore.Result result;
        try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("cp"), "f", false)) {
            // 720 points in batches of 60 on 2 senders: the queue of 4 stays full while the target answers.
            result = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> Restore.run(storage, plan, Transforms.NONE, 60, 2, target, checkpoint, new Restore.Counts()));
        }

        assertThat(result.pointsSent()).isEqualTo(points.size());
        assertThat(target.stored).hasSize(points.size()).doesNotHaveDuplicates();
    }

    @Test
    void aRateLimitedRestoreTakesAtLeastItsPointsOverTheRateAndWritesEveryBatchOnce() throws Exception {
        RecordingTarget target = new RecordingTarget(Duration.ZERO, -1);
        double rate = 2_000; // 720 points: at least 0.36 s, less the bucket's tenth of a second
        long started = System.nanoTime();
        try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("cp"), "f", false)) {
            Restore.run(storage, plan, Transforms.NONE, 60, 3, Target.limited(target, io.rewind.archive.RateLimit.of(rate)), checkpoint,
                    new Restore.Counts());
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        assertThat(target.stored).hasSize(points.size()).doesNotHaveDuplicates();
        assertThat(seconds).as("over all senders together").isGreaterThanOrEqualTo(points.size() / rate - 0.1 - 0.03);
    }

    @Test
    void aTargetFailureStopsTheRunWithItsErrorAndOnlyWrittenBatchesAreCheckpointed() throws Exception {
        RecordingTarget target = new RecordingTarget(Duration.ZERO, 3);
        try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("cp"), "f", false)) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(
                    () -> Restore.run(storage, plan, Transforms.NONE, 60, 1, target, checkpoint, new Restore.Counts()))
                    .isInstanceOf(IOException.class).hasMessage("target down"));
            long checkpointed = plan.units().stream().mapToLong(u -> checkpoint.ackedPoints(Batches.unitKey(u))).sum();
            assertThat(checkpointed).isEqualTo(target.stored.size()).isEqualTo(2 * 60);
        }

        // The rerun continues from the checkpoint and writes the rest, nothing twice.
        RecordingTarget rerun = new RecordingTarget(Duration.ZERO, -1);
        try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("cp"), "f", false)) {
            Restore.run(storage, plan, Transforms.NONE, 60, 1, rerun, checkpoint, new Restore.Counts());
        }
        List<String> all = new ArrayList<>(target.stored);
        all.addAll(rerun.stored);
        assertThat(all).hasSize(points.size()).doesNotHaveDuplicates();
    }

    @Test
    void anErrorInASenderStopsTheRunInsteadOfLosingItsBatch() throws Exception {
        // As OpenTSDB's UID code did on Java 17 without javax.xml.bind: an Error, not an Exception, out of one write. The
        // sender that met it must fail the run; before, it died alone, its batch unwritten, and the run ended normally.
        RecordingTarget target = new RecordingTarget(Duration.ZERO, 2, new NoClassDefFoundError("javax/xml/bind/DatatypeConverter"));
        try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("cp"), "f", false)) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(
                    () -> Restore.run(storage, plan, Transforms.NONE, 60, 3, target, checkpoint, new Restore.Counts()))
                    .isInstanceOf(IOException.class).hasMessageContaining("DatatypeConverter"));
            long checkpointed = plan.units().stream().mapToLong(u -> checkpoint.ackedPoints(Batches.unitKey(u))).sum();
            assertThat(checkpointed).as("never more than the target holds").isLessThanOrEqualTo(target.stored.size());
        }

        // The rerun writes what the failed run did not: every point reaches the target.
        RecordingTarget rerun = new RecordingTarget(Duration.ZERO, -1);
        try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("cp"), "f", false)) {
            Restore.run(storage, plan, Transforms.NONE, 60, 3, rerun, checkpoint, new Restore.Counts());
        }
        java.util.Set<String> all = new java.util.HashSet<>(target.stored);
        all.addAll(rerun.stored);
        assertThat(all).hasSize(points.size());
    }
}
