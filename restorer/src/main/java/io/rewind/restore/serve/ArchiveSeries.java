package io.rewind.restore.serve;

import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.SelectionReader;
import io.rewind.schema.PointKind;
import io.rewind.schema.SeriesKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The series of one metric over a range of event times, as the archive held them at an ingest time: for each
 * (series, timestamp) the version a restore as of that time would write (guarantee 4), read through the restore's own plan
 * and reader, so that what {@code serve} shows is what a restore would bring back. Only plain points (puts): rollups and
 * histograms are queried through their own OpenTSDB endpoints.
 */
public final class ArchiveSeries {
    private final Storage storage;
    private final String topic;

    /** One series: its metric, tags and points in timestamp order (a Long or a Double each). */
    public record Series(String metric, SortedMap<String, String> tags, long[] timestampsMs, Object[] values) {
        public int size() {
            return timestampsMs.length;
        }
    }

    public ArchiveSeries(Storage storage, String topic) {
        this.storage = storage;
        this.topic = topic;
    }

    /** Every series of the metric with a point in {@code [fromMs, toMs]} (both inclusive), as of {@code asOfMs}. */
    public List<Series> read(String metric, long fromMs, long toMs, long asOfMs) throws IOException, InterruptedException {
        Selection selection = new Selection(fromMs, toMs == Long.MAX_VALUE ? toMs : toMs + 1, asOfMs, List.of(metric), Map.of());
        RestorePlan plan = RestorePlan.of(storage, topic, selection);
        if (!plan.unreadable().isEmpty()) {
            throw new IOException("cannot read " + String.join("; ", plan.unreadable()));
        }
        Map<SeriesKey, TreeMap<Long, Object>> points = new TreeMap<>();
        SelectionReader reader = new SelectionReader(storage, plan.selection());
        for (ArchiveIndex.Unit unit : plan.units()) {
            reader.read(unit, series -> {
                if (series.id().kind() != PointKind.PUT || !series.id().key().metric().equals(metric)) {
                    return; // a glob character in the name matched others: OpenTSDB's metric is exact
                }
                TreeMap<Long, Object> into = points.computeIfAbsent(series.id().key(), k -> new TreeMap<>());
                add(series, into);
            });
        }
        List<Series> out = new ArrayList<>(points.size());
        points.forEach((key, byTime) -> {
            long[] ts = new long[byTime.size()];
            Object[] values = new Object[byTime.size()];
            int i = 0;
            for (Map.Entry<Long, Object> p : byTime.entrySet()) {
                ts[i] = p.getKey();
                values[i++] = p.getValue();
            }
            out.add(new Series(key.metric(), key.tags(), ts, values));
        });
        return out;
    }

    private static void add(SeriesPoints series, TreeMap<Long, Object> into) {
        for (int i = 0; i < series.size(); i++) {
            into.put(series.timestampMs(i), series.value(i));
        }
    }
}
