package io.rewind.opentsdb.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.RowEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** How restored points change a row: what it holds afterwards, which cells go, and what is counted. */
class RowMergeTest {
    private static final long BASE = 1_764_000_000L - 1_764_000_000L % 3600;
    private static final long MS = BASE * 1000;

    /** Integer points at the given seconds of the hour, with the given values, as restored. */
    private static RowMerge.RowPoints points(long[][] secondsAndValues) {
        RowMerge.RowPoints points = new RowMerge.RowPoints();
        for (long[] p : secondsAndValues) {
            points.add(MS + p[0] * 1000, false, false, RowEncoder.integerWidth(p[1]), p[1]);
        }
        return points;
    }

    /** The cell OpenTSDB's compaction makes of these points (or the single cell of one), at an HBase version. */
    private static RowDecoder.Cell cell(long version, long[]... secondsAndValues) {
        RowEncoder encoder = new RowEncoder();
        for (long[] p : secondsAndValues) {
            encoder.add(p[0] * 1000, false, false, RowEncoder.integerWidth(p[1]), p[1]);
        }
        return new RowDecoder.Cell(encoder.qualifier(), encoder.value(), version);
    }

    /** What the row holds once the change is written: the cells kept, and the put; second to value. */
    private static Map<Long, Long> after(List<RowDecoder.Cell> before, RowMerge.Change change) {
        List<RowDecoder.Cell> cells = new ArrayList<>(before);
        cells.removeIf(c -> change.deletes().contains(c) || (change.qualifier() != null && java.util.Arrays.equals(c.qualifier(), change.qualifier())));
        if (change.qualifier() != null) {
            cells.add(new RowDecoder.Cell(change.qualifier(), change.value(), Long.MAX_VALUE));
        }
        Map<Long, Long> points = new TreeMap<>();
        new RowDecoder().decode(BASE, cells, (ts, ms, fp, bits, width, version) -> points.put((ts - MS) / 1000, bits),
                new RowDecoder.Tally(), (q, why) -> { });
        return points;
    }

    @Test
    void aNewRowGetsTheRestoredPointsAsTheOneCellOpenTsdbsCompactionMakes() {
        RowMerge.Change change = RowMerge.merge(BASE, List.of(), points(new long[][] {{1, 10}, {2, 300}, {5, 70_000}}), 0, 0,
                new RowMerge.Buffers());

        RowDecoder.Cell expected = cell(0, new long[] {1, 10}, new long[] {2, 300}, new long[] {5, 70_000});
        assertThat(change.qualifier()).isEqualTo(expected.qualifier());
        assertThat(change.value()).isEqualTo(expected.value());
        assertThat(change.deletes()).isEmpty();
        assertThat(change.added()).isEqualTo(3);
    }

    @Test
    void overGarbageTheRestoredVersionWinsAtItsTimestampsAndTheOthersStayInOneCell() {
        RowDecoder.Cell compacted = cell(100, new long[] {1, 10}, new long[] {2, 20}, new long[] {3, 30});
        RowDecoder.Cell garbage = cell(200, new long[] {2, 99}); // a duplicate timestamp: OpenTSDB cannot read the row
        List<RowDecoder.Cell> row = List.of(compacted, garbage);

        RowMerge.Change change = RowMerge.merge(BASE, row, points(new long[][] {{2, 20}, {4, 40}}), 0, 0, new RowMerge.Buffers());

        assertThat(after(row, change)).containsExactly(Map.entry(1L, 10L), Map.entry(2L, 20L), Map.entry(3L, 30L), Map.entry(4L, 40L));
        assertThat(change.deletes()).containsExactlyInAnyOrder(compacted, garbage);
        assertThat(change.added()).isEqualTo(1);
        assertThat(change.overwritten()).isEqualTo(1);
        assertThat(change.deleted()).isZero();
    }

    @Test
    void replacingRemovesWhatTheRestoreLacksInItsSpanOnly() {
        List<RowDecoder.Cell> row = List.of(cell(100, new long[] {1, 10}, new long[] {2, 20}, new long[] {3, 30}, new long[] {5, 50}));

        RowMerge.Change change = RowMerge.merge(BASE, row, points(new long[][] {{2, 21}}), MS + 2000, MS + 4000, new RowMerge.Buffers());

        assertThat(after(row, change)).containsExactly(Map.entry(1L, 10L), Map.entry(2L, 21L), Map.entry(5L, 50L));
        assertThat(change.deleted()).isEqualTo(1);
        assertThat(change.overwritten()).isEqualTo(1);
    }

    @Test
    void replacingASpanWithNothingLeavesNoCellWhenTheRowHadNothingElse() {
        List<RowDecoder.Cell> row = List.of(cell(100, new long[] {1, 10}), cell(101, new long[] {7, 70}));

        RowMerge.Change change = RowMerge.merge(BASE, row, new RowMerge.RowPoints(), MS, MS + 3_600_000, new RowMerge.Buffers());

        assertThat(change.qualifier()).isNull();
        assertThat(change.deletes()).containsExactlyInAnyOrderElementsOf(row);
        assertThat(change.deleted()).isEqualTo(2);
        assertThat(after(row, change)).isEmpty();
    }

    @Test
    void aRowAlreadyAsTheRestoreLeavesItIsNotWrittenAgain() {
        RowMerge.Buffers buffers = new RowMerge.Buffers();
        RowMerge.RowPoints restored = points(new long[][] {{1, 10}, {2, 20}});
        RowMerge.Change first = RowMerge.merge(BASE, List.of(), restored, 0, 0, buffers);
        List<RowDecoder.Cell> row = List.of(new RowDecoder.Cell(first.qualifier(), first.value(), 5));

        RowMerge.Change again = RowMerge.merge(BASE, row, restored, MS, MS + 3_600_000, buffers);

        assertThat(again.writes()).isFalse();
        assertThat(again.unchanged()).isEqualTo(2);
    }

    @Test
    void aPointStoredWithTheRestoredValueOnAnotherWidthIsKeptAsStored() {
        RowEncoder encoder = new RowEncoder();
        encoder.add(1000, false, true, 8, Double.doubleToRawLongBits(2.5)); // a TSD's HTTP put: a double
        encoder.add(2000, false, true, 8, Double.doubleToRawLongBits(3.5));
        List<RowDecoder.Cell> row = List.of(new RowDecoder.Cell(encoder.qualifier(), encoder.value(), 1));
        RowMerge.RowPoints restored = new RowMerge.RowPoints();
        restored.add(MS + 1000, false, true, 4, Double.doubleToRawLongBits(2.5)); // the same number, on 4 bytes
        restored.add(MS + 2000, false, true, 4, Double.doubleToRawLongBits(4.5));

        RowMerge.Change change = RowMerge.merge(BASE, row, restored, 0, 0, new RowMerge.Buffers());

        assertThat(change.unchanged()).isEqualTo(1);
        assertThat(change.overwritten()).isEqualTo(1);
        assertThat(change.qualifier()).as("the kept point's 8-byte flags, the overwritten one's 4").containsExactly(0, 0x1F, 0, 0x2B);
    }

    @Test
    void annotationsAndCellsNoTsdCanReadAreLeftAsTheyAre() {
        RowDecoder.Cell annotation = new RowDecoder.Cell(new byte[] {1, 0, 5}, "{\"description\":\"deploy\"}".getBytes(), 1);
        RowDecoder.Cell broken = new RowDecoder.Cell(new byte[] {0, 0x20, 0, 0x37}, new byte[] {1, 0, 0, 0}, 1);
        RowDecoder.Cell point = cell(1, new long[] {9, 90});
        List<RowDecoder.Cell> row = List.of(annotation, broken, point);

        RowMerge.Change change = RowMerge.merge(BASE, row, points(new long[][] {{1, 10}}), MS, MS + 3_600_000, new RowMerge.Buffers());

        assertThat(change.deletes()).containsExactly(point);
        assertThat(change.unreadableCells()).isEqualTo(1);
        assertThat(change.deleted()).isEqualTo(1);
    }
}
