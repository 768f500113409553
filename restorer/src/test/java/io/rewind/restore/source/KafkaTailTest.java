package io.rewind.restore.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.Batches;
import io.rewind.restore.TestArchive;
import io.rewind.restore.plan.Selection;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.WireFormat;
import io.rewind.schema.wire.WireFormats;
import java.io.IOException;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
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
        List<TailPosition> positions = snapshot.positions(Map.of(0, 95L, 1, 40L));

        assertThat(positions.get(0)).isEqualTo(new TailPosition(0, 0, 80, TailPosition.Source.COMMITTED, 100));
        assertThat(positions.get(0).records()).isEqualTo(20);
        assertThat(positions.get(0).deleted()).isZero();
        // Partition 1: archived to 40, but Kafka's retention deleted everything before 50: ten records are lost to a restore.
        assertThat(positions.get(1).source()).isEqualTo(TailPosition.Source.FILES);
        assertThat(positions.get(1).from()).isEqualTo(50);
        assertThat(positions.get(1).deleted()).isEqualTo(10);
        assertThat(positions.get(1).records()).isEqualTo(40);
        assertThat(positions.get(2)).isEqualTo(new TailPosition(2, 0, 0, TailPosition.Source.NOTHING, 10));
        assertThat(positions.get(2).records()).isEqualTo(10);
    }

    @Test
    void recordsRetentionDeletedWhileTheArchiveWasScannedCountAsDeleted() {
        KafkaTail.Snapshot snapshot = new KafkaTail.Snapshot(null, new TreeMap<>(Map.of(0, new long[] {0, 100}, 1, new long[] {0, 90})),
                Map.of(0, 80L, 1, 40L));

        List<TailPosition> positions = snapshot.positions(Map.of(), Map.of(0, 30L, 1, 60L));

        assertThat(positions.get(0)).isEqualTo(new TailPosition(0, 30, 80, TailPosition.Source.COMMITTED, 100));
        assertThat(positions.get(0).deleted()).isZero();
        assertThat(positions.get(1).logStart()).isEqualTo(60);
        assertThat(positions.get(1).deleted()).isEqualTo(20);
        assertThat(positions.get(1).from()).isEqualTo(60);
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
        List<TailPosition> positions = List.of(new TailPosition(partition, 0, 2, TailPosition.Source.COMMITTED, 4));
        KafkaTail.TailRead tail = new KafkaTail.TailRead(positions, series, 2, 2, 0);
        List<ArchiveIndex.Unit> units = TailUnits.into(
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
        assertThat(Batches.unitKey(units.get(0))).isNotEqualTo(Batches.unitKey(
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
        KafkaTail.TailRead tail = new KafkaTail.TailRead(List.of(new TailPosition(1, 0, 5, TailPosition.Source.COMMITTED, 6),
                new TailPosition(10, 0, 7, TailPosition.Source.COMMITTED, 8)), series, 2, 2, 0);

        List<ArchiveIndex.Unit> units = TailUnits.into(List.of(baseline), tail, TestArchive.TOPIC, HOUR);

        assertThat(units).singleElement().satisfies(u -> {
            assertThat(u.tail().points()).isEqualTo(2);
            assertThat(u.tail().offsets()).isEqualTo("p1:5-6,p10:7-8");
        });
    }

    @Test
    void recordsRetentionDeletesAfterTheSnapshotAreCountedAsDeletedAndTheRestOfThePartitionIsRead() {
        // The snapshot, before the archive was scanned: partition 0 held offsets 0..99, archived to 10. Retention has since
        // deleted offsets up to 60; partition 1 is intact.
        List<TailPosition> positions = List.of(new TailPosition(0, 0, 10, TailPosition.Source.COMMITTED, 100),
                new TailPosition(1, 0, 5, TailPosition.Source.COMMITTED, 8));
        MockConsumer<byte[], byte[]> consumer = consumer(Map.of(0, 60L, 1, 0L));
        consumer.schedulePollTask(() -> {
            addRecords(consumer, 0, 60, 100);
            addRecords(consumer, 1, 0, 8);
        });

        KafkaTail.TailRead tail = KafkaTail.read(consumer, SETTINGS, positions, EVERYTHING);

        assertThat(tail.records()).isEqualTo(40 + 3);
        assertThat(tail.points()).isEqualTo(40 + 3);
        assertThat(tail.positions().get(0)).isEqualTo(new TailPosition(0, 60, 10, TailPosition.Source.COMMITTED, 100));
        assertThat(tail.positions().get(0).deleted()).isEqualTo(50);
        assertThat(tail.incomplete()).extracting(TailPosition::partition).containsExactly(0);
        assertThat(tail.series().get(0).values()).singleElement().satisfies(s -> assertThat(s.size()).isEqualTo(40));
    }

    @Test
    void aPartitionRetentionEmptiedPastItsEndIsAllDeletedAndNothingIsRead() {
        List<TailPosition> positions = List.of(new TailPosition(0, 0, 10, TailPosition.Source.COMMITTED, 100));
        MockConsumer<byte[], byte[]> consumer = consumer(Map.of(0, 120L));
        consumer.schedulePollTask(() -> addRecords(consumer, 0, 120, 125));

        KafkaTail.TailRead tail = KafkaTail.read(consumer, SETTINGS, positions, EVERYTHING);

        assertThat(tail.records()).isZero();
        assertThat(tail.positions()).singleElement().satisfies(p -> assertThat(p.deleted()).isEqualTo(90));
    }

    @Test
    void theConsumerNeverJumpsOnItsOwnWhenItsOffsetIsOutOfRange() {
        assertThat(KafkaTail.consumerProperties(SETTINGS)).containsEntry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    }

    private static final KafkaTail.Settings SETTINGS = new KafkaTail.Settings(Map.of("bootstrap.servers", "kafka:9092"),
            TestArchive.TOPIC, KafkaTail.DEFAULT_ARCHIVER_ID, Optional.empty(), Duration.ofSeconds(10), 1_000_000);
    private static final Selection EVERYTHING = new Selection(0, Long.MAX_VALUE, Long.MAX_VALUE, List.of(), Map.of());
    private static final WireFormat<Point> WIRE = WireFormats.forTopic(TestArchive.TOPIC, Point.class, Optional.empty(), Optional.empty());

    /** A consumer of a topic whose partitions start at these offsets, with the auto.offset.reset KafkaTail sets. */
    private static MockConsumer<byte[], byte[]> consumer(Map<Integer, Long> logStarts) {
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
        Map<TopicPartition, Long> starts = new HashMap<>();
        logStarts.forEach((partition, start) -> starts.put(new TopicPartition(TestArchive.TOPIC, partition), start));
        consumer.updateBeginningOffsets(starts);
        return consumer;
    }

    private static void addRecords(MockConsumer<byte[], byte[]> consumer, int partition, long from, long to) {
        for (long offset = from; offset < to; offset++) {
            byte[] value = WIRE.encode(point(W + offset * 1_000, offset, Map.of("host", "p" + partition)));
            consumer.addRecord(new ConsumerRecord<>(TestArchive.TOPIC, partition, offset, W + HOUR, TimestampType.CREATE_TIME, 0,
                    value.length, null, value, new RecordHeaders(), Optional.empty()));
        }
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
