package io.rewind.archive.segment;

import static io.rewind.archive.segment.Fixtures.WINDOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.schema.FileKind;
import io.rewind.schema.SeriesKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overlapping parts, as a crash between a part's write and its offset commit leaves them, and a bad
 * writer that overwrote points later: merged with the dedupe and point-in-time rules. The first part is in format
 * version 1, as an archiver before version 2 wrote it: old and new files merge alike.
 */
class SegmentMergerTest {
    private static final long T1 = WINDOW + 1_000;
    private static final long BAD_WRITE = WINDOW + 600_000;

    @TempDir
    Path dir;
    private Storage storage;

    private final SeriesId cpuA = SeriesId.of(SeriesKey.of("sys.cpu.user", Map.of("host", "a")));
    private final SeriesId cpuB = SeriesId.of(SeriesKey.of("sys.cpu.user", Map.of("host", "b")));
    private final SeriesId mem = SeriesId.of(SeriesKey.of("sys.mem.free", Map.of("host", "a")));

    @BeforeEach
    void writeParts() throws Exception {
        storage = new LocalStorage(dir.resolve("archive"));
        // Part 1: offsets 0-9. Part 2 overlaps it (offsets 5-14: the same points read again after a crash),
        // then adds new ones. Part 3, much later: a bad writer overwrote cpu{host=a} at T1 and T1+10s.
        publish("part-1", 1, 0, 9, List.of(
                points(cpuA).add(T1, false, false, 10, T1 + 100, null).add(T1 + 10_000, false, false, 11, T1 + 10_100, null),
                points(cpuB).add(T1, false, true, Double.doubleToRawLongBits(0.5), T1 + 150, null)));
        publish("part-2", SegmentCodec.FORMAT_VERSION, 5, 14, List.of(
                points(cpuA).add(T1 + 10_000, false, false, 11, T1 + 10_100, null).add(T1 + 20_000, false, false, 12, T1 + 20_100, null),
                points(mem).add(T1, true, false, 1_024, T1 + 90, null)));
        publish("part-3", SegmentCodec.FORMAT_VERSION, 15, 16, List.of(
                points(cpuA).add(T1, false, false, -999, BAD_WRITE, null).add(T1 + 10_000, false, false, -999, BAD_WRITE, null)));
    }

    @Test
    void compactionKeepsEveryDistinctVersionOnceInSeriesOrder() throws Exception {
        List<SeriesPoints> merged = drain(SegmentMerger.allVersions(readers()));

        assertThat(merged).extracting(SeriesPoints::id).containsExactly(cpuA, cpuB, mem);
        assertThat(merged.get(0)).isEqualTo(points(cpuA)
                .add(T1, false, false, 10, T1 + 100, null)
                .add(T1, false, false, -999, BAD_WRITE, null)
                .add(T1 + 10_000, false, false, 11, T1 + 10_100, null)
                .add(T1 + 10_000, false, false, -999, BAD_WRITE, null)
                .add(T1 + 20_000, false, false, 12, T1 + 20_100, null));
        assertThat(merged.get(2).isMilliseconds(0)).isTrue();
    }

    @Test
    void asOfJustBeforeTheBadWriteRestoresTheGoodValues() throws Exception {
        List<SeriesPoints> merged = drain(SegmentMerger.asOf(readers(), BAD_WRITE - 1));

        assertThat(merged.get(0)).isEqualTo(points(cpuA)
                .add(T1, false, false, 10, T1 + 100, null)
                .add(T1 + 10_000, false, false, 11, T1 + 10_100, null)
                .add(T1 + 20_000, false, false, 12, T1 + 20_100, null));
    }

    @Test
    void theLatestIsWhatWasIngestedLast() throws Exception {
        List<SeriesPoints> merged = drain(SegmentMerger.asOf(readers(), Long.MAX_VALUE));

        assertThat(merged.get(0)).isEqualTo(points(cpuA)
                .add(T1, false, false, -999, BAD_WRITE, null)
                .add(T1 + 10_000, false, false, -999, BAD_WRITE, null)
                .add(T1 + 20_000, false, false, 12, T1 + 20_100, null));
    }

    @Test
    void pointsIngestedAfterTheAsOfTimeAreAbsentAndSoAreSeriesLeftEmpty() throws Exception {
        List<SeriesPoints> merged = drain(SegmentMerger.asOf(readers(), T1 + 120));

        assertThat(merged).extracting(SeriesPoints::id).containsExactly(cpuA, mem);
        assertThat(merged.get(0)).isEqualTo(points(cpuA).add(T1, false, false, 10, T1 + 100, null));
    }

    @Test
    void aCompactedSegmentMergedWithALatePartGivesTheSameAsAllPartsTogether() throws Exception {
        SegmentWriter.WrittenFile segment = Fixtures.write(dir.resolve("segment.avro"), FileKind.SEGMENT, 0, 14,
                drain(SegmentMerger.allVersions(readers("part-1", "part-2"))));
        SegmentFiles.publish(storage, "segment.avro", segment);

        List<SeriesPoints> regenerated = drain(SegmentMerger.allVersions(readers("segment.avro", "part-3")));

        assertThat(regenerated).containsExactlyElementsOf(drain(SegmentMerger.allVersions(readers())));
    }

    @Test
    void ofTwoVersionsReceivedInOneMillisecondTheLaterWinsWhateverTheirValues() throws Exception {
        long ingest = T1 + 500;
        // A telnet batch corrects a value within one millisecond: 50 first, then 7. Order by value would keep 50.
        publish("tie-part", SegmentCodec.FORMAT_VERSION, 20, 21, List.of(
                points(mem).add(T1 + 30_000, false, false, 50, ingest, null).add(T1 + 30_000, false, false, 7, ingest, null)));

        assertThat(latest(drain(SegmentMerger.asOf(readers("tie-part"), Long.MAX_VALUE)), mem)).isEqualTo(7L);
        assertThat(latest(drain(SegmentMerger.asOf(readers("tie-part"), ingest)), mem)).isEqualTo(7L);
    }

    @Test
    void aCorrectionInTheSameMillisecondInALaterPartWinsAndSurvivesCompaction() throws Exception {
        long ingest = T1 + 700;
        // The commit cut the batch in two: the first version in one part, its correction (a smaller value) in the next.
        publish("tie-a", SegmentCodec.FORMAT_VERSION, 20, 20, List.of(points(mem).add(T1 + 40_000, false, false, 900, ingest, null)));
        publish("tie-b", SegmentCodec.FORMAT_VERSION, 21, 21, List.of(points(mem).add(T1 + 40_000, false, false, 3, ingest, null)));
        // A crash left the first part once more, as an orphan overlapping both.
        publish("tie-orphan", SegmentCodec.FORMAT_VERSION, 20, 20, List.of(points(mem).add(T1 + 40_000, false, false, 900, ingest, null)));

        assertThat(latest(drain(SegmentMerger.asOf(readers("tie-a", "tie-orphan", "tie-b"), Long.MAX_VALUE)), mem)).isEqualTo(3L);

        SegmentWriter.WrittenFile segment = Fixtures.write(dir.resolve("tie-segment.avro"), FileKind.SEGMENT, 20, 21,
                drain(SegmentMerger.allVersions(readers("tie-a", "tie-orphan", "tie-b"))));
        SegmentFiles.publish(storage, "tie-segment.avro", segment);
        List<SeriesPoints> compacted = drain(SegmentMerger.allVersions(readers("tie-segment.avro")));
        assertThat(compacted.get(0).size()).isEqualTo(2);
        assertThat(latest(drain(SegmentMerger.asOf(readers("tie-segment.avro"), Long.MAX_VALUE)), mem)).isEqualTo(3L);
    }

    @Test
    void aFencedInstancesPartInsideACompactedSegmentDoesNotReorderItsMillisecond() throws Exception {
        long ingest = T1 + 800;
        long t = T1 + 45_000;
        // Offsets 110, 111, 112 carry 1, 2, 3 in one millisecond; the archiver's parts 100-104 and 105-150 were compacted.
        publish("f-a", SegmentCodec.FORMAT_VERSION, 100, 104, List.of(points(cpuB).add(T1, false, false, 5, T1 + 1, null)));
        publish("f-b", SegmentCodec.FORMAT_VERSION, 105, 150, List.of(points(mem).add(t, false, false, 1, ingest, null)
                .add(t, false, false, 2, ingest, null).add(t, false, false, 3, ingest, null)));
        SegmentFiles.publish(storage, "f-segment.avro", Fixtures.write(dir.resolve("f-segment.avro"), FileKind.SEGMENT, 100, 150,
                drain(SegmentMerger.allVersions(readers("f-a", "f-b")))));
        // A fenced instance had read 105-111 and wrote its part after the compaction: it lies inside the segment's range.
        publish("f-zombie", SegmentCodec.FORMAT_VERSION, 105, 111, List.of(points(mem).add(t, false, false, 1, ingest, null)
                .add(t, false, false, 2, ingest, null)));
        List<String> inArrivalOrder = java.util.stream.Stream.of("f-segment.avro", "f-zombie").sorted(java.util.Comparator.comparing(
                (String key) -> header(key), SegmentMetadata.ARRIVAL_ORDER)).toList();

        assertThat(latest(drain(SegmentMerger.asOf(readers(inArrivalOrder.toArray(String[]::new)), Long.MAX_VALUE)), mem)).isEqualTo(3L);
        SegmentFiles.publish(storage, "f-segment-2.avro", Fixtures.write(dir.resolve("f-segment-2.avro"), FileKind.SEGMENT, 100, 150,
                drain(SegmentMerger.allVersions(readers(inArrivalOrder.toArray(String[]::new))))));
        assertThat(latest(drain(SegmentMerger.asOf(readers("f-segment-2.avro"), Long.MAX_VALUE)), mem)).isEqualTo(3L);
    }

    private SegmentMetadata header(String key) {
        try {
            return SegmentFiles.readHeader(storage, key);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aVersionReceivedAgainAfterAnotherInOneMillisecondIsTheLatest() throws Exception {
        long ingest = T1 + 900;
        SeriesPoints sent = points(mem).add(T1 + 50_000, false, false, 1, ingest, null).add(T1 + 50_000, false, false, 2, ingest, null)
                .add(T1 + 50_000, false, false, 1, ingest, null);

        SeriesPoints sorted = sent.sorted();

        assertThat(sorted.size()).isEqualTo(2);
        assertThat(sorted.valueBits(sorted.size() - 1)).isEqualTo(1L);
    }

    private static long latest(List<SeriesPoints> merged, SeriesId id) {
        SeriesPoints series = merged.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
        return series.valueBits(series.size() - 1);
    }

    private SeriesPoints points(SeriesId id) {
        return new SeriesPoints(id, 4);
    }

    private void publish(String name, int version, long first, long last, List<SeriesPoints> series) throws Exception {
        SegmentFiles.publish(storage, name, Fixtures.write(dir.resolve(name + ".avro"), FileKind.PART, first, last, series, version));
    }

    private List<SegmentReader> readers(String... names) throws Exception {
        List<SegmentReader> readers = new ArrayList<>();
        for (String name : names.length == 0 ? new String[] {"part-1", "part-2", "part-3"} : names) {
            readers.add(SegmentFiles.open(storage, name, id -> true));
        }
        return readers;
    }

    private static List<SeriesPoints> drain(Iterator<SeriesPoints> merged) {
        List<SeriesPoints> all = new ArrayList<>();
        merged.forEachRemaining(all::add);
        return all;
    }
}
