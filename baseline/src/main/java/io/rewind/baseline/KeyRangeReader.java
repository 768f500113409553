package io.rewind.baseline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.RateLimit;
import io.rewind.archive.segment.SeriesId;
import io.rewind.opentsdb.MalformedCellException;
import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.RowKey;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.KeyRange;
import io.rewind.opentsdb.hbase.RowScan;
import io.rewind.opentsdb.hbase.SnapshotFiles;
import io.rewind.opentsdb.hbase.UidTable;
import io.rewind.schema.SeriesKey;
import io.rewind.service.RejectFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.hbase.client.Connection;

/**
 * Reads one key range of the data table (or of its clone, or of its snapshot's files), row by row: each row's key cut by
 * the layout, its UIDs named, its cells decoded by the codec, its points in the time range buffered per hour
 * window, and the buffers flushed to baseline files whenever they hold {@code bufferPoints}. A row or cell the
 * codec cannot read goes to the reject file with its key and qualifier and the scan goes on.
 */
public final class KeyRangeReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What every reader shares; {@code files} reads a snapshot's files instead of scanning {@code table}, or is null. */
    record Context(Connection connection, String table, StorageLayout layout, UidTable uids, long fromMs, long toMs, RateLimit rate,
            RejectFile rejects, int bufferPoints, Counts counts, SnapshotFiles files) {
        void scan(KeyRange range, RowScan.RowVisitor visitor) throws IOException, InterruptedException {
            if (files != null) {
                files.scan(range, visitor);
            } else {
                RowScan.scan(connection, table, range, visitor);
            }
        }
    }

    /** Live counts of every reader, for the progress line and the benchmark. */
    public static final class Counts {
        final AtomicLong points = new AtomicLong();
        final AtomicLong rows = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong rangesDone = new AtomicLong();

        public long points() {
            return points.get();
        }

        public long rows() {
            return rows.get();
        }

        public long bytes() {
            return bytes.get();
        }

        public long rangesDone() {
            return rangesDone.get();
        }
    }

    /** Takes a full buffer to write, and gives the buffer to go on with. */
    interface Flushes {
        WindowBuffers flushed(WindowBuffers full) throws IOException, InterruptedException;
    }

    private final Context context;
    private final RowDecoder decoder = new RowDecoder();

    KeyRangeReader(Context context) {
        this.context = context;
    }

    /** Reads the range; the tally gets its counts; returns the last buffer, whose flush is left to the caller. */
    WindowBuffers read(KeyRange range, WindowBuffers first, RowDecoder.Tally tally, AtomicLong rows, AtomicLong rejected, Flushes flushes)
            throws IOException, InterruptedException {
        WindowBuffers[] buffers = {first};
        StorageLayout layout = context.layout();
        long fromBase = Math.floorDiv(context.fromMs(), 1000L);
        long toBase = Math.floorDiv(context.toMs(), 1000L);
        context.scan(range, (key, cells, bytes) -> {
            context.counts().bytes.addAndGet(bytes);
            if (RowKey.isGlobalAnnotationRow(layout, key)) {
                tally.annotations += cells.size();
                return;
            }
            if (!RowKey.hasBaseTime(layout, key)) {
                reject(key, null, "a row key of " + key.length + " bytes has no base time for this layout", rejected);
                return;
            }
            long base = RowKey.baseTimeSeconds(layout, key);
            if (base + StorageLayout.ROW_SPAN_SECONDS <= fromBase || base >= toBase) {
                return;
            }
            SeriesId series;
            try {
                series = series(RowKey.parse(layout, key));
            } catch (MalformedCellException | UidTable.UnknownUidException | IllegalArgumentException e) {
                reject(key, null, e.getMessage(), rejected);
                return;
            }
            rows.incrementAndGet();
            WindowBuffers into = buffers[0];
            long before = into.points();
            long from = context.fromMs();
            long to = context.toMs();
            decoder.decode(base, cells, (ts, ms, fp, bits, width, version) -> {
                if (ts >= from && ts < to) {
                    into.add(series, ts, ms, fp, bits, version);
                }
            }, tally, (qualifier, why) -> rejectQuietly(key, qualifier, why, rejected));
            long added = into.points() - before;
            context.counts().points.addAndGet(added);
            context.counts().rows.incrementAndGet();
            context.rate().acquire(added);
            if (into.points() >= context.bufferPoints()) {
                buffers[0] = flushes.flushed(into);
            }
        });
        return buffers[0];
    }

    private SeriesId series(RowKey key) throws IOException, UidTable.UnknownUidException {
        String metric = context.uids().name(UidTable.Kind.METRIC, key.metric());
        Map<String, String> tags = new LinkedHashMap<>();
        for (int i = 0; i < key.tagks().size(); i++) {
            tags.put(context.uids().name(UidTable.Kind.TAGK, key.tagks().get(i)), context.uids().name(UidTable.Kind.TAGV, key.tagvs().get(i)));
        }
        return SeriesId.of(SeriesKey.of(metric, tags));
    }

    private void rejectQuietly(byte[] key, byte[] qualifier, String why, AtomicLong rejected) {
        try {
            reject(key, qualifier, why, rejected);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void reject(byte[] key, byte[] qualifier, String why, AtomicLong rejected) throws IOException {
        ObjectNode line = JSON.createObjectNode().put("table", context.table()).put("row", RowKey.hex(key));
        if (qualifier != null) {
            line.put("qualifier", RowDecoder.hex(qualifier));
        }
        line.put("error", why);
        context.rejects().record(line);
        rejected.incrementAndGet();
    }
}
