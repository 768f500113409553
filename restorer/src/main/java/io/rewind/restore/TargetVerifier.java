package io.rewind.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.storage.Storage;
import io.rewind.schema.PointKind;
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
 * their (timestamp, value) pairs. Series of the target the selection does
 * not hold are not compared; points the target holds in the range of a selected series that the
 * archive does not (for instance written after the incident at new timestamps) are a mismatch, since
 * a restore never deletes. Rollup and histogram points are not compared.
 */
public final class TargetVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TargetVerifier() {
    }

    /** One series that differs. */
    public record Mismatch(String metric, SortedMap<String, String> tags, long archivePoints, long targetPoints) {
        @Override
        public String toString() {
            return metric + tags + ": archive " + archivePoints + " points, target " + targetPoints
                    + (archivePoints == targetPoints ? " (timestamps or values differ)" : "");
        }
    }

    /** What the comparison found. */
    public record Report(long series, long points, List<Mismatch> mismatches) {
        public boolean equal() {
            return mismatches.isEmpty();
        }
    }

    private static final class Digest {
        long count;
        long sum;

        /**
         * OpenTSDB's query output does not keep integer and float apart in every case (a series mixing both
         * can come back as 3.0 for an integer 3), so values compare as numbers: a float with an integral
         * value counts as that integer.
         */
        void add(long timestampMs, boolean floating, long valueBits) {
            long canonical = valueBits;
            boolean asFloat = floating;
            if (floating) {
                double d = Double.longBitsToDouble(valueBits);
                if (d == Math.rint(d) && Math.abs(d) < 0x1p53 && !(d == 0 && 1 / d < 0)) {
                    canonical = (long) d;
                    asFloat = false;
                }
            }
            count++;
            sum += mix(timestampMs * 0x9E3779B97F4A7C15L + (asFloat ? 1 : 0)) ^ mix(canonical);
        }
    }

    private record SeriesName(String metric, SortedMap<String, String> tags) {
    }

    public static Report verify(Storage storage, Restore.Plan plan, Transforms transforms, URI target, Duration timeout)
            throws IOException, InterruptedException {
        Map<SeriesName, Digest> expected = new HashMap<>();
        SelectionReader reader = new SelectionReader(storage, plan.selection());
        long points = 0;
        for (ArchiveIndex.Unit unit : plan.units()) {
            reader.read(unit, series -> {
                if (series.id().kind() != PointKind.PUT) {
                    return;
                }
                OutputSeries out = OutputSeries.of(series, transforms);
                Digest digest = expected.computeIfAbsent(new SeriesName(out.metric(), out.tags()), k -> new Digest());
                for (int i = 0; i < out.size(); i++) {
                    digest.add(out.timestampMs(i), series.isFloatingPoint(i), series.valueBits(i));
                }
            });
        }
        Map<String, List<SeriesName>> byMetric = new TreeMap<>();
        expected.keySet().forEach(name -> byMetric.computeIfAbsent(name.metric(), m -> new ArrayList<>()).add(name));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        List<Mismatch> mismatches = new ArrayList<>();
        long start = plan.selection().fromMs() + transforms.shiftMs();
        long end = plan.selection().toMs() + transforms.shiftMs() - 1;
        for (Map.Entry<String, List<SeriesName>> metric : byMetric.entrySet()) {
            Map<SeriesName, Digest> actual = query(http, target, metric.getKey(), start, end, timeout);
            for (SeriesName name : metric.getValue()) {
                Digest want = expected.get(name);
                points += want.count;
                Digest got = actual.getOrDefault(name, new Digest());
                if (want.count != got.count || want.sum != got.sum) {
                    mismatches.add(new Mismatch(name.metric(), name.tags(), want.count, got.count));
                }
            }
        }
        return new Report(expected.size(), points, mismatches);
    }

    private static Map<SeriesName, Digest> query(HttpClient http, URI target, String metric, long startMs, long endMs,
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
        if (response.statusCode() != 200) {
            throw new IOException("querying " + metric + " on " + target + " for verification: HTTP " + response.statusCode() + " "
                    + text.substring(0, Math.min(300, text.length())));
        }
        Map<SeriesName, Digest> series = new HashMap<>();
        for (JsonNode node : JSON.readTree(response.body())) {
            SortedMap<String, String> tags = new TreeMap<>();
            node.path("tags").fields().forEachRemaining(tag -> tags.put(tag.getKey(), tag.getValue().asText()));
            Digest digest = series.computeIfAbsent(new SeriesName(node.path("metric").asText(), tags), k -> new Digest());
            node.path("dps").fields().forEachRemaining(point -> {
                JsonNode value = point.getValue();
                boolean floating = !value.isIntegralNumber();
                digest.add(Long.parseLong(point.getKey()), floating,
                        floating ? Double.doubleToRawLongBits(value.asDouble()) : value.asLong());
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
