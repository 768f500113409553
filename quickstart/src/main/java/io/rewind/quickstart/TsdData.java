package io.rewind.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import io.rewind.devstack.TsdClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What a TSD answers to {@code /api/query} for some metrics over a time range, every series
 * unaggregated: series to timestamp (ms) to value as the TSD writes it in JSON, so an integer and a
 * float that happen to be equal still differ.
 */
record TsdData(Map<Series, Map<Long, JsonNode>> series) {

    /** A series: its metric and tags, printed {@code metric{k=v, ...}}. */
    record Series(String metric, Map<String, String> tags) implements Comparable<Series> {
        Series {
            tags = java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
        }

        @Override
        public int compareTo(Series other) {
            return toString().compareTo(other.toString());
        }

        @Override
        public String toString() {
            return metric + tags;
        }
    }

    static TsdData query(TsdClient tsd, List<String> metrics, long fromMs, long toMs) {
        Map<Series, Map<Long, JsonNode>> all = new TreeMap<>();
        for (String metric : metrics) {
            for (TsdClient.Series s : tsd.query(metric, fromMs, toMs)) {
                all.put(new Series(s.metric(), s.tags()), new TreeMap<>(s.points()));
            }
        }
        return new TsdData(all);
    }

    /**
     * Queries until the TSD shows {@code points} points: a TSD answers a put before HBase has it, so
     * a query right after the last write may miss the last few milliseconds of them.
     */
    static TsdData await(TsdClient tsd, List<String> metrics, long fromMs, long toMs, long points, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            TsdData data = query(tsd, metrics, fromMs, toMs);
            if (data.points() >= points || System.nanoTime() > deadline) {
                return data;
            }
            Thread.sleep(100); // polling the TSD until its storage shows the writes
        }
    }

    long points() {
        return series.values().stream().mapToLong(Map::size).sum();
    }

    /** The same data with each series renamed and each timestamp moved, to compare with a transformed restore. */
    TsdData map(Function<Series, Series> rename, long shiftMs) {
        Map<Series, Map<Long, JsonNode>> out = new TreeMap<>();
        series.forEach((name, points) -> {
            Map<Long, JsonNode> shifted = new TreeMap<>();
            points.forEach((ts, value) -> shifted.put(ts + shiftMs, value));
            out.put(rename.apply(name), shifted);
        });
        return new TsdData(out);
    }

    /** This data with {@code newer}'s points written over it: what a TSD holds after both writes. */
    TsdData overlay(TsdData newer) {
        Map<Series, Map<Long, JsonNode>> out = new TreeMap<>();
        series.forEach((name, points) -> out.put(name, new TreeMap<>(points)));
        newer.series.forEach((name, points) -> out.computeIfAbsent(name, n -> new TreeMap<>()).putAll(points));
        return new TsdData(out);
    }

    /** Only the series whose name the filter accepts. */
    TsdData filter(Predicate<Series> keep) {
        Map<Series, Map<Long, JsonNode>> out = new TreeMap<>();
        series.forEach((name, points) -> {
            if (keep.test(name)) {
                out.put(name, points);
            }
        });
        return new TsdData(out);
    }

    /** How many of these points {@code later} holds with another value. */
    long changedIn(TsdData later) {
        long changed = 0;
        for (Map.Entry<Series, Map<Long, JsonNode>> s : series.entrySet()) {
            Map<Long, JsonNode> now = later.series.getOrDefault(s.getKey(), Map.of());
            for (Map.Entry<Long, JsonNode> point : s.getValue().entrySet()) {
                JsonNode value = now.get(point.getKey());
                if (value != null && !value.equals(point.getValue())) {
                    changed++;
                }
            }
        }
        return changed;
    }

    /** Where the two differ, point by point: empty when equal. */
    List<String> differences(TsdData other) {
        List<String> out = new ArrayList<>();
        TreeSet<Series> names = new TreeSet<>(series.keySet());
        names.addAll(other.series.keySet());
        for (Series name : names) {
            Map<Long, JsonNode> mine = series.getOrDefault(name, Map.of());
            Map<Long, JsonNode> theirs = other.series.getOrDefault(name, Map.of());
            TreeSet<Long> times = new TreeSet<>(mine.keySet());
            times.addAll(theirs.keySet());
            for (Long ts : times) {
                JsonNode a = mine.get(ts);
                JsonNode b = theirs.get(ts);
                if (a == null || !a.equals(b)) {
                    out.add(name + " @" + ts + ": " + a + " vs " + b);
                }
            }
        }
        return out;
    }
}
