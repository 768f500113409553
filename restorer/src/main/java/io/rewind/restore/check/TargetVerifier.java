package io.rewind.restore.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.plan.OutputSeries;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.SelectionReader;
import io.rewind.restore.targets.HttpTarget;
import io.rewind.schema.PointKind;
import io.rewind.service.TimeArgs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code restore --verify}: reads the selection from the archive again, queries the target for every
 * metric of it ({@code /api/query} with the {@code none} aggregator, which returns every series
 * unaggregated, millisecond timestamps) and compares, per series, the number of points and a digest of
 * their (timestamp, value) pairs; the series that differ are read again and their differences named (a changed value,
 * a point missing from the target, an extra one). Series of the target the selection does
 * not hold are not compared; points the target holds in the range of a selected series that the
 * archive does not (for instance written after the incident at new timestamps) are a mismatch, since
 * a restore never deletes. Rollup and histogram points are not compared.
 */
public final class TargetVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TargetVerifier() {
    }

    /**
     * One series that differs, with its first differences: a changed value, a point missing from the target, an extra one;
     * or, with {@code targetPoints} -1, one the target could not read, and why.
     */
    public record Mismatch(String metric, SortedMap<String, String> tags, long archivePoints, long targetPoints, long changed,
            long missing, long extra, List<String> differences) {
        @Override
        public String toString() {
            if (targetPoints < 0) {
                return metric + tags + ": archive " + archivePoints + " points; " + String.join("; ", differences);
            }
            StringBuilder text = new StringBuilder(metric + tags + ": archive " + archivePoints + " points, target " + targetPoints
                    + " (" + changed + " changed, " + missing + " missing, " + extra + " extra)");
            differences.forEach(d -> text.append("; ").append(d));
            return text.toString();
        }
    }

    /** What the comparison found. */
    public record Report(long series, long points, List<Mismatch> mismatches) {
        public boolean equal() {
            return mismatches.isEmpty();
        }
    }

    /** Differences named per series; the counts cover them all. */
    private static final int DIFFERENCES_SHOWN = 5;

    /**
     * A value as compared. OpenTSDB's query output does not keep integer and float apart in every case (a series mixing
     * both can come back as 3.0 for an integer 3), so values compare as numbers: a float with an integral value counts as
     * that integer.
     */
    private record Value(boolean floating, long bits) {
        static Value of(boolean floating, long valueBits) {
            if (floating) {
                double d = Double.longBitsToDouble(valueBits);
                if (d == Math.rint(d) && Math.abs(d) < 0x1p53 && !(d == 0 && 1 / d < 0)) {
                    return new Value(false, (long) d);
                }
            }
            return new Value(floating, valueBits);
        }

        @Override
        public String toString() {
            return floating ? Double.toString(Double.longBitsToDouble(bits)) : Long.toString(bits);
        }
    }

    private static final class Digest {
        long count;
        long sum;

        void add(long timestampMs, Value value) {
            count++;
            sum += mix(timestampMs * 0x9E3779B97F4A7C15L + (value.floating() ? 1 : 0)) ^ mix(value.bits());
        }
    }

    private record SeriesName(String metric, SortedMap<String, String> tags) {
    }

    public static Report verify(Storage storage, RestorePlan plan, Transforms transforms, URI target, Duration timeout)
            throws IOException, InterruptedException {
        return verify(storage, plan, transforms, target, timeout, HttpTarget.httpClient());
    }

    /** {@link #verify(Storage, RestorePlan, Transforms, URI, Duration)} with this client. */
    public static Report verify(Storage storage, RestorePlan plan, Transforms transforms, URI target, Duration timeout,
            HttpClient http) throws IOException, InterruptedException {
        Map<SeriesName, Digest> expected = new HashMap<>();
        read(storage, plan, transforms, (name, timestampMs, value) -> expected.computeIfAbsent(name, k -> new Digest()).add(timestampMs, value));
        Map<String, List<SeriesName>> byMetric = new TreeMap<>();
        expected.keySet().forEach(name -> byMetric.computeIfAbsent(name.metric(), m -> new ArrayList<>()).add(name));
        Map<SeriesName, SortedMap<Long, Value>> differing = new HashMap<>();
        long points = 0;
        long start = plan.selection().fromMs() + transforms.shiftMs();
        long end = plan.selection().toMs() + transforms.shiftMs() - 1;
        List<Mismatch> unreadable = new ArrayList<>();
        for (Map.Entry<String, List<SeriesName>> metric : byMetric.entrySet()) {
            Map<SeriesName, SortedMap<Long, Value>> actual;
            try {
                actual = query(http, target, metric.getKey(), start, end, timeout);
            } catch (UnreadableMetric e) {
                for (SeriesName name : metric.getValue()) {
                    points += expected.get(name).count;
                    unreadable.add(new Mismatch(name.metric(), name.tags(), expected.get(name).count, -1, 0, 0, 0, List.of(e.getMessage())));
                }
                continue;
            }
            for (SeriesName name : metric.getValue()) {
                Digest want = expected.get(name);
                points += want.count;
                SortedMap<Long, Value> held = actual.getOrDefault(name, new TreeMap<>());
                Digest got = new Digest();
                held.forEach(got::add);
                if (want.count != got.count || want.sum != got.sum) {
                    differing.put(name, held);
                }
            }
        }
        List<Mismatch> mismatches = new ArrayList<>(unreadable);
        if (!differing.isEmpty()) {
            mismatches.addAll(explain(storage, plan, transforms, differing));
        }
        mismatches.sort(java.util.Comparator.comparing(m -> m.metric() + m.tags()));
        return new Report(expected.size(), points, mismatches);
    }

    /** The target refuses to read a metric in the range, in its own words. */
    private static final class UnreadableMetric extends IOException {
        UnreadableMetric(String message) {
            super(message);
        }
    }

    /** Reads the archive again for the series that differ, and names their differences. */
    private static List<Mismatch> explain(Storage storage, RestorePlan plan, Transforms transforms,
            Map<SeriesName, SortedMap<Long, Value>> differing) throws IOException, InterruptedException {
        Map<SeriesName, SortedMap<Long, Value>> archived = new HashMap<>();
        read(storage, plan, transforms, (name, timestampMs, value) -> {
            if (differing.containsKey(name)) {
                archived.computeIfAbsent(name, k -> new TreeMap<>()).put(timestampMs, value);
            }
        });
        List<Mismatch> mismatches = new ArrayList<>();
        differing.forEach((name, held) -> {
            SortedMap<Long, Value> want = archived.getOrDefault(name, new TreeMap<>());
            List<String> differences = new ArrayList<>();
            long changed = 0;
            long missing = 0;
            long extra = 0;
            java.util.SortedSet<Long> timestamps = new java.util.TreeSet<>(want.keySet());
            timestamps.addAll(held.keySet());
            for (long t : timestamps) {
                Value a = want.get(t);
                Value b = held.get(t);
                String difference = null;
                if (b == null) {
                    missing++;
                    difference = TimeArgs.format(t) + " missing in the target (archive " + a + ")";
                } else if (a == null) {
                    extra++;
                    difference = TimeArgs.format(t) + " extra in the target (" + b + ")";
                } else if (!a.equals(b)) {
                    changed++;
                    difference = TimeArgs.format(t) + " changed: archive " + a + ", target " + b;
                }
                if (difference != null && differences.size() < DIFFERENCES_SHOWN) {
                    differences.add(difference);
                }
            }
            mismatches.add(new Mismatch(name.metric(), name.tags(), want.size(), held.size(), changed, missing, extra, differences));
        });
        return mismatches;
    }

    private interface PointConsumer {
        void accept(SeriesName name, long timestampMs, Value value);
    }

    /** The plan's points as the target should hold them: transformed, rollups and histograms left out. */
    private static void read(Storage storage, RestorePlan plan, Transforms transforms, PointConsumer consumer)
            throws IOException, InterruptedException {
        SelectionReader reader = new SelectionReader(storage, plan.selection());
        for (ArchiveIndex.Unit unit : plan.units()) {
            reader.read(unit, series -> {
                if (series.id().kind() != PointKind.PUT) {
                    return;
                }
                OutputSeries out = OutputSeries.of(series, transforms);
                SeriesName name = new SeriesName(out.metric(), out.tags());
                for (int i = 0; i < out.size(); i++) {
                    consumer.accept(name, out.timestampMs(i), Value.of(series.isFloatingPoint(i), series.valueBits(i)));
                }
            });
        }
    }

    private static Map<SeriesName, SortedMap<Long, Value>> query(HttpClient http, URI target, String metric, long startMs, long endMs,
            Duration timeout) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("start", startMs).put("end", endMs).put("msResolution", true);
        body.putArray("queries").addObject().put("aggregator", "none").put("metric", metric);
        HttpRequest request = HttpRequest.newBuilder(target.resolve("/api/query")).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        String text = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        if (response.statusCode() == 400 && text.contains("No such name for 'metrics'")) {
            return Map.of();
        }
        if (response.statusCode() == 400 && text.contains("Duplicate timestamp")) {
            String message = JSON.readTree(response.body()).path("error").path("message").asText(text);
            throw new UnreadableMetric("the target cannot read " + metric + " in the range: \"" + message + "\" (writes over HTTP add"
                    + " cells beside a compacted row's; restore --storage-config rewrites the rows, or tsd.storage.fix_duplicates"
                    + " lets queries keep the latest)");
        }
        if (response.statusCode() != 200) {
            throw new IOException("querying " + metric + " on " + target + " for verification: HTTP " + response.statusCode() + " "
                    + text.substring(0, Math.min(300, text.length())));
        }
        Map<SeriesName, SortedMap<Long, Value>> series = new HashMap<>();
        for (JsonNode node : JSON.readTree(response.body())) {
            SortedMap<String, String> tags = new TreeMap<>();
            node.path("tags").fields().forEachRemaining(tag -> tags.put(tag.getKey(), tag.getValue().asText()));
            SortedMap<Long, Value> points = series.computeIfAbsent(new SeriesName(node.path("metric").asText(), tags), k -> new TreeMap<>());
            node.path("dps").fields().forEachRemaining(point -> {
                JsonNode value = point.getValue();
                boolean floating = !value.isIntegralNumber();
                points.put(Long.parseLong(point.getKey()),
                        Value.of(floating, floating ? Double.doubleToRawLongBits(value.asDouble()) : value.asLong()));
            });
        }
        return series;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9a53L;
        return z ^ (z >>> 33);
    }
}
