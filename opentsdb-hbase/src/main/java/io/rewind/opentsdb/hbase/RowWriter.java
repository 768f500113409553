package io.rewind.opentsdb.hbase;

import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.StorageLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.hadoop.hbase.Cell;
import org.apache.hadoop.hbase.CellUtil;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Delete;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.Row;
import org.apache.hadoop.hbase.client.RowMutations;
import org.apache.hadoop.hbase.client.Table;

/**
 * Writes points into a cluster's {@code tsdb} table as rows the way OpenTSDB's compaction leaves them: one compacted
 * cell per (series, hour), written with the HBase client. HBase stores one cell per row instead of one per point, and
 * no TSD has to compact the rows afterwards.
 *
 * <p>A row that already holds cells is read, merged and written back atomically ({@link RowMerge}; one
 * {@code RowMutations}: the compacted cell put, the cells it replaces deleted, each up to the version read): the new
 * version wins at each timestamp it has, other timestamps stay, and every point of a row's replaced span that the
 * new points do not hold is removed. Afterwards the row holds each timestamp once, so no TSD reading it sees
 * "Duplicate timestamp". Two writes never merge into one row at once (a lock per row, striped), so rows split between
 * writes, or shared by series a transform maps onto one, are merged one after the other. Writing the same rows again
 * gives the same rows.
 *
 * <p>With {@code dryRun} nothing is written: the rows are read and the changes only counted.
 */
public final class RowWriter {
    private static final byte[] FAMILY = StorageLayout.dataFamily();

    /** Points changed so far, of one label (the restore's target metric). */
    public static final class Changes {
        public final LongAdder added = new LongAdder();
        public final LongAdder overwritten = new LongAdder();
        public final LongAdder unchanged = new LongAdder();
        public final LongAdder deleted = new LongAdder();
    }

    /** One row to change: its new points and the span it replaces; {@code label} names it in the counts. */
    public static final class RowChange {
        final byte[] key;
        final long baseSeconds;
        final String label;
        RowMerge.RowPoints points = new RowMerge.RowPoints();
        long replaceFromMs;
        long replaceToMs;
        boolean unsorted;

        RowChange(byte[] key, long baseSeconds, String label) {
            this.key = key;
            this.baseSeconds = baseSeconds;
            this.label = label;
        }

        /** Adds a point; points may come in any order, and of two at one timestamp the one added last stays. */
        public void add(long timestampMs, boolean ms, boolean floatingPoint, int width, long bits) {
            if (points.size > 0 && points.timestampMs[points.size - 1] >= timestampMs) {
                unsorted = true; // another series a transform maps onto the same one
            }
            points.add(timestampMs, ms, floatingPoint, width, bits);
        }

        /** Every point of the row within [fromMs, toMs) that was not added is removed. */
        public void replace(long fromMs, long toMs) {
            if (replaceToMs <= replaceFromMs) {
                replaceFromMs = fromMs;
                replaceToMs = toMs;
            } else {
                replaceFromMs = Math.min(replaceFromMs, fromMs);
                replaceToMs = Math.max(replaceToMs, toMs);
            }
        }
    }

    private final boolean dryRun;
    private final StorageLayout layout;
    private final Connection hbase;
    private final TableName table;
    private final ReentrantLock[] rowLocks = new ReentrantLock[4096];
    private final ThreadLocal<RowMerge.Buffers> buffers = ThreadLocal.withInitial(RowMerge.Buffers::new);
    private final Map<String, Changes> changes = new ConcurrentHashMap<>();
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong rowsMerged = new AtomicLong();
    private final AtomicLong unreadableCells = new AtomicLong();

    /** Writes with the connection, which stays the caller's to close. */
    public RowWriter(StorageLayout layout, Connection hbase, boolean dryRun) {
        this.layout = layout;
        this.hbase = hbase;
        this.dryRun = dryRun;
        this.table = TableName.valueOf(layout.dataTable());
        Arrays.setAll(rowLocks, i -> new ReentrantLock());
    }

    /** The change of the series' row at {@code hour} (hours since the epoch), made once per key in {@code rows}. */
    public RowChange row(Map<ByteBuffer, RowChange> rows, byte[] template, long hour, String label) {
        long baseSeconds = hour * StorageLayout.ROW_SPAN_SECONDS;
        byte[] key = io.rewind.opentsdb.RowKey.atHour(layout, template, baseSeconds);
        return rows.computeIfAbsent(ByteBuffer.wrap(key), k -> new RowChange(key, baseSeconds, label));
    }

    /** Merges and writes the rows, each under its lock; counts what changed once HBase holds it. */
    public void write(Collection<RowChange> rows) throws IOException, InterruptedException {
        if (rows.isEmpty()) {
            return;
        }
        TreeSet<Integer> stripes = new TreeSet<>();
        rows.forEach(row -> stripes.add(Math.floorMod(ByteBuffer.wrap(row.key).hashCode(), rowLocks.length)));
        List<ReentrantLock> held = new ArrayList<>(stripes.size());
        try {
            for (int stripe : stripes) {
                ReentrantLock lock = rowLocks[stripe];
                lock.lockInterruptibly();
                held.add(lock);
            }
            mergeAndWrite(new ArrayList<>(rows));
        } finally {
            held.forEach(ReentrantLock::unlock);
        }
    }

    /** Points changed so far, per label. */
    public Map<String, Changes> changes() {
        return new TreeMap<>(changes);
    }

    /** Counts points of a series that has no row yet (a dry run of a series the cluster has never seen). */
    public void countAdded(String label, long points) {
        changes(label).added.add(points);
    }

    /** Rows written, and of those the ones that held cells before (merged). */
    public long rowsWritten() {
        return rowsWritten.get();
    }

    public long rowsMerged() {
        return rowsMerged.get();
    }

    /** Cells of the rows read that no TSD can read either: left as they were ({@code tsdb fsck} names them). */
    public long unreadableCells() {
        return unreadableCells.get();
    }

    private void mergeAndWrite(List<RowChange> rows) throws IOException, InterruptedException {
        List<Get> gets = new ArrayList<>(rows.size());
        for (RowChange row : rows) {
            gets.add(new Get(row.key).addFamily(FAMILY));
            if (row.unsorted) {
                row.points = sortedKeepingTheLast(row.points);
                row.unsorted = false;
            }
        }
        RowMerge.Buffers reused = buffers.get();
        try (Table data = hbase.getTable(table)) {
            Result[] stored = data.get(gets);
            List<Row> writes = new ArrayList<>();
            List<RowMerge.Change> merges = new ArrayList<>(rows.size());
            int merged = 0;
            for (int r = 0; r < rows.size(); r++) {
                RowChange row = rows.get(r);
                List<RowDecoder.Cell> cells = cells(stored[r]);
                RowMerge.Change change = RowMerge.merge(row.baseSeconds, cells, row.points, row.replaceFromMs, row.replaceToMs, reused);
                merges.add(change);
                if (!change.writes()) {
                    continue;
                }
                Put put = change.qualifier() == null ? null
                        : new Put(row.key).addColumn(FAMILY, change.qualifier(), change.value());
                if (cells.isEmpty()) {
                    writes.add(put);
                    continue;
                }
                merged++;
                RowMutations mutations = new RowMutations(row.key);
                if (put != null) {
                    mutations.add(put);
                }
                if (!change.deletes().isEmpty()) {
                    Delete delete = new Delete(row.key);
                    // Every version up to the one read: HBase keeps an overwritten cell's older versions until it compacts, and
                    // deleting only the newest would bring the older one back. A version written after the read stays.
                    change.deletes().forEach(cell -> delete.addColumns(FAMILY, cell.qualifier(), cell.timestampMs()));
                    mutations.add(delete);
                }
                writes.add(mutations);
            }
            if (!dryRun && !writes.isEmpty()) {
                data.batch(writes, new Object[writes.size()]);
            }
            // Counted once the rows are stored: a try that failed, and is made again, counts nothing.
            for (int r = 0; r < rows.size(); r++) {
                count(rows.get(r).label, merges.get(r));
            }
            rowsWritten.addAndGet(writes.size());
            rowsMerged.addAndGet(merged);
        }
    }

    /** Counts what a merge changed, under the label. */
    void count(String label, RowMerge.Change change) {
        Changes counts = changes(label);
        counts.added.add(change.added());
        counts.overwritten.add(change.overwritten());
        counts.unchanged.add(change.unchanged());
        counts.deleted.add(change.deleted());
        unreadableCells.addAndGet(change.unreadableCells());
    }

    private Changes changes(String label) {
        return changes.computeIfAbsent(label, m -> new Changes());
    }

    private static List<RowDecoder.Cell> cells(Result result) {
        if (result == null || result.isEmpty()) {
            return List.of();
        }
        List<RowDecoder.Cell> cells = new ArrayList<>(result.size());
        for (Cell cell : result.rawCells()) {
            cells.add(new RowDecoder.Cell(CellUtil.cloneQualifier(cell), CellUtil.cloneValue(cell), cell.getTimestamp()));
        }
        return cells;
    }

    /** A row's points by timestamp; of points with one timestamp, the one added last stays (as the later put would). */
    static RowMerge.RowPoints sortedKeepingTheLast(RowMerge.RowPoints points) {
        Integer[] order = new Integer[points.size];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> points.timestampMs[i]).thenComparingInt(i -> i));
        RowMerge.RowPoints sorted = new RowMerge.RowPoints();
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            if (k + 1 < order.length && points.timestampMs[order[k + 1]] == points.timestampMs[i]) {
                continue;
            }
            sorted.add(points.timestampMs[i], points.milliseconds[i], points.floatingPoint[i], points.width[i], points.bits[i]);
        }
        return sorted;
    }
}
