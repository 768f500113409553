package io.rewind.restore.serve;

import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.schema.PointKind;
import io.rewind.schema.SeriesKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The names the archive holds: every metric, tag key and tag value of its plain points, and each metric's series, as
 * OpenTSDB's UID tables and its lookup answer them. Read from every live file of the topic; rebuilt when older than its
 * time to live.
 */
final class SeriesCatalog {
    private final TreeSet<String> metrics = new TreeSet<>();
    private final TreeSet<String> tagKeys = new TreeSet<>();
    private final TreeSet<String> tagValues = new TreeSet<>();
    private final TreeMap<String, TreeSet<SeriesKey>> seriesByMetric = new TreeMap<>();

    static SeriesCatalog read(Storage storage, String topic) throws IOException {
        SeriesCatalog catalog = new SeriesCatalog();
        List<String> unreadable = new ArrayList<>();
        for (ArchiveIndex.Unit unit : ArchiveIndex.scanAll(storage, Optional.of(topic), unreadable).units()) {
            for (ArchiveIndex.StoredFile file : unit.live()) {
                try (SegmentReader reader = SegmentFiles.open(storage, file.key(), id -> {
                    if (id.kind() == PointKind.PUT) {
                        catalog.add(id.key());
                    }
                    return false;
                })) {
                    reader.hasNext(); // reads every block: the filter sees each series, none is kept
                }
            }
        }
        if (!unreadable.isEmpty()) {
            throw new IOException("cannot read " + String.join("; ", unreadable));
        }
        return catalog;
    }

    private void add(SeriesKey key) {
        String metric = key.metric();
        if (seriesByMetric.computeIfAbsent(metric, m -> new TreeSet<>()).add(key)) {
            metrics.add(metric);
            key.tags().forEach((k, v) -> {
                tagKeys.add(k);
                tagValues.add(v);
            });
        }
    }

    boolean hasMetric(String metric) {
        return metrics.contains(metric);
    }

    boolean hasTagKey(String key) {
        return tagKeys.contains(key);
    }

    boolean hasTagValue(String value) {
        return tagValues.contains(value);
    }

    /** The names of a kind ({@code metrics}, {@code tagk}, {@code tagv}) starting with the prefix, sorted, at most {@code max}. */
    List<String> suggest(String type, String prefix, int max) {
        TreeSet<String> names = switch (type) {
            case "metrics" -> metrics;
            case "tagk" -> tagKeys;
            case "tagv" -> tagValues;
            default -> throw new IllegalArgumentException("Invalid 'type' parameter:" + type);
        };
        List<String> out = new ArrayList<>();
        for (String name : names.tailSet(prefix, true)) {
            if (!name.startsWith(prefix) || out.size() >= max) {
                break;
            }
            out.add(name);
        }
        return out;
    }

    /** Every series of every metric, or of one. */
    SortedMap<String, TreeSet<SeriesKey>> series() {
        return seriesByMetric;
    }
}
