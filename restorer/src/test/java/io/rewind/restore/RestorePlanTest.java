package io.rewind.restore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Slice;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a restore reads from an archive of parts and segments, and the batches it sends. */
class RestorePlanTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long W = 1_763_640_000_000L; // 2025-11-20T12:00:00Z, a window start
    private static final long T1 = W + 2 * TestArchive.HOUR;
    private static final long T2 = W + 5 * TestArchive.HOUR;

    @TempDir
    Path dir;
    Storage storage;
    List<Point> good;
    List<Point> bad;
    String segmentKey;
    List<String> supersededParts;
    TestArchive archive;

    @BeforeEach
    void archive() throws IOException {
        storage = new LocalStorage(dir);
        archive = new TestArchive(storage, 2);
        good = TestArchive.workload("plan", W + 30 * 60_000L, 60, 3); // 12:30 to 13:30: two windows
        List<String> first = archive.commit(TestArchive.ingestedAt(good, T1));
        supersededParts = first.stream().filter(k -> k.contains("hour=12/p=0000/")).toList();
        segmentKey = archive.compact(W, 0, 1, supersededParts);
        bad = good.stream().filter(p -> p.getMetric().equals("plan.load") && p.getTimestampMs() < W + TestArchive.HOUR)
                .map(p -> TestArchive.point(p.getMetric(), p.getTimestampMs(), p.getPrecision(), -1.5, p.getTags())).toList();
        archive.commit(TestArchive.ingestedAt(bad, T2)); // late parts for the compacted window too
    }

    @Test
    void aSegmentReplacesThePartsItSupersedesAndLatePartsStayLive() throws IOException {
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + 2 * TestArchive.HOUR, Long.MAX_VALUE));

        assertThat(plan.units()).hasSize(4);
        ArchiveIndex.Unit compacted = plan.units().stream().filter(u -> u.windowStartMs() == W && u.partition() == 0).findFirst().orElseThrow();
        assertThat(compacted.files()).hasSize(3);
        assertThat(compacted.live()).extracting(ArchiveIndex.StoredFile::key).contains(segmentKey).doesNotContainAnyElementsOf(supersededParts);
        assertThat(compacted.live()).hasSize(2);
        assertThat(plan.estimatedPoints()).isEqualTo(good.size() + bad.size());
    }

    @Test
    void withoutAsOfTheLatestVersionOfEachPointIsRestoredOnce() throws IOException, InterruptedException {
        Map<String, JsonNode> sent = sentPoints(selection(W, W + 2 * TestArchive.HOUR, Long.MAX_VALUE), 100);

        assertThat(sent).hasSize(good.size());
        for (Point p : bad) {
            assertThat(sent.get(id(p)).get("value").asDouble()).isEqualTo(-1.5);
        }
    }

    @Test
    void asOfRestoresTheVersionsIngestedBeforeIt() throws IOException, InterruptedException {
        Map<String, JsonNode> sent = sentPoints(selection(W, W + 2 * TestArchive.HOUR, T2 - 1), 100);

        assertThat(sent).hasSize(good.size());
        for (Point p : good) {
            assertWrittenAsItWasWritten(sent.get(id(p)), p);
        }
    }

    @Test
    void aBaselineAndTheArchiveOverlappingGiveEachPointOnceTheLatestVersionAsOfTheTime() throws IOException, InterruptedException {
        long before = W - TestArchive.HOUR; // the baseline read the cluster before the tap's points were archived (T1)
        List<Point> older = good.stream().map(p -> TestArchive.point(p.getMetric(), p.getTimestampMs(), p.getPrecision(),
                p.getValue() instanceof Long l ? l + 1 : (Double) p.getValue() + 1, p.getTags())).toList();
        new TestArchive(storage, 2).baseline("tsdb", TestArchive.ingestedAt(older, before));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + 2 * TestArchive.HOUR, Long.MAX_VALUE));
        assertThat(plan.units()).as("a baseline hour is one unit with the archiver's windows it overlaps")
                .allSatisfy(u -> assertThat(u.partition()).isEqualTo(-1)).hasSize(2);

        Map<String, JsonNode> latest = sentPoints(selection(W, W + 2 * TestArchive.HOUR, T1), 100);
        assertThat(latest).hasSize(good.size());
        for (Point p : good) {
            assertWrittenAsItWasWritten(latest.get(id(p)), p);
        }
        Map<String, JsonNode> asOfBaseline = sentPoints(selection(W, W + 2 * TestArchive.HOUR, T1 - 1), 100);
        assertThat(asOfBaseline).hasSize(older.size());
        for (Point p : older) {
            assertWrittenAsItWasWritten(asOfBaseline.get(id(p)), p);
        }
    }

    @Test
    void asOfBeforeAnythingWasIngestedRestoresNothing() throws IOException, InterruptedException {
        assertThat(sentPoints(selection(W, W + 2 * TestArchive.HOUR, T1 - 1), 100)).isEmpty();
    }

    @Test
    void theRangeIsExactAndTheFiltersSelectSeries() throws IOException, InterruptedException {
        long from = W + 40 * 60_000L;
        long to = W + 70 * 60_000L;
        Selection selection = new Selection(from, to, T2 - 1, List.of("plan.c*", "plan.latency"), Map.of("dc", "lga", "host", "web0?"));

        Map<String, JsonNode> sent = sentPoints(selection, 7);

        List<String> expected = good.stream()
                .filter(p -> p.getTimestampMs() >= from && p.getTimestampMs() < to)
                .filter(p -> !p.getMetric().equals("plan.load") && p.getTags().get("dc").equals("lga"))
                .map(RestorePlanTest::id).toList();
        assertThat(sent.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void transformsRenameRetagAndShift() throws IOException, InterruptedException {
        Transforms transforms = new Transforms(List.of("plan\\.(.*)=staging.$1"), Map.of("env", "staging"), java.util.Set.of("dc"), 7 * 86_400_000L);
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, new Selection(W, W + 2 * TestArchive.HOUR, T2 - 1, List.of("plan.cpu"), Map.of()));
        List<JsonNode> points = new ArrayList<>();
        Batches.produce(storage, plan, transforms, 50, null, (batch, written) -> JSON.readTree(batch.json()).forEach(points::add));

        // Each point of plan.cpu once, renamed, retagged (dc dropped, env added) and a week later, its value unchanged.
        List<String> expected = good.stream().filter(p -> p.getMetric().equals("plan.cpu")).map(p -> {
            Map<String, String> tags = new java.util.TreeMap<>(p.getTags());
            tags.remove("dc");
            tags.put("env", "staging");
            return "staging.cpu " + (p.getTimestampMs() + 7 * 86_400_000L) / 1000 + " " + p.getValue() + " " + tags;
        }).toList();
        List<String> sent = points.stream().map(p -> {
            Map<String, String> tags = new java.util.TreeMap<>();
            p.get("tags").fields().forEachRemaining(tag -> tags.put(tag.getKey(), tag.getValue().asText()));
            return p.get("metric").asText() + " " + p.get("timestamp").asLong() + " " + p.get("value").asLong() + " " + tags;
        }).toList();
        assertThat(sent).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void aResumedRestoreSkipsTheBatchesTheCheckpointHasAsWritten(@TempDir Path state) throws IOException, InterruptedException {
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W, W + 2 * TestArchive.HOUR, Long.MAX_VALUE));
        String unit = Batches.unitKey(plan.units().get(0));
        try (Checkpoint checkpoint = Checkpoint.open(state.resolve("cp"), "f", false)) {
            checkpoint.acked(unit, 0, 100);
            checkpoint.acked(unit, 2, 100); // batch 1 still in flight when the run stopped
        }
        List<Batch> sent = new ArrayList<>();
        List<Batch> skipped = new ArrayList<>();
        try (Checkpoint checkpoint = Checkpoint.open(state.resolve("cp"), "f", false)) {
            Batches.produce(storage, plan, Transforms.NONE, 100, checkpoint, (batch, written) -> (written ? skipped : sent).add(batch));
        }

        assertThat(skipped).extracting(Batch::unit, Batch::seq).containsExactly(org.assertj.core.groups.Tuple.tuple(unit, 0));
        assertThat(sent).filteredOn(b -> b.unit().equals(unit)).extracting(Batch::seq).startsWith(1, 2, 3);
        long total = sent.stream().mapToLong(Batch::points).sum() + skipped.stream().mapToLong(Batch::points).sum();
        assertThat(total).isEqualTo(good.size());
    }

    @Test
    void aPlanThatReplacesGivesEverySliceTheSpanItCoversAndTheSeriesWithNothingAsOfItsTime() throws Exception {
        // As of T1 the "bad" versions do not exist; a series written only after T1 must still reach the target, empty.
        // And one held only outside the range: in the range, the archive holds nothing of it either.
        List<Point> later = List.of(TestArchive.point("plan.later", W + 20 * 60_000, TimestampPrecision.SECONDS, 1L, Map.of("host", "new")),
                TestArchive.point("plan.outside", W + 60_000, TimestampPrecision.SECONDS, 1L, Map.of("host", "new")));
        archive.commit(TestArchive.ingestedAt(later, T2));
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection(W + 10 * 60_000, W + 2 * TestArchive.HOUR, T1)).replacing();
        Transforms shifted = new Transforms(List.of(), Map.of(), java.util.Set.of(), 1000);
        List<Slice> slices = new ArrayList<>();
        Batches.produce(storage, plan, shifted, 97, null, (batch, written) -> slices.addAll(batch.slices()));

        Map<String, List<Slice>> bySeries = new TreeMap<>();
        slices.forEach(s -> bySeries.computeIfAbsent(s.series().metric() + s.series().tags(), k -> new ArrayList<>()).add(s));
        for (String empty : List.of("plan.later{host=new}", "plan.outside{host=new}")) {
            assertThat(bySeries.get(empty)).as(empty).singleElement().satisfies(s -> {
                assertThat(s.to()).isEqualTo(s.from());
                assertThat(s.domainFromMs()).isEqualTo(W + 10 * 60_000 + 1000);
                assertThat(s.domainToMs()).isEqualTo(W + TestArchive.HOUR + 1000);
            });
        }
        for (List<Slice> ofSeries : bySeries.values()) {
            // The spans of a series tile [from, to) window by window, and each slice's points lie in its own span.
            List<Slice> sorted = ofSeries.stream().sorted(java.util.Comparator.comparingLong(Slice::domainFromMs)).toList();
            for (int i = 0; i < sorted.size(); i++) {
                Slice s = sorted.get(i);
                assertThat(s.domainToMs()).isGreaterThan(s.domainFromMs());
                if (i > 0) {
                    assertThat(s.domainFromMs()).isEqualTo(sorted.get(i - 1).domainToMs());
                }
                for (int p = s.from(); p < s.to(); p++) {
                    assertThat(s.series().timestampMs(p)).isBetween(s.domainFromMs(), s.domainToMs() - 1);
                }
            }
        }
        assertThat(slices.stream().filter(s -> s.to() - s.from() < s.series().size() && s.to() > s.from()).count())
                .as("series split between batches").isPositive();
    }

    private Map<String, JsonNode> sentPoints(Selection selection, int batchSize) throws IOException, InterruptedException {
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, selection);
        Map<String, JsonNode> sent = new TreeMap<>();
        Map<String, Integer> seen = new HashMap<>();
        Batches.produce(storage, plan, Transforms.NONE, batchSize, null, (batch, written) -> {
            JsonNode array = JSON.readTree(batch.json());
            assertThat(array.size()).isEqualTo(batch.points()).isLessThanOrEqualTo(batchSize);
            for (JsonNode p : array) {
                long ms = p.get("timestamp").asLong() < 10_000_000_000L ? p.get("timestamp").asLong() * 1000 : p.get("timestamp").asLong();
                String id = p.get("metric").asText() + JSON.convertValue(p.get("tags"), TreeMap.class) + "@" + ms;
                seen.merge(id, 1, Integer::sum);
                sent.put(id, p);
            }
        });
        assertThat(seen.values()).as("each point sent once").allMatch(n -> n == 1);
        return sent;
    }

    private static void assertWrittenAsItWasWritten(JsonNode sent, Point p) {
        assertThat(sent).as("%s", p).isNotNull();
        if (p.getValue() instanceof Long l) {
            assertThat(sent.get("value").isIntegralNumber()).isTrue();
            assertThat(sent.get("value").asLong()).isEqualTo(l);
        } else {
            assertThat(sent.get("value").isFloatingPointNumber()).isTrue();
            assertThat(sent.get("value").asDouble()).isEqualTo((Double) p.getValue());
        }
        long expectedTimestamp = p.getPrecision() == TimestampPrecision.SECONDS ? p.getTimestampMs() / 1000 : p.getTimestampMs();
        assertThat(sent.get("timestamp").asLong()).isEqualTo(expectedTimestamp);
    }

    private static String id(Point p) {
        return p.getMetric() + new TreeMap<>(p.getTags()) + "@" + p.getTimestampMs();
    }

    private static Selection selection(long from, long to, long asOf) {
        return new Selection(from, to, asOf, List.of(), Map.of());
    }
}
