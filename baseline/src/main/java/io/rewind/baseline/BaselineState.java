package io.rewind.baseline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A baseline shard's progress, kept in the archive itself beside its files (so that a rerun on any machine
 * continues it): where it reads from (cluster, table, snapshot), which key ranges are done, the files of the
 * ranges under way (deleted before such a range is read again, so that no point is written twice), its
 * counts, and once complete when it completed. Written whole after every flush and every finished range.
 */
public final class BaselineState {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key;
    final String name;
    final int shard;
    final int shards;
    String cluster;
    String table;
    String snapshot; // null when the live table is read
    long startedMs;
    long completedMs; // 0 until complete
    final List<KeyRange> done = new ArrayList<>();
    final Map<String, List<String>> underway = new LinkedHashMap<>();
    long points;
    long rows;
    long files;
    long duplicates;
    long conflicting;
    long skippedCells;
    long rejected;

    private BaselineState(String key, String name, int shard, int shards) {
        this.key = key;
        this.name = name;
        this.shard = shard;
        this.shards = shards;
    }

    static BaselineState fresh(String topic, String name, int shard, int shards) {
        return new BaselineState(ArchiveLayout.baselineState(topic, name, shard, shards), name, shard, shards);
    }

    /** The shard's state as an earlier run left it, if any. */
    static Optional<BaselineState> load(Storage storage, String topic, String name, int shard, int shards) throws IOException {
        BaselineState state = fresh(topic, name, shard, shards);
        try (InputStream in = storage.get(state.key)) {
            ObjectNode json = (ObjectNode) JSON.readTree(in);
            state.cluster = json.path("cluster").asText();
            state.table = json.path("table").asText();
            state.snapshot = json.hasNonNull("snapshot") ? json.get("snapshot").asText() : null;
            state.startedMs = json.path("startedMs").asLong();
            state.completedMs = json.path("completedMs").asLong();
            json.path("done").forEach(r -> state.done.add(KeyRange.of(r.get(0).asText(), r.get(1).asText())));
            json.path("underway").fields().forEachRemaining(e -> {
                List<String> keys = new ArrayList<>();
                e.getValue().forEach(k -> keys.add(k.asText()));
                state.underway.put(e.getKey(), keys);
            });
            ObjectNode counts = (ObjectNode) json.path("counts");
            state.points = counts.path("points").asLong();
            state.rows = counts.path("rows").asLong();
            state.files = counts.path("files").asLong();
            state.duplicates = counts.path("duplicates").asLong();
            state.conflicting = counts.path("conflicting").asLong();
            state.skippedCells = counts.path("skippedCells").asLong();
            state.rejected = counts.path("rejected").asLong();
            return Optional.of(state);
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    boolean complete() {
        return completedMs > 0;
    }

    synchronized void save(Storage storage) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("name", name).put("shard", shard).put("shards", shards).put("cluster", cluster).put("table", table);
        json.put("snapshot", snapshot).put("startedMs", startedMs).put("completedMs", completedMs);
        ArrayNode ranges = json.putArray("done");
        done.forEach(r -> ranges.addArray().add(r.startHex()).add(r.stopHex()));
        ObjectNode open = json.putObject("underway");
        underway.forEach((unit, keys) -> {
            ArrayNode list = open.putArray(unit);
            keys.forEach(list::add);
        });
        json.putObject("counts").put("points", points).put("rows", rows).put("files", files).put("duplicates", duplicates)
                .put("conflicting", conflicting).put("skippedCells", skippedCells).put("rejected", rejected);
        storage.put(key, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }
}
