package io.rewind.restore.changes;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.SelectionReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What changed in the archive while points arrived in a range of arrival (ingest) times, per metric and per minute of
 * arrival: the question every point-in-time restore starts with, "as of when?", answered from the versions the archive
 * keeps (guarantee 4) rather than from memory and logs.
 * <ul>
 *   <li><b>rewritten</b>: a version of a (series, timestamp) that already had one, with another value;</li>
 *   <li><b>resent</b>: the same value again (a collector's retry);</li>
 *   <li><b>backfilled</b>: a timestamp's first version, arriving more than the backfill threshold after its timestamp;</li>
 *   <li><b>new series</b>: a series none of whose versions read arrived before the range (the look-back before it and
 *       every file that holds a timestamp of the range are read);</li>
 *   <li><b>volume</b>: points arriving in a minute against the metric's usual rate, the median of its minutes over the
 *       look-back and the range.</li>
 * </ul>
 * The first burst of rewrites (consecutive minutes with rewrites, at least {@code minBurst} of them) gives the suggested
 * restore: the archive as it was the millisecond before its first rewrite, for the metrics rewritten from then on, over the
 * event times those rewrites cover.
 */
public final class ArchiveChanges {
    public static final long MINUTE_MS = 60_000;
    /** Rewrites at most this far apart (in minutes of arrival) belong to one burst. */
    public static final long BURST_GAP_MS = 5 * MINUTE_MS;
    /** A minute's arrivals this many times the usual rate, or this many times fewer, are unusual. */
    static final int UNUSUAL_FACTOR = 3;
    /** ... and at least this many points away from it: a metric of a few points a minute does not raise alarms by itself. */
    static final int UNUSUAL_MIN_POINTS = 10;

    /** What to read: arrivals in {@code [fromMs, toMs)}, the look-back before them, and what counts as a backfill or a burst. */
    public record Settings(String topic, long fromMs, long toMs, long lookbackMs, long backfillAfterMs, long minBurst, List<String> metrics,
            Map<String, String> tags) {
        public Settings {
            if (fromMs >= toMs) {
                throw new IllegalArgumentException("the arrival range is empty: --from is not before --to");
            }
            if (lookbackMs < 0 || backfillAfterMs < 0 || minBurst < 1) {
                throw new IllegalArgumentException("--lookback and --backfill-after are durations of 0 or more, --min-burst a count of 1 or more");
            }
            metrics = List.copyOf(metrics);
            tags = Map.copyOf(tags);
        }
    }

    /** What arrived for one metric in one minute. */
    public static final class Minute {
        private long arrivals;
        private long rewritten;
        private long resent;
        private long backfilled;
        private long newSeries;
        private long rewrittenInSameMs;
        private long firstRewriteMs = Long.MAX_VALUE;
        private long rewrittenFromMs = Long.MAX_VALUE;
        private long rewrittenToMs = Long.MIN_VALUE;

        public long arrivals() {
            return arrivals;
        }

        public long rewritten() {
            return rewritten;
        }

        public long resent() {
            return resent;
        }

        public long backfilled() {
            return backfilled;
        }

        public long newSeries() {
            return newSeries;
        }

        /** Rewrites that arrived in the same millisecond as the version they replace: no as-of time tells the two apart. */
        public long rewrittenInSameMs() {
            return rewrittenInSameMs;
        }

        /** Ingest time of the minute's first rewrite; {@link Long#MAX_VALUE} without one. */
        public long firstRewriteMs() {
            return firstRewriteMs;
        }

        /** The event times the minute's rewrites cover, inclusive; empty ({@code from > to}) without one. */
        public long rewrittenFromMs() {
            return rewrittenFromMs;
        }

        public long rewrittenToMs() {
            return rewrittenToMs;
        }
    }

    /** One rewrite, to show what changed: the series, the timestamp, the value before and after, and when it arrived. */
    public record Example(String series, long timestampMs, Object before, Object after, long ingestMs) {
    }

    /** A metric's arrivals in the range, minute by minute, and the minutes whose volume was unusual. */
    public record MetricChanges(String metric, NavigableMap<Long, Minute> minutes, double usualPerMinute, List<Long> spikes, List<Long> drops,
            Example firstRewrite, long arrivals, long rewritten, long resent, long backfilled, long newSeries) {

        /** Whether anything but the usual happened: rewrites, backfills, new series or an unusual volume. */
        public boolean changed() {
            return rewritten > 0 || backfilled > 0 || newSeries > 0 || !spikes.isEmpty() || !drops.isEmpty();
        }
    }

    /**
     * Minutes of arrival (over every metric) holding rewrites, none more than {@value #BURST_GAP_MS} ms after the previous
     * one: an incident that pauses a few minutes is one burst; a job correcting data hours later is another.
     */
    public record Burst(long startMs, long endMs, long rewritten, long firstRewriteMs, List<String> metrics) {
    }

    /** The restore the first burst suggests: as of the millisecond before it, its metrics, over the event times rewritten. */
    public record Suggestion(Burst burst, long asOfMs, long fromMs, long toMs, List<String> metrics, Map<String, String> tags,
            long rewrittenBefore) {
        public Selection selection() {
            return new Selection(fromMs, toMs, asOfMs, metrics, tags);
        }
    }

    /**
     * The analysis: the metrics that changed (in name order), every burst, the suggestion if a burst is large enough, and how
     * far the archive's arrivals go ({@code archivedUntilMs}: the last ingest time any of its files holds; later minutes are
     * not judged).
     */
    public record Result(Settings settings, List<MetricChanges> metrics, List<Burst> bursts, Optional<Suggestion> suggestion,
            long archivedUntilMs, long endMs, int unitsRead, long versionsRead) {
    }

    private ArchiveChanges() {
    }

    public static Result analyze(Storage storage, Settings settings) throws IOException, InterruptedException {
        List<String> unreadable = new ArrayList<>();
        ArchiveIndex index = ArchiveIndex.scanAll(storage, Optional.of(settings.topic()), unreadable);
        if (!unreadable.isEmpty()) {
            throw new IllegalStateException("cannot read " + String.join("; ", unreadable));
        }
        long lookFrom = settings.fromMs() - settings.lookbackMs();
        long archivedUntil = index.units().stream().flatMap(u -> u.files().stream()).mapToLong(f -> f.header().ingestTimeMaxMs())
                .max().orElse(Long.MIN_VALUE);
        long end = Math.min(settings.toMs(), archivedUntil == Long.MIN_VALUE ? settings.fromMs() : archivedUntil + 1);
        // Every version of a unit is read when any of its files holds an arrival of the look-back or the range: the earlier
        // versions of a timestamp it rewrites are in the same unit, whenever they arrived.
        List<ArchiveIndex.Unit> units = index.restoreUnits().stream()
                .filter(u -> u.live().stream().anyMatch(f -> f.header().ingestTimeMinMs() < end && f.header().ingestTimeMaxMs() >= lookFrom))
                .toList();
        Selection everything = new Selection(Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, settings.metrics(), settings.tags());
        SelectionReader reader = SelectionReader.everyVersion(storage, everything);
        Map<String, Tally> tallies = new TreeMap<>();
        Map<SeriesId, Long> firstArrival = new HashMap<>();
        long[] versions = {0};
        for (ArchiveIndex.Unit unit : units) {
            reader.read(unit, series -> {
                versions[0] += series.size();
                Tally tally = tallies.computeIfAbsent(series.id().key().metric(), m -> new Tally());
                long first = tally.add(series, settings, lookFrom, end);
                firstArrival.merge(series.id(), first, Math::min);
            });
        }
        firstArrival.forEach((id, first) -> {
            if (first >= settings.fromMs() && first < end) {
                tallies.get(id.key().metric()).minute(first).newSeries++;
            }
        });
        List<MetricChanges> changed = new ArrayList<>();
        tallies.forEach((metric, tally) -> {
            MetricChanges changes = tally.result(metric, settings, lookFrom, end);
            if (changes.changed()) {
                changed.add(changes);
            }
        });
        List<Burst> bursts = bursts(tallies);
        Optional<Suggestion> suggestion = bursts.stream().filter(b -> b.rewritten() >= settings.minBurst()).findFirst()
                .map(b -> suggest(b, tallies, settings));
        return new Result(settings, List.copyOf(changed), bursts, suggestion, archivedUntil, end, units.size(), versions[0]);
    }

    public static long minuteOf(long ms) {
        return Math.floorDiv(ms, MINUTE_MS) * MINUTE_MS;
    }

    /** Bursts in time order: runs of consecutive minutes in which some metric had rewrites. */
    private static List<Burst> bursts(Map<String, Tally> tallies) {
        TreeMap<Long, List<Map.Entry<String, Minute>>> rewrites = new TreeMap<>();
        tallies.forEach((metric, tally) -> tally.minutes.forEach((minute, m) -> {
            if (m.rewritten > 0) {
                rewrites.computeIfAbsent(minute, k -> new ArrayList<>()).add(Map.entry(metric, m));
            }
        }));
        List<Burst> bursts = new ArrayList<>();
        long start = 0;
        long last = 0;
        long count = 0;
        long first = Long.MAX_VALUE;
        TreeMap<String, Boolean> metrics = new TreeMap<>();
        for (Map.Entry<Long, List<Map.Entry<String, Minute>>> minute : rewrites.entrySet()) {
            if (count > 0 && minute.getKey() > last + BURST_GAP_MS) {
                bursts.add(new Burst(start, last + MINUTE_MS, count, first, List.copyOf(metrics.keySet())));
                count = 0;
                first = Long.MAX_VALUE;
                metrics.clear();
            }
            if (count == 0) {
                start = minute.getKey();
            }
            last = minute.getKey();
            for (Map.Entry<String, Minute> m : minute.getValue()) {
                count += m.getValue().rewritten;
                first = Math.min(first, m.getValue().firstRewriteMs);
                metrics.put(m.getKey(), true);
            }
        }
        if (count > 0) {
            bursts.add(new Burst(start, last + MINUTE_MS, count, first, List.copyOf(metrics.keySet())));
        }
        return bursts;
    }

    /**
     * The burst's metrics only, over the event times they were rewritten at during the burst: a later burst (another
     * metric's correction, or a later correction of these) is listed, not undone. Rewrites of these metrics that arrived
     * before the burst (in the look-back, or in smaller bursts of the range) are counted: the incident may have begun then.
     */
    private static Suggestion suggest(Burst burst, Map<String, Tally> tallies, Settings settings) {
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        long before = 0;
        for (String metric : burst.metrics()) {
            Tally tally = tallies.get(metric);
            before += tally.rewrittenInLookback;
            for (Minute m : tally.minutes.headMap(burst.startMs(), false).values()) {
                before += m.rewritten;
            }
            for (Minute m : tally.minutes.subMap(burst.startMs(), true, burst.endMs(), false).values()) {
                if (m.rewritten > 0) {
                    from = Math.min(from, m.rewrittenFromMs);
                    to = Math.max(to, m.rewrittenToMs);
                }
            }
        }
        return new Suggestion(burst, burst.firstRewriteMs() - 1, from, to + 1, burst.metrics(), settings.tags(), before);
    }

    /** One metric's counts as the units are read. */
    private static final class Tally {
        final TreeMap<Long, Minute> minutes = new TreeMap<>();
        long firstArrivalInRead = Long.MAX_VALUE;
        long arrivalsInRange;
        long rewrittenInLookback;
        Example firstRewrite;

        Minute minute(long ingestMs) {
            return minutes.computeIfAbsent(minuteOf(ingestMs), k -> new Minute());
        }

        /** Counts a series' versions (timestamp order, arrival order within one); returns its first ingest time. */
        long add(SeriesPoints series, Settings settings, long lookFrom, long end) {
            long first = Long.MAX_VALUE;
            for (int i = 0; i < series.size(); i++) {
                long ingest = series.ingestTimeMs(i);
                first = Math.min(first, ingest);
                if (ingest < lookFrom || ingest >= end) {
                    continue;
                }
                firstArrivalInRead = Math.min(firstArrivalInRead, ingest);
                Minute minute = minute(ingest);
                minute.arrivals++;
                long ts = series.timestampMs(i);
                if (ingest < settings.fromMs()) {
                    // The look-back: the usual rate, and whether rewrites were already arriving (an incident begun before --from).
                    if (i > 0 && series.timestampMs(i - 1) == ts && !sameValue(series, i - 1, i)) {
                        rewrittenInLookback++;
                    }
                    continue;
                }
                arrivalsInRange++;
                if (i == 0 || series.timestampMs(i - 1) != ts) {
                    if (ingest - ts > settings.backfillAfterMs()) {
                        minute.backfilled++;
                    }
                } else if (sameValue(series, i - 1, i)) {
                    minute.resent++;
                } else {
                    minute.rewritten++;
                    if (series.ingestTimeMs(i - 1) == ingest) {
                        minute.rewrittenInSameMs++;
                    }
                    minute.firstRewriteMs = Math.min(minute.firstRewriteMs, ingest);
                    minute.rewrittenFromMs = Math.min(minute.rewrittenFromMs, ts);
                    minute.rewrittenToMs = Math.max(minute.rewrittenToMs, ts);
                    if (firstRewrite == null || ingest < firstRewrite.ingestMs()) {
                        firstRewrite = new Example(series.id().key().toString(), ts, shown(series, i - 1), shown(series, i), ingest);
                    }
                }
            }
            return first;
        }

        MetricChanges result(String metric, Settings settings, long lookFrom, long end) {
            // The usual rate: the median of the metric's whole minutes from its first arrival read (or the look-back's start); a
            // metric that began arriving within a minute did not arrive all of it.
            List<Long> counts = new ArrayList<>();
            long start = wholeMinuteFrom(Math.max(firstArrivalInRead == Long.MAX_VALUE ? end : firstArrivalInRead, lookFrom));
            for (long m = start; m + MINUTE_MS <= end; m += MINUTE_MS) {
                Minute minute = minutes.get(m);
                counts.add(minute == null ? 0 : minute.arrivals);
            }
            double usual = median(counts);
            List<Long> spikes = new ArrayList<>();
            List<Long> drops = new ArrayList<>();
            for (long m = Math.max(start, wholeMinuteFrom(settings.fromMs())); m + MINUTE_MS <= end; m += MINUTE_MS) {
                Minute minute = minutes.get(m);
                long n = minute == null ? 0 : minute.arrivals;
                if (n >= UNUSUAL_FACTOR * usual && n - usual >= UNUSUAL_MIN_POINTS) {
                    spikes.add(m);
                } else if (usual >= UNUSUAL_MIN_POINTS && n * UNUSUAL_FACTOR <= usual) {
                    drops.add(m);
                }
            }
            NavigableMap<Long, Minute> inRange = Collections.unmodifiableNavigableMap(new TreeMap<>(minutes.tailMap(minuteOf(settings.fromMs()), true)));
            long rewritten = 0;
            long resent = 0;
            long backfilled = 0;
            long newSeries = 0;
            for (Minute m : inRange.values()) {
                rewritten += m.rewritten;
                resent += m.resent;
                backfilled += m.backfilled;
                newSeries += m.newSeries;
            }
            return new MetricChanges(metric, inRange, usual, List.copyOf(spikes), List.copyOf(drops), firstRewrite, arrivalsInRange,
                    rewritten, resent, backfilled, newSeries);
        }
    }

    /** The first minute that starts at or after {@code ms}. */
    private static long wholeMinuteFrom(long ms) {
        long m = minuteOf(ms);
        return m == ms ? m : m + MINUTE_MS;
    }

    private static double median(List<Long> counts) {
        if (counts.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(counts);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    private static boolean sameValue(SeriesPoints series, int a, int b) {
        if (series.histogram(a) != null || series.histogram(b) != null) {
            return Objects.equals(series.histogram(a), series.histogram(b));
        }
        return series.isFloatingPoint(a) == series.isFloatingPoint(b) && series.valueBits(a) == series.valueBits(b);
    }

    private static Object shown(SeriesPoints series, int i) {
        return series.histogram(i) != null ? "histogram" : series.value(i);
    }
}
