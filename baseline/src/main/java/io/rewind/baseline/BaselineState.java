package io.rewind.baseline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.Shard;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.hbase.KeyRange;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A baseline shard's progress, kept in the archive itself beside its files (so that a rerun on any machine
 * continues it): what it was asked ({@link BaselineRequest}) and the row keys that makes, where it reads from (cluster,
 * table, snapshot), which key ranges are done, the files of the
 * ranges under way (deleted before such a range is read again, so that no point is written twice), its
 * counts, and once complete when it completed. Written whole after every flush and every finished range.
 */
public final class BaselineState {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String key;
    final String topic;
    final String name;
    final int shard;
    final int shards;
    String cluster;
    BaselineRequest request; // null in a state written before requests were kept: unknown
    List<KeyRange> wanted; // every shard's row keys the request makes; null when unknown
    private boolean stored;
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

    private BaselineState(String key, String topic, String name, int shard, int shards) {
        this.key = key;
        this.topic = topic;
        this.name = name;
        this.shard = shard;
        this.shards = shards;
    }

    static BaselineState fresh(String topic, String name, int shard, int shards) {
        return new BaselineState(ArchiveLayout.baselineState(topic, name, shard, shards), topic, name, shard, shards);
    }

    /** The shard's state as an earlier run left it, or a fresh one. */
    public static BaselineState loadOrFresh(Storage storage, String topic, String name, Shard shard) throws IOException {
        return load(storage, topic, name, shard.index(), shard.count())
                .orElseGet(() -> fresh(topic, name, shard.index(), shard.count()));
    }

    /** The shard's state as an earlier run left it, if any. */
    static Optional<BaselineState> load(Storage storage, String topic, String name, int shard, int shards) throws IOException {
        BaselineState state = fresh(topic, name, shard, shards);
        try (InputStream in = storage.get(state.key)) {
            ObjectNode json = (ObjectNode) JSON.readTree(in);
            state.stored = true;
            state.cluster = json.path("cluster").asText();
            state.request = BaselineRequest.readFrom(json.get("request"));
            if (json.has("wanted")) {
                state.wanted = ranges(json.get("wanted"));
            }
            state.table = json.path("table").asText();
            state.snapshot = json.hasNonNull("snapshot") ? json.get("snapshot").asText() : null;
            state.startedMs = json.path("startedMs").asLong();
            state.completedMs = json.path("completedMs").asLong();
            state.done.addAll(ranges(json.path("done")));
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

    /**
     * Binds the state to what this run asks: a new state takes it; one an earlier run left must have been asked the same,
     * or this run is refused naming what differs. Returns the request to read: the earlier one when there is one (its
     * times as the first run resolved them).
     */
    public BaselineRequest bind(BaselineRequest asked) {
        String which = "Baseline '" + name + "' (shard " + shard + " of " + shards + ")";
        if (stored && request == null) {
            throw new IllegalArgumentException(which + " has a state that does not record the time range, metrics and cluster it"
                    + " was asked to read (an earlier version of Rewind wrote it), so this run cannot tell whether it asks the same:"
                    + " name a new baseline with --name (the files of '" + name + "' stay in the archive and restore as before)");
        }
        if (request != null) {
            List<String> differs = asked.differences(request);
            if (!differs.isEmpty()) {
                throw new IllegalArgumentException(which + " was asked for " + String.join(", ", differs) + ": pass the same"
                        + " arguments to continue it, or name a new baseline with --name");
            }
            return request;
        }
        request = asked;
        return asked;
    }

    /** Records files of a key range under way, before they are published. */
    synchronized void recordUnderway(Storage storage, String range, List<String> keys) throws IOException {
        underway.computeIfAbsent(range, u -> new ArrayList<>()).addAll(keys);
        save(storage);
    }

    /** Deletes the files a key range under way has published so far, before it is read again from its start. */
    void abandon(Storage storage, String range) throws IOException {
        List<String> keys;
        synchronized (this) {
            keys = new ArrayList<>(underway.getOrDefault(range, List.of()));
        }
        for (String file : keys) {
            SegmentFiles.delete(storage, file);
        }
        synchronized (this) {
            underway.put(range, new ArrayList<>());
            save(storage);
        }
    }

    /**
     * Deletes the files of every range an earlier run left under way: its ranges are read again from their start, and
     * one whose regions changed since (a split, a new snapshot) is read as other ranges, which would never delete them.
     */
    synchronized void abandonUnderway(Storage storage) throws IOException {
        for (List<String> keys : underway.values()) {
            for (String file : keys) {
                SegmentFiles.delete(storage, file);
            }
        }
        underway.clear();
        save(storage);
    }

    /** The wanted keys of every shard, for this run's request (the coverage report compares the shards with them). */
    public void want(List<KeyRange> keys) {
        this.wanted = keys;
    }

    public String name() {
        return name;
    }

    public List<KeyRange> done() {
        return List.copyOf(done);
    }

    public String table() {
        return table;
    }

    public long completedMs() {
        return completedMs;
    }

    public long points() {
        return points;
    }

    public long rows() {
        return rows;
    }

    public long files() {
        return files;
    }

    public long duplicates() {
        return duplicates;
    }

    public long conflicting() {
        return conflicting;
    }

    /** Cells without plain points: annotations, histograms, others. */
    public long skippedCells() {
        return skippedCells;
    }

    /** Rows and cells the codec could not read. */
    public long rejected() {
        return rejected;
    }

    public boolean complete() {
        return completedMs > 0;
    }

    synchronized void save(Storage storage) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("name", name).put("shard", shard).put("shards", shards).put("cluster", cluster).put("table", table);
        json.put("snapshot", snapshot).put("startedMs", startedMs).put("completedMs", completedMs);
        if (request != null) {
            request.writeTo(json.putObject("request"));
        }
        if (wanted != null) {
            write(wanted, json.putArray("wanted"));
        }
        write(done, json.putArray("done"));
        ObjectNode open = json.putObject("underway");
        underway.forEach((range, keys) -> {
            ArrayNode list = open.putArray(range);
            keys.forEach(list::add);
        });
        json.putObject("counts").put("points", points).put("rows", rows).put("files", files).put("duplicates", duplicates)
                .put("conflicting", conflicting).put("skippedCells", skippedCells).put("rejected", rejected);
        storage.put(key, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }

    private static List<KeyRange> ranges(JsonNode json) {
        List<KeyRange> ranges = new ArrayList<>();
        json.forEach(r -> ranges.add(KeyRange.of(r.get(0).asText(), r.get(1).asText())));
        return ranges;
    }

    private static void write(List<KeyRange> ranges, ArrayNode json) {
        ranges.forEach(r -> json.addArray().add(r.startHex()).add(r.stopHex()));
    }
}
