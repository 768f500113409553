package io.rewind.restore;

import io.rewind.archive.storage.Backoff;
import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.RowEncoder;
import io.rewind.opentsdb.StorageLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import net.opentsdb.core.TSDB;
import net.opentsdb.uid.NoSuchUniqueName;
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
 * Writes restored points straight into a cluster's {@code tsdb} table as rows the way OpenTSDB's compaction leaves
 * them: one compacted cell per (series, hour), written with the HBase client, UIDs found or assigned by OpenTSDB's own
 * {@code UniqueId} ({@link SeriesUids}). HBase stores one cell per row instead of one per point, and no TSD has to
 * compact the rows afterwards.
 *
 * <p>A row that already holds cells is read, merged and written back atomically ({@link RowMerge}; one
 * {@code RowMutations}: the compacted cell put, the cells it replaces deleted, each up to the version read): the restored
 * version wins at each timestamp it has, other timestamps stay, and with a plan that {@link Restore.Plan#replaces}
 * every point of the replaced span that the restore does not hold is removed. Afterwards the row holds each timestamp
 * once, so no TSD reading it sees "Duplicate timestamp". Two batches never merge into one row at once (a lock per row,
 * striped), so rows split between batches, or shared by series a transform maps onto one, are merged one after the
 * other. Writing a batch again gives the same rows: a rerun after a crash continues where the checkpoint says.
 *
 * <p>With {@code dryRun} nothing is written and no UID assigned: the rows are read and the changes only counted.
 */
public final class RowTarget implements Restore.Target, AutoCloseable {
    private static final byte[] FAMILY = {'t'};
    private static final long HOUR_MS = 3_600_000L;
    private static final long SECOND_MASK = 0xFFFFFFFF00000000L;

    /** Points changed in the target, per metric: what a restore reports and a dry run predicts. */
    public static final class Changes {
        public final LongAdder added = new LongAdder();
        public final LongAdder overwritten = new LongAdder();
        public final LongAdder unchanged = new LongAdder();
        public final LongAdder deleted = new LongAdder();
    }

    private final StorageTarget.Settings settings;
    private final boolean dryRun;
    private final TSDB tsdb;
    private final StorageLayout layout;
    private final Connection hbase;
    private final TableName table;
    private final SeriesUids uids;
    private final RejectFile rejects;
    private final String name;
    private final ReentrantLock[] rowLocks = new ReentrantLock[4096];
    private final ThreadLocal<RowMerge.Buffers> buffers = ThreadLocal.withInitial(RowMerge.Buffers::new);
    private final Map<String, Changes> changes = new ConcurrentHashMap<>();
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong rowsMerged = new AtomicLong();
    private final AtomicLong unreadableCells = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();

    private RowTarget(StorageTarget.Settings settings, boolean dryRun, TSDB tsdb, StorageLayout layout, Connection hbase,
            RejectFile rejects) {
        this.settings = settings;
        this.dryRun = dryRun;
        this.tsdb = tsdb;
        this.layout = layout;
        this.hbase = hbase;
        this.table = TableName.valueOf(layout.dataTable());
        this.uids = new SeriesUids(tsdb, layout);
        this.rejects = rejects;
        this.name = "storage of " + settings.config();
        Arrays.setAll(rowLocks, i -> new ReentrantLock());
    }

    /**
     * Connects to the cluster named by the configuration: OpenTSDB's storage code for the UIDs, the HBase client for
     * the rows.
     *
     * @param hbaseSettings HBase client settings that win over those derived from the configuration
     * @throws IllegalArgumentException for a configuration this writer does not serve, naming the setting
     */
    public static RowTarget open(StorageTarget.Settings settings, boolean dryRun, Map<String, String> hbaseSettings, RejectFile rejects)
            throws IOException {
        StorageLayout layout = StorageLayout.fromConfig(settings.config());
        TSDB tsdb = StorageTarget.connect(settings);
        try {
            if (tsdb.getConfig().use_otsdb_timestamp()) {
                throw new IllegalArgumentException(settings.config() + " sets tsd.storage.use_otsdb_timestamp, whose cells carry"
                        + " their points' time: restore it with --write-mode=points");
            }
            Connection hbase = HBaseTables.connect(layout, hbaseSettings, layout.dataTable(), layout.uidTable());
            return new RowTarget(settings, dryRun, tsdb, layout, hbase, rejects);
        } catch (IOException | RuntimeException e) {
            StorageTarget.shutdown(tsdb, settings.timeout());
            throw e;
        }
    }

    @Override
    public long retries() {
        return retries.get() + (settings.others() == null ? 0 : settings.others().retries());
    }

    /** Points changed so far, per target metric. */
    public Map<String, Changes> changes() {
        return new TreeMap<>(changes);
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

    @Override
    public int write(Restore.Batch batch) throws IOException, InterruptedException {
        Restore.Target others = StorageTarget.othersFor(batch, settings.others());
        if (others != null) {
            return dryRun ? 0 : others.write(batch);
        }
        return StorageTarget.retried(settings.maxAttempts(), new Backoff(settings.backoffMin(), settings.backoffMax()), retries,
                RowTarget::retriable, refused -> store(batch, refused),
                point -> StorageTarget.reject(rejects, point, name));
    }

    /** HBase's errors, after the retries its client makes itself; not a point's refusal, which is no error. */
    private static boolean retriable(Exception e) {
        return (e instanceof IOException && !(e instanceof TargetWriter.TargetUnavailableException))
                || e instanceof org.hbase.async.HBaseException;
    }

    /** One row the batch changes: its restored points and the span it replaces. */
    private static final class RowWork {
        final byte[] key;
        final long baseSeconds;
        final String metric;
        RowMerge.Points points = new RowMerge.Points();
        long replaceFromMs;
        long replaceToMs;
        boolean unsorted;

        RowWork(byte[] key, long baseSeconds, String metric) {
            this.key = key;
            this.baseSeconds = baseSeconds;
            this.metric = metric;
        }

        void replace(long fromMs, long toMs) {
            if (replaceToMs <= replaceFromMs) {
                replaceFromMs = fromMs;
                replaceToMs = toMs;
            } else {
                replaceFromMs = Math.min(replaceFromMs, fromMs);
                replaceToMs = Math.max(replaceToMs, toMs);
            }
        }
    }

    private void store(Restore.Batch batch, List<StorageTarget.Refused> refused) throws IOException, InterruptedException {
        Map<ByteBuffer, RowWork> rows = new LinkedHashMap<>();
        for (Restore.Slice slice : batch.slices()) {
            collect(slice, rows, refused);
        }
        if (rows.isEmpty()) {
            return;
        }
        TreeSet<Integer> stripes = new TreeSet<>();
        rows.keySet().forEach(key -> stripes.add(Math.floorMod(key.hashCode(), rowLocks.length)));
        List<ReentrantLock> held = new ArrayList<>(stripes.size());
        try {
            for (int stripe : stripes) {
                ReentrantLock lock = rowLocks[stripe];
                lock.lockInterruptibly();
                held.add(lock);
            }
            mergeAndWrite(new ArrayList<>(rows.values()));
        } finally {
            held.forEach(ReentrantLock::unlock);
        }
    }

    /** Adds a slice's points to the rows they fall in, refusing what a TSD would refuse. */
    private void collect(Restore.Slice slice, Map<ByteBuffer, RowWork> rows, List<StorageTarget.Refused> refused) {
        OutputSeries series = slice.series();
        boolean hasPoints = slice.to() > slice.from();
        byte[] template;
        try {
            template = hasPoints && !dryRun ? uids.template(series) : uids.existing(series);
        } catch (IllegalArgumentException | NoSuchUniqueName e) {
            for (int i = slice.from(); i < slice.to(); i++) {
                refused.add(new StorageTarget.Refused(series, i, e));
            }
            return;
        }
        if (template == null) { // a dry run of a series the cluster has never seen: all its points are new
            changes(series.metric()).added.add(slice.to() - slice.from());
            return;
        }
        for (int i = slice.from(); i < slice.to(); i++) {
            long wire = series.wireTimestamp(i);
            boolean ms = (wire & SECOND_MASK) != 0; // as OpenTSDB tells a timestamp in milliseconds from one in seconds
            String refusal = refusal(series, i, wire, ms);
            if (refusal != null) {
                refused.add(new StorageTarget.Refused(series, i, new IllegalArgumentException(refusal)));
                continue;
            }
            long timestampMs = ms ? wire : wire * 1000;
            RowWork row = row(rows, template, Math.floorDiv(timestampMs, HOUR_MS), series.metric());
            RowMerge.Points points = row.points;
            if (points.size > 0 && points.timestampMs[points.size - 1] >= timestampMs) {
                row.unsorted = true; // another series a transform maps onto the same one
            }
            if (!series.points().isFloatingPoint(i)) {
                long value = series.points().valueBits(i);
                points.add(timestampMs, ms, false, RowEncoder.integerWidth(value), value);
            } else if (StorageTarget.storedAsFloat(series, i)) {
                points.add(timestampMs, ms, true, 4, Double.doubleToRawLongBits(Float.parseFloat(series.valueText(i))));
            } else {
                points.add(timestampMs, ms, true, 8, series.points().valueBits(i));
            }
        }
        if (slice.domainToMs() > slice.domainFromMs()) {
            for (long hour = Math.floorDiv(slice.domainFromMs(), HOUR_MS); hour * HOUR_MS < slice.domainToMs(); hour++) {
                row(rows, template, hour, series.metric()).replace(Math.max(slice.domainFromMs(), hour * HOUR_MS),
                        Math.min(slice.domainToMs(), (hour + 1) * HOUR_MS));
            }
        }
    }

    private RowWork row(Map<ByteBuffer, RowWork> rows, byte[] template, long hour, String metric) {
        long baseSeconds = hour * 3600;
        byte[] key = io.rewind.opentsdb.RowKey.atHour(layout, template, baseSeconds);
        return rows.computeIfAbsent(ByteBuffer.wrap(key), k -> new RowWork(key, baseSeconds, metric));
    }

    /** Why a TSD's {@code addPoint} would refuse the point, in its words; null when it would store it. */
    private static String refusal(OutputSeries series, int i, long wire, boolean ms) {
        if (wire < 0 || (ms && wire > 9999999999999L)) {
            return (wire < 0 ? "negative " : "bad") + " timestamp=" + wire + " when trying to add value=" + series.valueText(i)
                    + " to metric=" + series.metric() + ", tags=" + series.tags();
        }
        if (series.points().isFloatingPoint(i)) {
            double value = Double.longBitsToDouble(series.points().valueBits(i));
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                return "value is NaN or Infinite: " + value + " for metric=" + series.metric() + " timestamp=" + wire;
            }
        }
        return null;
    }

    private void mergeAndWrite(List<RowWork> rows) throws IOException, InterruptedException {
        List<Get> gets = new ArrayList<>(rows.size());
        for (RowWork row : rows) {
            gets.add(new Get(row.key).addFamily(FAMILY));
            if (row.unsorted) {
                row.points = sortedKeepingTheLast(row.points);
            }
        }
        RowMerge.Buffers reused = buffers.get();
        try (Table data = hbase.getTable(table)) {
            Result[] stored = data.get(gets);
            List<Row> writes = new ArrayList<>();
            List<RowMerge.Change> merges = new ArrayList<>(rows.size());
            int merged = 0;
            for (int r = 0; r < rows.size(); r++) {
                RowWork row = rows.get(r);
                List<RowDecoder.Cell> cells = cells(stored[r]);
                RowMerge.Change change = RowMerge.merge(row.baseSeconds, cells, row.points, row.replaceFromMs, row.replaceToMs, reused);
                merges.add(change);
                if (!change.writes()) {
                    continue;
                }
                Put put = change.qualifier() == null ? null : new Put(row.key).addColumn(FAMILY, change.qualifier(), change.value());
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
            // Counted once the batch is stored: a try that failed, and is made again, counts nothing.
            for (int r = 0; r < rows.size(); r++) {
                RowMerge.Change change = merges.get(r);
                Changes counts = changes(rows.get(r).metric);
                counts.added.add(change.added());
                counts.overwritten.add(change.overwritten());
                counts.unchanged.add(change.unchanged());
                counts.deleted.add(change.deleted());
                unreadableCells.addAndGet(change.unreadableCells());
            }
            rowsWritten.addAndGet(writes.size());
            rowsMerged.addAndGet(merged);
        }
    }

    private Changes changes(String metric) {
        return changes.computeIfAbsent(metric, m -> new Changes());
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
    private static RowMerge.Points sortedKeepingTheLast(RowMerge.Points points) {
        Integer[] order = new Integer[points.size];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, java.util.Comparator.<Integer>comparingLong(i -> points.timestampMs[i]).thenComparingInt(i -> i));
        RowMerge.Points sorted = new RowMerge.Points();
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            if (k + 1 < order.length && points.timestampMs[order[k + 1]] == points.timestampMs[i]) {
                continue;
            }
            sorted.add(points.timestampMs[i], points.milliseconds[i], points.floatingPoint[i], points.width[i], points.bits[i]);
        }
        return sorted;
    }

    @Override
    public void close() throws IOException {
        try {
            hbase.close();
        } finally {
            StorageTarget.shutdown(tsdb, settings.timeout());
        }
    }
}
