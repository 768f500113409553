package io.rewind.opentsdb.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.RowEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;

/**
 * The rows a bulk load writes into a table that held none of them: each row's changes, spooled in any order and spilled
 * to disk, come back by row key, each row's in the order they were made, and fold into the cell row mode would have left
 * after writing them one after the other. The model: a row is a map of timestamp to value; a change first removes the
 * points of its replaced span, then puts its own.
 */
class BulkLoadFoldTest {
    private static final long BASE = 1_764_000_000L - 1_764_000_000L % 3600;
    private static final long MS = BASE * 1000;

    /** One change: points at seconds of the hour (a second once; the last given wins) and a replaced span. */
    record Change(List<long[]> points, int replaceFrom, int replaceTo) {
    }

    @Provide
    Arbitrary<List<Change>> changes() {
        Arbitrary<long[]> point = Combinators.combine(Arbitraries.integers().between(0, 40), Arbitraries.longs().between(-300, 300))
                .as((second, value) -> new long[] {second, value});
        Arbitrary<Change> change = Combinators.combine(point.list().ofMaxSize(12), Arbitraries.integers().between(0, 40),
                Arbitraries.integers().between(0, 15)).as((points, from, length) -> new Change(points, from, length == 0 ? from : from + length));
        return change.list().ofMinSize(1).ofMaxSize(5);
    }

    @Property(tries = 300)
    void aFoldedRowHoldsWhatRowModeLeavesAfterEachChangeInTurn(@ForAll("changes") List<Change> changes) {
        Map<Long, Long> model = new TreeMap<>();
        List<RowWriter.RowChange> rowChanges = new ArrayList<>();
        for (Change c : changes) {
            if (c.replaceTo() > c.replaceFrom()) {
                model.keySet().removeIf(s -> s >= c.replaceFrom() && s < c.replaceTo());
            }
            RowWriter.RowChange row = new RowWriter.RowChange(new byte[] {1}, BASE, "m");
            for (long[] p : c.points()) {
                model.put(p[0], p[1]);
                row.add(MS + p[0] * 1000, false, false, RowEncoder.integerWidth(p[1]), p[1]);
            }
            if (c.replaceTo() > c.replaceFrom()) {
                row.replace(MS + c.replaceFrom() * 1000L, MS + c.replaceTo() * 1000L);
            }
            rowChanges.add(row);
        }
        byte[][] cell = BulkLoad.fold(rowChanges, 7, new RowMerge.Buffers(), (label, change) -> { });
        Map<Long, Long> folded = new TreeMap<>();
        if (cell != null) {
            new RowDecoder().decode(BASE, List.of(new RowDecoder.Cell(cell[0], cell[1], 7)),
                    (ts, ms, fp, bits, width, version) -> assertThat(folded.put((ts - MS) / 1000, bits)).as("each timestamp once").isNull(),
                    new RowDecoder.Tally(), (q, why) -> { throw new AssertionError(why); });
        }
        assertThat(folded).isEqualTo(model);
        assertThat(cell == null).as("no cell for a row left empty").isEqualTo(model.isEmpty());
    }

    @Example
    void spooledRowsComeBackByKeyEachRowsChangesInTheOrderMadeAcrossSpills() throws Exception {
        Path dir = Files.createTempDirectory("rewind-spool-test");
        Random random = new Random(3);
        List<byte[]> keys = new ArrayList<>();
        Map<String, List<Long>> made = new TreeMap<>();
        try (RowSpool spool = new RowSpool(dir, 20_000)) { // a few rows per run: many runs
            for (int i = 0; i < 2_000; i++) {
                byte[] key = {(byte) random.nextInt(256), (byte) random.nextInt(4)}; // unsigned order: 0x80 after 0x7f
                keys.add(key);
                RowWriter.RowChange change = new RowWriter.RowChange(key, BASE, "metric" + (i % 3));
                change.add(MS + i, true, i % 2 == 0, 8, i);
                spool.add(List.of(change));
                made.computeIfAbsent(Arrays.toString(key), k -> new ArrayList<>()).add((long) i);
            }
            assertThat(spool.runs()).isGreaterThan(10);
            byte[] previous = null;
            int rows = 0;
            for (Iterator<List<RowWriter.RowChange>> it = spool.rowsInOrder(); it.hasNext(); ) {
                List<RowWriter.RowChange> row = it.next();
                byte[] key = row.get(0).key;
                if (previous != null) {
                    assertThat(Arrays.compareUnsigned(previous, key)).as("by unsigned key").isNegative();
                }
                previous = key;
                List<Long> order = new ArrayList<>();
                for (RowWriter.RowChange change : row) {
                    assertThat(change.key).isEqualTo(key);
                    long i = change.points.bits[0];
                    assertThat(change.points.timestampMs[0]).isEqualTo(MS + i);
                    assertThat(change.points.milliseconds[0]).isTrue();
                    assertThat(change.points.floatingPoint[0]).isEqualTo(i % 2 == 0);
                    assertThat(change.label).isEqualTo("metric" + (i % 3));
                    order.add(i);
                }
                assertThat(order).as("the changes of " + Arrays.toString(key) + " in the order made").isEqualTo(made.get(Arrays.toString(key)));
                rows++;
            }
            assertThat(rows).isEqualTo(made.size());
        }
        try (var left = Files.list(dir)) {
            assertThat(left).as("the runs deleted").isEmpty();
        }
        Files.delete(dir);
    }
}
