package io.rewind.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A gap: points a tap forwarded to OpenTSDB without getting them into Kafka (the spool full with
 * {@code spool.full.policy=pass-through}, the tap stopped with points it could not keep, a point Kafka refuses for good).
 * One gap covers one hour of the points' timestamps and the metrics they belong to, or every metric of the hour once a
 * tap saw more than its bound of them. The tap keeps it in its spool directory, publishes it to the gaps topic once Kafka
 * is back, the archiver keeps it in the archive, and {@code rewind heal} reads exactly those metrics and that hour back
 * from the cluster's HBase tables. A gap is never changed: more points missed later are another gap, with the next
 * {@code seq} of that tap.
 *
 * @param tap the tap's {@code tap.id}
 * @param instance the spool directory's own id, so that two taps given the same {@code tap.id} never name a gap alike
 * @param seq this spool directory's count of gaps
 * @param reasons points by reason: {@code spool-full}, {@code stopped}, {@code refused-by-kafka}, {@code not-encodable},
 *     {@code spool-failed}
 * @param kinds the kinds of the points: heal reads plain points (puts) back from HBase, not rollups or histograms
 */
public record Gap(String tap, String instance, long seq, long hourStartMs, boolean allMetrics, List<String> metrics, long points,
        long firstMissedMs, long lastMissedMs, Map<String, Long> reasons, List<PointKind> kinds) {
    public static final long HOUR_MS = 3_600_000L;
    /** What a tap's id and a spool directory's id may hold: they name the gap's object in every storage. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    public Gap {
        metrics = List.copyOf(new TreeSet<>(metrics));
        reasons = Map.copyOf(new TreeMap<>(reasons));
        kinds = List.copyOf(new TreeSet<>(kinds));
        if (tap.isEmpty() || tap.length() > 64 || !NAME.matcher(instance).matches()) {
            throw new IllegalArgumentException("a gap names its tap (up to 64 characters) and its spool directory ([A-Za-z0-9._-]{1,64}),"
                    + " not '" + tap + "', '" + instance + "'");
        }
        if (seq < 0 || points < 0) {
            throw new IllegalArgumentException("a gap's number and points are not negative");
        }
        if (hourStartMs % HOUR_MS != 0) {
            throw new IllegalArgumentException("a gap starts on an hour, not at " + hourStartMs);
        }
        if (!allMetrics && metrics.isEmpty()) {
            throw new IllegalArgumentException("a gap names its metrics or covers them all");
        }
    }

    /** The start of the hour that holds this timestamp (milliseconds since the epoch, UTC). */
    public static long hourOf(long timestampMs) {
        return Math.floorDiv(timestampMs, HOUR_MS) * HOUR_MS;
    }

    /** Whether every point of the gap is a plain point (a put), which heal can read back from the cluster's data table. */
    public boolean healable() {
        return kinds.stream().allMatch(k -> k == PointKind.PUT);
    }

    /** The gap's name, unique over every tap: its tap, its spool directory and its number, in the characters a key may hold. */
    public String id() {
        return String.format("%s-%s-%012d", tap.replaceAll("[^A-Za-z0-9._-]", "_"), instance, seq);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(toJsonNode());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The gap as a JSON object: what {@link #toJson} writes. */
    public ObjectNode toJsonNode() {
        ObjectNode json = JSON.createObjectNode();
        json.put("tap", tap).put("instance", instance).put("seq", seq).put("hour", Instant.ofEpochMilli(hourStartMs).toString())
                .put("hourStartMs", hourStartMs).put("allMetrics", allMetrics);
        metrics.forEach(json.putArray("metrics")::add);
        json.put("points", points).put("firstMissedMs", firstMissedMs).put("lastMissedMs", lastMissedMs);
        ObjectNode byReason = json.putObject("reasons");
        reasons.forEach(byReason::put);
        com.fasterxml.jackson.databind.node.ArrayNode kindNames = json.putArray("kinds");
        kinds.forEach(k -> kindNames.add(k.name()));
        return json;
    }

    /** Reads what {@link #toJson} wrote; anything else is an {@link IllegalArgumentException} saying what is wrong. */
    public static Gap fromJson(byte[] bytes) {
        JsonNode json;
        try {
            json = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a gap: not JSON (" + e.getMessage() + ")");
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("not a gap: " + new String(bytes, StandardCharsets.UTF_8));
        }
        return fromJsonNode(json);
    }

    /** Reads what {@link #toJsonNode} gives; anything else is an {@link IllegalArgumentException} saying what is wrong. */
    public static Gap fromJsonNode(JsonNode json) {
        for (String field : List.of("tap", "instance", "seq", "hourStartMs", "allMetrics", "metrics", "points", "firstMissedMs",
                "lastMissedMs", "reasons", "kinds")) {
            if (!json.hasNonNull(field)) {
                throw new IllegalArgumentException("not a gap: no '" + field + "' in " + json);
            }
        }
        List<String> metrics = new ArrayList<>();
        json.get("metrics").forEach(m -> metrics.add(m.asText()));
        Map<String, Long> reasons = new TreeMap<>();
        json.get("reasons").fields().forEachRemaining(e -> reasons.put(e.getKey(), e.getValue().asLong()));
        List<PointKind> kinds = new ArrayList<>();
        for (JsonNode kind : json.get("kinds")) {
            try {
                kinds.add(PointKind.valueOf(kind.asText()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a gap: no point kind " + kind);
            }
        }
        return new Gap(json.get("tap").asText(), json.get("instance").asText(), json.get("seq").asLong(), json.get("hourStartMs").asLong(),
                json.get("allMetrics").asBoolean(), metrics, json.get("points").asLong(), json.get("firstMissedMs").asLong(),
                json.get("lastMissedMs").asLong(), reasons, kinds);
    }
}
