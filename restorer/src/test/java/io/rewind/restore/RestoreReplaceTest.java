package io.rewind.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Slice;
import io.rewind.restore.targets.Target;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a restore that replaces the target's series covers, and what it refuses to replace. */
class RestoreReplaceTest {
    private static final long W = 1_763_640_000_000L; // 2025-11-20T12:00:00Z, a window start
    private static final long MIN = 60_000L;
    private static final long INGESTED = W + 3 * TestArchive.HOUR;

    @TempDir
    Path dir;
    Storage storage;

    @BeforeEach
    void storage() throws java.io.IOException {
        storage = new LocalStorage(dir);
    }

    private static Point point(String metric, long timestampMs, String host) {
        return TestArchive.point(metric, timestampMs, TimestampPrecision.SECONDS, 1L, Map.of("host", host));
    }

    private static Selection selection(long fromMs, long toMs, List<String> metrics) {
        return new Selection(fromMs, toMs, Long.MAX_VALUE, metrics, Map.of());
    }

    /** Every slice a restore hands to its target, in order. */
    private List<Slice> slices(RestorePlan plan, Transforms transforms) throws Exception {
        List<Slice> slices = new ArrayList<>();
        Batches.produce(storage, plan, transforms, 1000, null, (batch, written) -> slices.addAll(batch.slices()));
        return slices;
    }

    @Test
    void aReplacingRestoreEmptiesTheSeriesOfAWindowWhoseArchiveHoldsNoPointInTheRange() throws Exception {
        // Window W holds r.quiet only before the range starts; window W+1h holds r.busy in the range. Garbage written to
        // r.quiet between W+30m and W+1h must go: the archive holds that window of r.quiet, with nothing in the range.
        new TestArchive(storage, 1).commit(TestArchive.ingestedAt(List.of(point("r.quiet", W + 5 * MIN, "a"),
                point("other.quiet", W + 6 * MIN, "a"), point("r.busy", W + 70 * MIN, "a")), INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W + 30 * MIN, W + 2 * TestArchive.HOUR, List.of("r.*")))
                .replacing();

        List<Slice> slices = slices(plan, Transforms.NONE);

        assertThat(slices).filteredOn(s -> s.series().metric().equals("r.quiet")).singleElement().satisfies(s -> {
            assertThat(s.to()).isEqualTo(s.from());
            assertThat(s.domainFromMs()).isEqualTo(W + 30 * MIN);
            assertThat(s.domainToMs()).isEqualTo(W + TestArchive.HOUR);
        });
        assertThat(slices).filteredOn(s -> s.series().metric().equals("r.busy")).singleElement()
                .satisfies(s -> assertThat(s.to() - s.from()).isEqualTo(1));
        assertThat(slices).as("only series the selection names").extracting(s -> s.series().metric())
                .containsOnly("r.quiet", "r.busy");
    }

    @Test
    void aRestoreThatDoesNotReplaceStillSkipsAWindowWithNoPointInTheRange() throws Exception {
        new TestArchive(storage, 1).commit(TestArchive.ingestedAt(List.of(point("r.quiet", W + 5 * MIN, "a"),
                point("r.busy", W + 70 * MIN, "a")), INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W + 30 * MIN, W + 2 * TestArchive.HOUR, List.of()));

        assertThat(plan.units()).extracting(ArchiveIndex.Unit::windowStartMs).containsExactly(W + TestArchive.HOUR);
        assertThat(slices(plan, Transforms.NONE)).extracting(s -> s.series().metric()).containsExactly("r.busy");
    }

    /** A target that records every batch it is sent. */
    private static final class RecordingTarget implements Target {
        final List<Batch> written = Collections.synchronizedList(new ArrayList<>());

        @Override
        public int write(Batch batch) {
            written.add(batch);
            return 0;
        }

        @Override
        public long retries() {
            return 0;
        }
    }

    @Test
    void replacingRefusesARenameThatMapsTwoArchivedSeriesOntoOneBeforeWritingAnything() throws Exception {
        // Each of r.a and r.b would be restored with the span it replaces: the batch written second deletes what the
        // first wrote. 2 partitions: the two series may be read in different units as well as in one.
        new TestArchive(storage, 2).commit(TestArchive.ingestedAt(List.of(point("r.a", W + 5 * MIN, "x"), point("r.b", W + 6 * MIN, "x"),
                point("r.c", W + 7 * MIN, "x")), INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + TestArchive.HOUR, List.of())).replacing();
        Transforms merging = new Transforms(List.of("r\\.(a|b)=r.ab"), Map.of(), Set.of(), 0);
        RecordingTarget target = new RecordingTarget();

        assertThatThrownBy(() -> Restore.run(storage, plan, merging, 1, 2, target, null, new Restore.Counts()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--replace")
                .hasMessageContaining("--rename-metric 'r\\.(a|b)=r.ab'")
                .hasMessageContaining("r.a{host=x}").hasMessageContaining("r.b{host=x}").hasMessageContaining("r.ab{host=x}");
        assertThat(target.written).isEmpty();
    }

    @Test
    void replacingRefusesADroppedTagThatMergesSeries() throws Exception {
        new TestArchive(storage, 1).commit(TestArchive.ingestedAt(List.of(point("r.a", W + 5 * MIN, "x"), point("r.a", W + 6 * MIN, "y")),
                INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + TestArchive.HOUR, List.of())).replacing();
        List<Slice> handed = new ArrayList<>();

        assertThatThrownBy(() -> Batches.produce(storage, plan, new Transforms(List.of(), Map.of(), Set.of("host"), 0), 1000, null,
                (batch, written) -> handed.addAll(batch.slices())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--drop-tag host");
        assertThat(handed).isEmpty();
    }

    @Test
    void replacingRefusesAMergeEvenWhenOneOfTheSeriesHasNothingInTheRange() throws Exception {
        // r.b holds nothing in the range: restored empty, its span would still delete what r.a wrote as r.ab.
        new TestArchive(storage, 1).commit(TestArchive.ingestedAt(List.of(point("r.a", W + 40 * MIN, "x"), point("r.b", W + 5 * MIN, "x")),
                INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W + 30 * MIN, W + TestArchive.HOUR, List.of())).replacing();

        assertThatThrownBy(() -> slices(plan, new Transforms(List.of("r\\.(a|b)=r.ab"), Map.of(), Set.of(), 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--rename-metric");
    }

    @Test
    void replacingKeepsTransformsThatMapEverySeriesOfTheSelectionApart() throws Exception {
        new TestArchive(storage, 2).commit(TestArchive.ingestedAt(List.of(point("r.a", W + 5 * MIN, "x"), point("r.b", W + 6 * MIN, "x"),
                point("r.b", W + 7 * MIN, "y")), INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + TestArchive.HOUR, List.of())).replacing();
        Transforms apart = new Transforms(List.of("r\\.(.*)=staging.r.$1"), Map.of("env", "staging"), Set.of(), 1000);

        assertThat(slices(plan, apart)).extracting(s -> s.series().metric() + s.series().tags())
                .containsExactlyInAnyOrder("staging.r.a{env=staging, host=x}", "staging.r.b{env=staging, host=x}",
                        "staging.r.b{env=staging, host=y}");
    }

    @Test
    void withoutReplaceARenameMayMergeSeries() throws Exception {
        new TestArchive(storage, 1).commit(TestArchive.ingestedAt(List.of(point("r.a", W + 5 * MIN, "x"), point("r.b", W + 6 * MIN, "x")),
                INGESTED));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + TestArchive.HOUR, List.of()));

        assertThat(slices(plan, new Transforms(List.of("r\\.(a|b)=r.ab"), Map.of(), Set.of(), 0)))
                .extracting(s -> s.series().metric()).containsExactly("r.ab", "r.ab");
    }
}
