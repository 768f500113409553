package io.rewind.baseline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.service.TimeArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a baseline was asked to read: the cluster (HBase's cluster id), the data table, the time range as given and as
 * resolved, and the metrics (none: all). Kept in each shard's state, so that a rerun continues only what it asks again.
 * A time given the same way ({@code -30d}) is the same request even though it resolves to another instant now.
 */
public record BaselineRequest(String clusterId, String table, String from, long fromMs, String to, long toMs, List<String> metrics) {
    public BaselineRequest {
        metrics = List.copyOf(new TreeSet<>(metrics));
    }

    /** This request, made of the cluster with this id. */
    public BaselineRequest onCluster(String id) {
        return new BaselineRequest(id, table, from, fromMs, to, toMs, metrics);
    }

    /**
     * How this request differs from an earlier one, each difference named as on the command line with what this run asks;
     * empty when it is the same. A null cluster id (a run that does not reach HBase) is not compared.
     */
    List<String> differences(BaselineRequest earlier) {
        List<String> differs = new ArrayList<>();
        if (clusterId != null && !Objects.equals(clusterId, earlier.clusterId)) {
            differs.add("the cluster with HBase cluster id " + earlier.clusterId + " (this run: " + clusterId + ")");
        }
        if (!table.equals(earlier.table)) {
            differs.add("the data table " + earlier.table + " (this run: " + table + ")");
        }
        if (fromMs != earlier.fromMs && !from.equals(earlier.from)) {
            differs.add("--from " + TimeArgs.format(earlier.fromMs) + " (this run: " + TimeArgs.format(fromMs) + ")");
        }
        if (toMs != earlier.toMs && !Objects.equals(to, earlier.to)) {
            differs.add("--to " + time(earlier.toMs) + " (this run: " + time(toMs) + ")");
        }
        if (!metrics.equals(earlier.metrics)) {
            differs.add(metrics(earlier.metrics) + " (this run: " + metrics(metrics) + ")");
        }
        return differs;
    }

    void writeTo(ObjectNode json) {
        json.put("clusterId", clusterId).put("table", table).put("from", from).put("fromMs", fromMs).put("to", to).put("toMs", toMs);
        metrics.forEach(json.putArray("metrics")::add);
    }

    /** The request an object written by {@link #writeTo} holds; null for none (a state written before requests were kept). */
    static BaselineRequest readFrom(JsonNode json) {
        if (json == null || !json.isObject()) {
            return null;
        }
        List<String> metrics = new ArrayList<>();
        json.path("metrics").forEach(m -> metrics.add(m.asText()));
        return new BaselineRequest(json.hasNonNull("clusterId") ? json.get("clusterId").asText() : null, json.path("table").asText(),
                json.path("from").asText(), json.path("fromMs").asLong(), json.hasNonNull("to") ? json.get("to").asText() : null,
                json.path("toMs").asLong(), metrics);
    }

    private static String time(long ms) {
        return ms == Long.MAX_VALUE ? "(no end)" : TimeArgs.format(ms);
    }

    private static String metrics(List<String> metrics) {
        return metrics.isEmpty() ? "every metric" : "--metric " + String.join(" --metric ", metrics);
    }
}
