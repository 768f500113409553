package io.rewind.baseline;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentWriter;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The points of one range of work read since its last flush, per hour window and series, and their flush:
 * one baseline file per window, series in order, each published with its checksum sidecar.
 */
final class WindowBuffers {

    private final TreeMap<Long, Map<SeriesId, SeriesPoints>> windows = new TreeMap<>();
    private long points;
    private long lastWindow = Long.MIN_VALUE;
    private SeriesId lastSeries;
    private SeriesPoints last;

    void add(SeriesId series, long timestampMs, boolean milliseconds, boolean floatingPoint, long valueBits, long ingestTimeMs) {
        long window = Math.floorDiv(timestampMs, ArchiveLayout.HOUR_MS) * ArchiveLayout.HOUR_MS;
        if (window != lastWindow || series != lastSeries) {
            last = windows.computeIfAbsent(window, w -> new HashMap<>()).computeIfAbsent(series, s -> new SeriesPoints(s, 512)); // an hour of 10 s points fits
            lastWindow = window;
            lastSeries = series;
        }
        last.add(timestampMs, milliseconds, floatingPoint, valueBits, ingestTimeMs, null);
        points++;
    }

    long points() {
        return points;
    }

    /**
     * Writes what is buffered as files named by the range and the chunk, and empties the buffers; returns the keys. The keys
     * are recorded in the shard's state as the range's files before the first is published, so that files a flush failing
     * midway (or a killed process) leaves are ones a rerun finds and deletes before it reads the range again.
     */
    List<String> flush(Storage storage, Path scratch, BaselineState state, String range, int chunk, Map<String, String> source)
            throws IOException {
        List<String> keys = new ArrayList<>();
        for (long window : windows.keySet()) {
            keys.add(ArchiveLayout.baseline(state.topic, window, state.name, range, chunk));
        }
        state.recordUnderway(storage, range, keys);
        int i = 0;
        for (Map.Entry<Long, Map<SeriesId, SeriesPoints>> window : windows.entrySet()) {
            String key = keys.get(i++);
            Path file = scratch.resolve(key.replace('/', '_'));
            try (SegmentWriter writer = new SegmentWriter(file, SegmentMetadata.baseline(state.topic, window.getKey(),
                    window.getKey() + ArchiveLayout.HOUR_MS, source))) {
                List<SeriesPoints> series = new ArrayList<>(window.getValue().values());
                series.sort((a, b) -> a.id().compareTo(b.id()));
                for (SeriesPoints s : series) {
                    writer.write(s.sorted());
                }
                SegmentFiles.publish(storage, key, writer.finish());
            } finally {
                Files.deleteIfExists(file);
            }
        }
        clear();
        return keys;
    }

    void clear() {
        windows.clear();
        points = 0;
        lastWindow = Long.MIN_VALUE;
        lastSeries = null;
        last = null;
    }
}
