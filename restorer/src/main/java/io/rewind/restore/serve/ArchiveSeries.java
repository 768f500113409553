package io.rewind.restore.serve;

import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
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
import java.util.function.Predicate;

/**
 * The series of one metric over a range of event times, as the archive held them at an ingest time: for each
 * (series, timestamp) the version a restore as of that time would write (guarantee 4), read through the restore's own plan
 * and reader, so that what {@code serve} shows is what a restore would bring back. Only plain points (puts): rollups and
 * histograms are queried through their own OpenTSDB endpoints.
 */
public final class ArchiveSeries {
    private final Storage storage;
    private final String topic;
    private final ServeCache cache;

    /**
     * One series: its metric, tags and points in timestamp order, column by column: the timestamp, the value as a long or (when
     * {@code floating}) a double.
     */
    public record Series(String metric, SortedMap<String, String> tags, long[] timestampsMs, long[] longs, double[] doubles, boolean[] floating) {
        public int size() {
            return timestampsMs.length;
        }
    }

    ArchiveSeries(Storage storage, String topic, ServeCache cache) {
        this.storage = cache.listings(storage);
        this.topic = topic;
        this.cache = cache;
    }

    /**
     * Every series of the metric whose tags {@code wanted} keeps, with a point in {@code [fromMs, toMs]} (both inclusive), as of
     * {@code asOfMs}.
     */
    public List<Series> read(String metric, long fromMs, long toMs, long asOfMs, Predicate<SortedMap<String, String>> wanted)
            throws IOException, InterruptedException {
        Selection selection = new Selection(fromMs, toMs == Long.MAX_VALUE ? toMs : toMs + 1, asOfMs, List.of(metric), Map.of());
        List<String> unreadable = new ArrayList<>();
        // The restore's plan (RestorePlan.of without Kafka), its headers and decoded series kept between queries.
        List<ArchiveIndex.Unit> units = ArchiveIndex.scanRange(storage, topic, selection.fromMs(), selection.toMs(), unreadable, cache.headers())
                .restoreUnits().stream().filter(u -> selection.overlaps(u.eventTimeMinMs(), u.eventTimeMaxMs())).toList();
        if (!unreadable.isEmpty()) {
            throw new IOException("cannot read " + String.join("; ", unreadable));
        }
        Map<SeriesKey, List<SeriesPoints>> chunks = new TreeMap<>();
        Map<SeriesKey, SortedMap<String, String>> tagsOf = new java.util.concurrent.ConcurrentHashMap<>();
        Map<SeriesKey, Boolean> kept = new java.util.concurrent.ConcurrentHashMap<>();
        SelectionReader reader = new SelectionReader(storage, selection).withOpener(cache.opener(metric,
                id -> kept.computeIfAbsent(id.key(), key -> wanted.test(tagsOf.computeIfAbsent(key, SeriesKey::tags)))));
        for (ArchiveIndex.Unit unit : units) {
            reader.read(unit, series -> {
                SeriesKey key = series.id().key();
                if (series.id().kind() != PointKind.PUT || !key.metric().equals(metric)) {
                    return; // a glob character in the name matched others: OpenTSDB's metric is exact
                }
                chunks.computeIfAbsent(key, k -> new ArrayList<>()).add(series); // the opener kept only the wanted series
            });
        }
        List<Series> out = new ArrayList<>(chunks.size());
        chunks.forEach((key, parts) -> out.add(series(metric, tagsOf.get(key), parts)));
        return out;
    }

    /** A series' points from the units that held them: windows apart in time, put in order; any timestamp twice keeps the last read. */
    private static Series series(String metric, SortedMap<String, String> tags, List<SeriesPoints> parts) {
        parts.sort(java.util.Comparator.comparingLong(p -> p.timestampMs(0)));
        int n = parts.stream().mapToInt(SeriesPoints::size).sum();
        long[] ts = new long[n];
        long[] longs = new long[n];
        double[] doubles = new double[n];
        boolean[] floating = new boolean[n];
        int k = 0;
        for (SeriesPoints part : parts) {
            for (int i = 0; i < part.size(); i++) {
                long t = part.timestampMs(i);
                if (k > 0 && t <= ts[k - 1]) {
                    return overlapping(metric, tags, parts);
                }
                ts[k] = t;
                floating[k] = part.isFloatingPoint(i);
                if (floating[k]) {
                    doubles[k] = Double.longBitsToDouble(part.valueBits(i));
                } else {
                    longs[k] = part.valueBits(i);
                }
                k++;
            }
        }
        return new Series(metric, tags, ts, longs, doubles, floating);
    }

    /** Parts whose times overlap (a unit split unusually): merged by timestamp, the part read last winning. */
    private static Series overlapping(String metric, SortedMap<String, String> tags, List<SeriesPoints> parts) {
        TreeMap<Long, Object> byTime = new TreeMap<>();
        for (SeriesPoints part : parts) {
            for (int i = 0; i < part.size(); i++) {
                byTime.put(part.timestampMs(i), part.value(i));
            }
        }
        int n = byTime.size();
        long[] ts = new long[n];
        long[] longs = new long[n];
        double[] doubles = new double[n];
        boolean[] floating = new boolean[n];
        int k = 0;
        for (Map.Entry<Long, Object> p : byTime.entrySet()) {
            ts[k] = p.getKey();
            if (p.getValue() instanceof Double d) {
                doubles[k] = d;
                floating[k] = true;
            } else {
                longs[k] = (Long) p.getValue();
            }
            k++;
        }
        return new Series(metric, tags, ts, longs, doubles, floating);
    }
}
