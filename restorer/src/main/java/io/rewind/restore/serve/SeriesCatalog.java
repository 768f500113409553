package io.rewind.restore.serve;

import io.rewind.archive.segment.SegmentCorruptException;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.Supersession;
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
 * OpenTSDB's UID tables and its lookup answer them. Read from every live file of the topic, each file once: a name stays
 * once its files are gone (compaction, retention), as a UID stays in OpenTSDB.
 */
final class SeriesCatalog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SeriesCatalog.class);
    private final TreeSet<String> metrics = new TreeSet<>();
    private final TreeSet<String> tagKeys = new TreeSet<>();
    private final TreeSet<String> tagValues = new TreeSet<>();
    private final TreeMap<String, TreeSet<SeriesKey>> seriesByMetric = new TreeMap<>();

    private final java.util.Set<String> filesRead = new java.util.HashSet<>();

    /**
     * Reads the series names of every live file not read yet (one caller at a time). A file that cannot be read now (its
     * sidecar not written yet, a checksum that does not match) is skipped, said, and tried again at the next reading; a
     * file whose publication did not finish, all of whose points checked files hold, is not read, as a restore does not.
     */
    void addNewFiles(Storage storage, String topic, ArchiveIndex.Headers headers) throws IOException {
        List<String> unreadable = new ArrayList<>();
        for (ArchiveIndex.Unit unit : ArchiveIndex.scanAll(storage, Optional.of(topic), unreadable, headers).units()) {
            List<ArchiveIndex.StoredFile> live = new ArrayList<>(unit.live());
            live.removeAll(Supersession.coveredUnpublished(unit.files(), ArchiveIndex.StoredFile::key, ArchiveIndex.StoredFile::hasSidecar,
                    ArchiveIndex.StoredFile::header));
            for (ArchiveIndex.StoredFile file : live) {
                if (filesRead.contains(file.key())) {
                    continue;
                }
                List<SeriesKey> keys = new ArrayList<>();
                try (SegmentReader reader = SegmentFiles.open(storage, file.key(), id -> {
                    if (id.kind() == PointKind.PUT) {
                        keys.add(id.key());
                    }
                    return false;
                })) {
                    reader.hasNext(); // reads every block: the filter sees each series, none is kept
                } catch (SegmentCorruptException | java.io.FileNotFoundException e) {
                    LOG.warn("Names of {} not read, for now: {}", file.key(), e.getMessage());
                    continue;
                }
                keys.forEach(this::add);
                filesRead.add(file.key());
            }
        }
        unreadable.forEach(u -> LOG.warn("Names not read, for now: {}", u));
    }

    private synchronized void add(SeriesKey key) {
        String metric = key.metric();
        if (seriesByMetric.computeIfAbsent(metric, m -> new TreeSet<>()).add(key)) {
            metrics.add(metric);
            key.tags().forEach((k, v) -> {
                tagKeys.add(k);
                tagValues.add(v);
            });
        }
    }

    synchronized boolean hasMetric(String metric) {
        return metrics.contains(metric);
    }

    synchronized boolean hasTagKey(String key) {
        return tagKeys.contains(key);
    }

    synchronized boolean hasTagValue(String value) {
        return tagValues.contains(value);
    }

    /** The names of a kind ({@code metrics}, {@code tagk}, {@code tagv}) starting with the prefix, sorted, at most {@code max}. */
    synchronized List<String> suggest(String type, String prefix, int max) {
        TreeSet<String> names = switch (type) {
            case "metrics" -> metrics;
            case "tagk" -> tagKeys;
            case "tagv" -> tagValues;
            default -> throw new OpenTsdbApi.ApiException(400, "Invalid 'type' parameter:" + type, "");
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

    /** Every series of every metric: a copy, the catalog reading new files meanwhile. */
    synchronized SortedMap<String, TreeSet<SeriesKey>> series() {
        TreeMap<String, TreeSet<SeriesKey>> copy = new TreeMap<>();
        seriesByMetric.forEach((m, keys) -> copy.put(m, new TreeSet<>(keys)));
        return copy;
    }
}
