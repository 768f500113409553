package io.rewind.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the Kafka tail starts and what it loses, and how its points join the archive's in one merge. */
class KafkaTailTest {
    private static final long W = 1_763_640_000_000L; // a window start
    private static final long HOUR = TestArchive.HOUR;

    @TempDir
    Path dir;

    @Test
    void theTailStartsAtTheArchiversCommittedOffsetElseAfterTheFilesElseAtTheLogStart() {
        KafkaTail.Snapshot snapshot = new KafkaTail.Snapshot(null,
                new TreeMap<>(Map.of(0, new long[] {0, 100}, 1, new long[] {50, 90}, 2, new long[] {0, 10})), Map.of(0, 80L));
        List<KafkaTail.Position> positions = snapshot.positions(Map.of(0, 95L, 1, 40L));

        assertThat(positions.get(0)).isEqualTo(new KafkaTail.Position(0, 0, 80, KafkaTail.Source.COMMITTED, 100));
        assertThat(positions.get(0).records()).isEqualTo(20);
        assertThat(positions.get(0).deleted()).isZero();
        // Partition 1: archived to 40, but Kafka's retention deleted everything before 50: ten records are lost to a restore.
        assertThat(positions.get(1).source()).isEqualTo(KafkaTail.Source.FILES);
        assertThat(positions.get(1).from()).isEqualTo(50);
        assertThat(positions.get(1).deleted()).isEqualTo(10);
        assertThat(positions.get(1).records()).isEqualTo(40);
        assertThat(positions.get(2)).isEqualTo(new KafkaTail.Position(2, 0, 0, KafkaTail.Source.NOTHING, 10));
        assertThat(positions.get(2).records()).isEqualTo(10);
    }

    @Test
    void tailPointsJoinTheUnitOfTheirWindowAndPartitionSoThatAsOfChoosesAcrossBoth() throws IOException, InterruptedException {
        Storage storage = new LocalStorage(dir);
        TestArchive archive = new TestArchive(storage, 2);
        Map<String, String> tags = Map.of("host", "a");
        List<Point> archived = List.of(point(W + 1_000, 1L, tags), point(W + 2_000, 2L, tags));
        archive.commit(TestArchive.ingestedAt(archived, W + HOUR));
        int partition = TestArchive.partitionOf(archived.get(0), 2);

        // The tail: a new version of the second point, ingested later, and a point of the next window, which has no file yet.
        SeriesId id = new SeriesId(SeriesKey.of(archived.get(0)), archived.get(0).getKind(), null);
        SeriesPoints tailSeries = new SeriesPoints(id, 4);
        tailSeries.add(point(W + 2_000, 20L, tags), W + 2 * HOUR);
        tailSeries.add(point(W + HOUR + 5_000, 3L, tags), W + 2 * HOUR);
        Map<Integer, Map<SeriesId, SeriesPoints>> series = new HashMap<>();
        series.put(partition, Map.of(id, tailSeries));
        List<KafkaTail.Position> positions = List.of(new KafkaTail.Position(partition, 0, 2, KafkaTail.Source.COMMITTED, 4));
        KafkaTail.Tail tail = new KafkaTail.Tail(positions, series, 2, 2, 0);
        List<ArchiveIndex.Unit> units = KafkaTail.into(
                ArchiveIndex.scanRange(storage, TestArchive.TOPIC, W, W + 2 * HOUR, new ArrayList<>()).restoreUnits(), tail,
                TestArchive.TOPIC, HOUR);

        assertThat(units).hasSize(2);
        assertThat(units.get(0).live()).hasSize(1);
        assertThat(units.get(0).tail().points()).isEqualTo(1);
        assertThat(units.get(1).live()).isEmpty();
        assertThat(units.get(1).windowStartMs()).isEqualTo(W + HOUR);
        assertThat(units.get(1).partition()).isEqualTo(partition);
        assertThat(units.get(0).tail().offsets()).isEqualTo("p" + partition + ":2-4");

        assertThat(read(storage, units, Long.MAX_VALUE)).containsExactly(1L, 20L, 3L);
        assertThat(read(storage, units, W + HOUR)).containsExactly(1L, 2L);
        assertThat(Restore.unitKey(units.get(0))).isNotEqualTo(Restore.unitKey(
                ArchiveIndex.scanRange(storage, TestArchive.TOPIC, W, W + 2 * HOUR, new ArrayList<>()).restoreUnits().get(0)));
    }

    @Test
    void aUnitHoldingSeveralPartitionsNamesEachPartitionsOffsets() {
        // A baseline's hour holds every partition's series: the tail's points of partitions 1 and 10 both join it.
        ArchiveIndex.Unit baseline = new ArchiveIndex.Unit("v1/points/dt=2025-11-20/hour=12/", TestArchive.TOPIC, W, W + HOUR, -1,
                List.of(), List.of());
        Map<Integer, Map<SeriesId, SeriesPoints>> series = new java.util.LinkedHashMap<>(); // 10 read before 1
        for (int partition : List.of(10, 1)) {
            Point point = point(W + partition * 1_000L, partition, Map.of("host", "h" + partition));
            SeriesId id = new SeriesId(SeriesKey.of(point), point.getKind(), null);
            SeriesPoints points = new SeriesPoints(id, 1);
            points.add(point, W + 2 * HOUR);
            series.put(partition, Map.of(id, points));
        }
        KafkaTail.Tail tail = new KafkaTail.Tail(List.of(new KafkaTail.Position(1, 0, 5, KafkaTail.Source.COMMITTED, 6),
                new KafkaTail.Position(10, 0, 7, KafkaTail.Source.COMMITTED, 8)), series, 2, 2, 0);

        List<ArchiveIndex.Unit> units = KafkaTail.into(List.of(baseline), tail, TestArchive.TOPIC, HOUR);

        assertThat(units).singleElement().satisfies(u -> {
            assertThat(u.tail().points()).isEqualTo(2);
            assertThat(u.tail().offsets()).isEqualTo("p1:5-6,p10:7-8");
        });
    }

    private static List<Long> read(Storage storage, List<ArchiveIndex.Unit> units, long asOf) throws IOException, InterruptedException {
        List<Long> values = new ArrayList<>();
        SelectionReader reader = new SelectionReader(storage, new Selection(W, W + 2 * HOUR, asOf, List.of(), Map.of()));
        for (ArchiveIndex.Unit unit : units) {
            reader.read(unit, s -> {
                for (int i = 0; i < s.size(); i++) {
                    values.add((Long) s.value(i));
                }
            });
        }
        return values;
    }

    private static Point point(long timestampMs, long value, Map<String, String> tags) {
        return TestArchive.point("tail.test", timestampMs, TimestampPrecision.SECONDS, value, tags);
    }
}
