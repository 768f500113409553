package io.rewind.restore.targets;

import io.rewind.archive.storage.Backoff;
import io.rewind.opentsdb.RowEncoder;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.BulkLoad;
import io.rewind.opentsdb.hbase.HBaseTables;
import io.rewind.opentsdb.hbase.OpenTsdbClient;
import io.rewind.opentsdb.hbase.RowWriter;
import io.rewind.opentsdb.hbase.SeriesRowKeys;
import io.rewind.restore.plan.OutputSeries;
import io.rewind.schema.WireTimestamps;
import io.rewind.service.RejectFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import net.opentsdb.core.TSDB;
import net.opentsdb.uid.NoSuchUniqueName;
import org.apache.hadoop.hbase.client.Connection;

/**
 * Writes restored points straight into a cluster's {@code tsdb} table as rows the way OpenTSDB's compaction leaves
 * them ({@link RowWriter}), UIDs found or assigned by OpenTSDB's own {@code UniqueId} ({@link SeriesRowKeys}). Each
 * slice's points go to the rows of their hours; with a plan that replaces (the restore's {@code --replace}), the slice's replaced
 * span is removed from those rows where the restore holds no point. A point a TSD would refuse goes to the reject file
 * with the TSD's reason. Writing a batch again gives the same rows: a rerun after a crash continues where the
 * checkpoint says.
 *
 * <p>With {@code dryRun} nothing is written and no UID assigned: the rows are read and the changes only counted.
 */
public final class RowTarget implements Target, AutoCloseable {
    private final StorageTarget.Settings settings;
    private final boolean dryRun;
    private final TSDB tsdb;
    private final Connection hbase;
    private final RowWriter rows;
    private final SeriesRowKeys keys;
    private final RejectFile rejects;
    private final BulkLoad bulk;
    private final String name;
    private final AtomicLong retries = new AtomicLong();

    private RowTarget(StorageTarget.Settings settings, boolean dryRun, TSDB tsdb, StorageLayout layout, Connection hbase,
            Map<String, String> hbaseSettings, BulkLoad.Settings bulkLoad, RejectFile rejects) throws IOException {
        this.settings = settings;
        this.dryRun = dryRun;
        this.tsdb = tsdb;
        this.hbase = hbase;
        this.rows = new RowWriter(layout, hbase, dryRun);
        this.keys = new SeriesRowKeys(tsdb, layout);
        this.rejects = rejects;
        this.bulk = bulkLoad == null ? null
                : new BulkLoad(layout, hbase, HBaseTables.clientSettings(layout, hbaseSettings), rows, bulkLoad, dryRun);
        this.name = "storage of " + settings.config();
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
        return open(settings, dryRun, hbaseSettings, null, rejects);
    }

    /**
     * As {@link #open(StorageTarget.Settings, boolean, Map, RejectFile)}; with {@code bulkLoad}, the rows are spooled and then
     * written as HFiles and bulk-loaded ({@link BulkLoad}): {@link #bulkLoad()} does the rest once every batch is written.
     */
    public static RowTarget open(StorageTarget.Settings settings, boolean dryRun, Map<String, String> hbaseSettings,
            BulkLoad.Settings bulkLoad, RejectFile rejects) throws IOException {
        StorageLayout layout = StorageLayout.fromConfig(settings.config());
        TSDB tsdb = OpenTsdbClient.connect(settings.config(), settings.timeout());
        try {
            if (tsdb.getConfig().use_otsdb_timestamp()) {
                throw new IllegalArgumentException(settings.config() + " sets tsd.storage.use_otsdb_timestamp, whose cells carry"
                        + " their points' time: restore it with --write-mode=points");
            }
            Connection hbase = HBaseTables.connect(layout, hbaseSettings, layout.dataTable(), layout.uidTable());
            try {
                return new RowTarget(settings, dryRun, tsdb, layout, hbase, hbaseSettings, bulkLoad, rejects);
            } catch (IOException | RuntimeException e) {
                hbase.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            OpenTsdbClient.shutdown(tsdb, settings.timeout());
            throw e;
        }
    }

    @Override
    public long retries() {
        return retries.get() + (settings.others() == null ? 0 : settings.others().retries());
    }

    /** Points changed so far, per target metric. */
    public Map<String, RowWriter.Changes> changes() {
        return rows.changes();
    }

    /** Rows written (as rows, or into HFiles), and of those the ones that held cells before (merged). */
    public long rowsWritten() {
        return rows.rowsWritten() + (bulk == null ? 0 : bulk.rowsInFiles());
    }

    public long rowsMerged() {
        return rows.rowsMerged();
    }

    /** Cells of the rows read that no TSD can read either: left as they were ({@code tsdb fsck} names them). */
    public long unreadableCells() {
        return rows.unreadableCells();
    }

    @Override
    public int write(Batch batch) throws IOException, InterruptedException {
        Target others = StorageTarget.othersFor(batch, settings.others());
        if (others != null) {
            return dryRun ? 0 : others.write(batch);
        }
        return StorageTarget.retried(settings.maxAttempts(), new Backoff(settings.backoffMin(), settings.backoffMax()), retries,
                RowTarget::retriable, refused -> store(batch, refused),
                point -> StorageTarget.reject(rejects, point, name));
    }

    /** HBase's errors, after the retries its client makes itself; not a point's refusal, which is no error. */
    private static boolean retriable(Exception e) {
        return (e instanceof IOException && !(e instanceof TargetUnavailableException))
                || e instanceof org.hbase.async.HBaseException;
    }

    private void store(Batch batch, List<StorageTarget.Refused> refused) throws IOException, InterruptedException {
        Map<ByteBuffer, RowWriter.RowChange> changes = new LinkedHashMap<>();
        for (Slice slice : batch.slices()) {
            collect(slice, changes, refused);
        }
        if (bulk != null) {
            try {
                bulk.add(changes.values());
            } catch (IOException e) { // HBase's tools stopped: no batch could be written, so none is tried again
                throw new TargetUnavailableException(e.getMessage(), e);
            }
        } else {
            rows.write(changes.values());
        }
    }

    /** The bulk load the rows go to, or null when they are written as rows. */
    public BulkLoad bulkLoad() {
        return bulk;
    }

    /** Adds a slice's points to the rows they fall in, refusing what a TSD would refuse. */
    private void collect(Slice slice, Map<ByteBuffer, RowWriter.RowChange> changes, List<StorageTarget.Refused> refused) {
        OutputSeries series = slice.series();
        boolean hasPoints = slice.to() > slice.from();
        byte[] template;
        try {
            template = hasPoints && !dryRun ? keys.template(series.metric(), series.tags()) : keys.existing(series.metric(), series.tags());
        } catch (IllegalArgumentException | NoSuchUniqueName e) {
            for (int i = slice.from(); i < slice.to(); i++) {
                refused.add(new StorageTarget.Refused(series, i, e));
            }
            return;
        }
        if (template == null) { // a dry run of a series the cluster has never seen: all its points are new
            rows.countAdded(series.metric(), slice.to() - slice.from());
            return;
        }
        RowWriter.RowChange row = null;
        long rowHour = 0;
        for (int i = slice.from(); i < slice.to(); i++) {
            long wire = series.wireTimestamp(i);
            boolean ms = WireTimestamps.isMilliseconds(wire);
            String refusal = refusal(series, i, wire, ms);
            if (refusal != null) {
                refused.add(new StorageTarget.Refused(series, i, new IllegalArgumentException(refusal)));
                continue;
            }
            long timestampMs = ms ? wire : wire * 1000;
            long hour = Math.floorDiv(timestampMs, StorageLayout.ROW_SPAN_MS);
            if (row == null || hour != rowHour) { // a series' points come in time order: its row changes once an hour
                row = rows.row(changes, template, hour, series.metric());
                rowHour = hour;
            }
            if (!series.points().isFloatingPoint(i)) {
                long value = series.points().valueBits(i);
                row.add(timestampMs, ms, false, RowEncoder.integerWidth(value), value);
            } else if (StorageTarget.storedAsFloat(series, i)) {
                row.add(timestampMs, ms, true, 4, series.points().valueBits(i)); // the double is the float: the same bits
            } else {
                row.add(timestampMs, ms, true, 8, series.points().valueBits(i));
            }
        }
        if (slice.domainToMs() > slice.domainFromMs()) {
            long span = StorageLayout.ROW_SPAN_MS;
            for (long hour = Math.floorDiv(slice.domainFromMs(), span); hour * span < slice.domainToMs(); hour++) {
                rows.row(changes, template, hour, series.metric()).replace(Math.max(slice.domainFromMs(), hour * span),
                        Math.min(slice.domainToMs(), (hour + 1) * span));
            }
        }
    }

    /** Why a TSD's {@code addPoint} would refuse the point, in its words; null when it would store it. */
    private static String refusal(OutputSeries series, int i, long wire, boolean ms) {
        if (wire < 0 || (ms && wire > WireTimestamps.MAX_MS_TIMESTAMP)) {
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

    @Override
    public void close() throws IOException {
        try (Connection tables = hbase; BulkLoad files = bulk) {
            // closed in this order: HBase's tools, then the connection
        } finally {
            OpenTsdbClient.shutdown(tsdb, settings.timeout());
        }
    }
}
